import { LambdaClient } from '@aws-sdk/client-lambda';
import {
  awsAlertStore,
  awsNoticeSender,
  awsNoticeStore,
  awsNotificationLedger,
} from '#adapters/aws/eventbridge-alert-wiring';
import { LambdaNoticeFanout } from '#adapters/aws/lambda-notice-fanout';
import {
  awsArchiveStore,
  awsAuditLog,
  awsConsoleTokens,
  awsConsoleUsers,
  awsKeyService,
  awsOffboardingStart,
  awsRegionSettings,
  awsTenantStore,
  providerTokenHashFromSecret,
  regionMetricStore,
} from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import { RecipientSecrets } from '../alerts/recipient-secrets';
import { createAdminFunction } from './app';

const alerts = awsAlertStore();
const tenants = awsTenantStore();
const keys = awsKeyService();
// Built on first use (only GET /admin/v1/benchmarks reads metrics): loading the function needs no
// metric-store settings.
let regionMetrics: MetricStore | undefined;
const metricsNow = (): MetricStore => {
  regionMetrics ??= regionMetricStore();
  return regionMetrics;
};
const metrics: MetricStore = {
  write: (tenantId, samples) => metricsNow().write(tenantId, samples),
  query: (tenantId, query) => metricsNow().query(tenantId, query),
};

export const handler = createAdminFunction({
  tenants,
  providerTokenHash: providerTokenHashFromSecret(),
  clock: systemClock,
  observability: lambdaObservability('admin'),
  keys,
  audit: awsAuditLog(),
  archives: awsArchiveStore(),
  consoleTokens: awsConsoleTokens(),
  consoleUsers: awsConsoleUsers(),
  // Read only by the anonymised benchmarks (GET /admin/v1/benchmarks).
  metrics,
  alerts,
  region: awsRegionSettings(),
  // Security notices: claims in the same ledger as alert deliveries, so a retried fan-out sends once.
  notices: {
    store: awsNoticeStore(),
    sender: awsNoticeSender(),
    ledger: awsNotificationLedger(),
    secrets: new RecipientSecrets(keys, tenants),
    // A fan-out past one run's tenants goes on in this function's own asynchronous invocations.
    fanoutQueue: new LambdaNoticeFanout(new LambdaClient({}), process.env.AWS_LAMBDA_FUNCTION_NAME ?? ''),
  },
  // Offboarding runs as a job: this function suspends the tenant and queues a part per region
  // (functions/offboarding is the worker that exports and erases).
  offboarding: awsOffboardingStart(),
});
