import { awsMetricStore, awsTenantStatusSource } from '#adapters/aws/wiring';
import { lambdaObservability } from '#http/tracing';
import { createReplayHandler } from './app';

export const handler = createReplayHandler({
  metrics: awsMetricStore({ spill: false }),
  tenants: awsTenantStatusSource(),
  observability: lambdaObservability('replay'),
});
