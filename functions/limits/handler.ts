import { awsGuardrailStores } from '#adapters/aws/guardrails-wiring';
import { awsAuditLog, awsTenantStore, providerTokenHashFromSecret } from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { createLimitsHandler } from './app';

const { limits, rate, series, usage } = awsGuardrailStores();

export const handler = createLimitsHandler({
  tenants: awsTenantStore(),
  limits,
  rate,
  series,
  usage,
  providerTokenHash: providerTokenHashFromSecret(),
  clock: systemClock,
  observability: lambdaObservability('limits'),
  audit: awsAuditLog(),
});
