import { awsAuditLog, awsKeyService, awsMetricStore, awsTenantStore } from '../../shared/adapters/aws/wiring';
import { createObservability } from '../../shared/http/handler';
import { systemClock } from '../../shared/ports/clock';
import { createApiHandler } from './app';

export const handler = createApiHandler({
  tenants: awsTenantStore(),
  metrics: awsMetricStore(),
  keys: awsKeyService(),
  audit: awsAuditLog(),
  clock: systemClock,
  observability: createObservability('api'),
});
