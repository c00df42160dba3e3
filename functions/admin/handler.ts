import {
  awsAlertStore,
  awsDeadLetterStore,
  awsNotificationLedger,
} from '#adapters/aws/eventbridge-alert-wiring';
import { awsGuardrailStores } from '#adapters/aws/guardrails-wiring';
import {
  awsArchiveStore,
  awsAuditLog,
  awsConsoleTokens,
  awsConsoleUsers,
  awsKeyService,
  awsMetricDataHolder,
  awsMetricMetadata,
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
  // Offboarding exports and erases these besides the tenant table and audit log.
  holders: [
    awsMetricDataHolder(),
    awsMetricMetadata(),
    alerts,
    awsNotificationLedger(),
    awsDeadLetterStore(),
    ...Object.values(awsGuardrailStores()),
  ],
});
