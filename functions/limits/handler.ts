import { awsGuardrailStores } from '../../shared/adapters/aws/guardrails-wiring';
import { awsAuditLog, awsTenantStore, providerTokenHashFromSecret } from '../../shared/adapters/aws/wiring';
import { lambdaObservability } from '../../shared/http/tracing';
import { systemClock } from '../../shared/ports/clock';
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
