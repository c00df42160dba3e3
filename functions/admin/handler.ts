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
import { createAdminHandler } from './app';

const alerts = awsAlertStore();

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
  metrics: regionMetricStore(),
  alerts,
  region: awsRegionSettings(),
  // Offboarding runs as a job: this function suspends the tenant and queues a part per region
  // (functions/offboarding is the worker that exports and erases).
  offboarding: awsOffboardingStart(),
});
