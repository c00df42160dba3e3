import {
  awsAuditLog,
  awsConsoleUsers,
  awsKeyService,
  awsMetricStore,
  awsTenantStore,
} from '../../shared/adapters/aws/wiring';
import { lambdaObservability } from '../../shared/http/tracing';
import { systemClock } from '../../shared/ports/clock';
import { createApiHandler } from './app';

export const handler = createApiHandler({
  tenants: awsTenantStore(),
  metrics: awsMetricStore(),
  keys: awsKeyService(),
  audit: awsAuditLog(),
  clock: systemClock,
  observability: lambdaObservability('api'),
  consoleUsers: awsConsoleUsers(),
});
