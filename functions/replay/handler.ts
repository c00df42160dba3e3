import { awsMetricStore } from '../../shared/adapters/aws/wiring';
import { lambdaObservability } from '../../shared/http/tracing';
import { createReplayHandler } from './app';

export const handler = createReplayHandler({
  metrics: awsMetricStore({ spill: false }),
  observability: lambdaObservability('replay'),
});
