import { awsMetricStore } from '../../shared/adapters/aws/wiring';
import { createObservability } from '../../shared/http/handler';
import { createReplayHandler } from './app';

export const handler = createReplayHandler({
  metrics: awsMetricStore({ spill: false }),
  observability: createObservability('replay'),
});
