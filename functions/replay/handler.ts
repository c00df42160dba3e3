import { awsMetricStore, awsTenantStatusSource } from '../../shared/adapters/aws/wiring';
import { lambdaObservability } from '../../shared/http/tracing';
import { createReplayHandler } from './app';

export const handler = createReplayHandler({
  metrics: awsMetricStore({ spill: false }),
  tenants: awsTenantStatusSource(),
  observability: lambdaObservability('replay'),
});
