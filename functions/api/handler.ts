import {
  awsAuditLog,
  awsConsoleUsers,
  awsKeyService,
  awsLogStore,
  awsMetricStore,
  awsRegionSettings,
  awsTenantStore,
} from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { createApiHandler } from './app';

const logs = awsLogStore();

export const handler = createApiHandler({
  tenants: awsTenantStore(),
  metrics: awsMetricStore(),
  keys: awsKeyService(),
  audit: awsAuditLog(),
  clock: systemClock,
  observability: lambdaObservability('api'),
  consoleUsers: awsConsoleUsers(),
  region: awsRegionSettings(),
  ...(logs ? { logs } : {}),
});
