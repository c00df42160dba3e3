import { SNSClient } from '@aws-sdk/client-sns';
import { ALERT_ENV, awsAlertStore, awsNoticeStore } from '#adapters/aws/eventbridge-alert-wiring';
import { awsReportFiles, reportFilesConfigured } from '#adapters/aws/report-files-wiring';
import { SnsEmailSubscriptions } from '#adapters/aws/sns-email-subscriptions';
import {
  awsAuditLog,
  awsKeyService,
  awsLogStore,
  awsTenantStore,
  regionMetricStore,
  requiredEnv,
} from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { awsAlertEngine } from '../alert-evaluator/aws-wiring';
import { createAlertsHandler } from './app';
import { RecipientSecrets } from './recipient-secrets';

const tenants = awsTenantStore();
const metrics = regionMetricStore();
const secrets = new RecipientSecrets(awsKeyService(), tenants);
const logs = awsLogStore();

export const handler = createAlertsHandler({
  tenants,
  store: awsAlertStore(),
  metrics,
  secrets,
  ...(process.env[ALERT_ENV.emailTopicArn]
    ? {
        emailSubscriptions: new SnsEmailSubscriptions(
          new SNSClient({}),
          requiredEnv(ALERT_ENV.emailTopicArn),
        ),
      }
    : {}),
  engine: awsAlertEngine({ tenants, metrics }),
  audit: awsAuditLog(),
  clock: systemClock,
  observability: lambdaObservability('alerts'),
  notices: { store: awsNoticeStore(), secrets },
  // An alert's log lines (correlation), where the stack binds the region's log store.
  ...(logs ? { logs } : {}),
  // Scheduled reports' e-mailed links (GET /v1/report-files/{token}), where the stack binds the bucket.
  ...(reportFilesConfigured() ? { reports: awsReportFiles() } : {}),
});
