import {
  awsArchiveStore,
  awsAuditLog,
  awsConsoleTokens,
  awsConsoleUsers,
  awsKeyService,
  awsOffboardingStart,
  awsTenantStore,
  providerTokenHashFromSecret,
} from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { createAdminHandler } from './app';

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
  // Offboarding runs as a job: this function suspends the tenant and queues a part per region
  // (functions/offboarding is the worker that exports and erases).
  offboarding: awsOffboardingStart(),
});
