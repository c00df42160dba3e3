import { SNSClient } from '@aws-sdk/client-sns';
import {
  ALERT_ENV,
  awsAlertStore,
  awsDeadLetterStore,
  awsNoticeStore,
  awsNotificationLedger,
} from '#adapters/aws/eventbridge-alert-wiring';
import { awsGuardrailStores } from '#adapters/aws/guardrails-wiring';
import { awsReportFileData, reportFilesConfigured } from '#adapters/aws/report-files-wiring';
import { SnsEmailSubscriptions } from '#adapters/aws/sns-email-subscriptions';
import {
  awsArchiveStore,
  awsAuditLog,
  awsKeyService,
  awsLogStore,
  awsMetricDataHolder,
  awsMetricMetadata,
  awsOffboardingQueue,
  awsTenantStore,
  awsTenantStoreIn,
  requiredEnv,
} from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { addressesNamedBy } from '../alerts/email-recipients';
import { createOffboardingWorker } from './app';

const tenants = awsTenantStore();
const audit = awsAuditLog();
const { limits, ...regionalGuardrails } = awsGuardrailStores();
// The region's log lake: its tenant prefix is exported and erased with the other regional stores.
const logs = awsLogStore();
const alertStore = awsAlertStore();
const noticeStore = awsNoticeStore();
const emailTopicArn = process.env[ALERT_ENV.emailTopicArn];

export const handler = createOffboardingWorker({
  region: requiredEnv('AWS_REGION'),
  tenants,
  tenantsIn: awsTenantStoreIn,
  audit,
  clock: systemClock,
  // This region's queue: the log store's late erasure is queued here with a delay.
  queue: awsOffboardingQueue(),
  keys: awsKeyService(),
  archives: awsArchiveStore(),
  observability: lambdaObservability('offboarding'),
  // The tenant's shared e-mail subscriptions: released, and unsubscribed where it was the last user.
  emailRecipients: {
    references: alertStore,
    named: (tenantId) =>
      addressesNamedBy({ store: alertStore, tenants, noticeChannels: noticeStore }, tenantId),
    ...(emailTopicArn ? { subscriptions: new SnsEmailSubscriptions(new SNSClient({}), emailTopicArn) } : {}),
  },
  // The global table's stores: the coordinator's part exports and erases them.
  global: [
    tenants,
    audit,
    awsMetricMetadata(),
    alertStore,
    awsNotificationLedger(),
    // Security notices' copies and notice channels (NOTICES#<tenant>); the provider's incidents stay.
    noticeStore,
    awsDeadLetterStore(),
    limits,
  ],
  // This region's stores: every region's part exports and erases its own.
  regional: [
    awsMetricDataHolder(),
    ...Object.values(regionalGuardrails),
    ...(logs ? [logs] : []),
    // Scheduled reports' PDFs (the tenant's prefix of the reports bucket).
    ...(reportFilesConfigured() ? [awsReportFileData()] : []),
  ],
});
