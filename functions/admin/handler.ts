import { awsAlertStore } from '#adapters/aws/eventbridge-alert-wiring';
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
import { createAdminHandler } from './app';

const alerts = awsAlertStore();
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

export const handler = createAdminHandler({
  tenants: awsTenantStore(),
  providerTokenHash: providerTokenHashFromSecret(),
  clock: systemClock,
  observability: lambdaObservability('admin'),
  keys: awsKeyService(),
  audit: awsAuditLog(),
  archives: awsArchiveStore(),
  consoleTokens: awsConsoleTokens(),
  consoleUsers: awsConsoleUsers(),
  // Read only by the anonymised benchmarks (GET /admin/v1/benchmarks).
  metrics,
  alerts,
  region: awsRegionSettings(),
  // Offboarding runs as a job: this function suspends the tenant and queues a part per region
  // (functions/offboarding is the worker that exports and erases).
  offboarding: awsOffboardingStart(),
});
