import { awsMetricStore, awsTenantStore } from '../../shared/adapters/aws/wiring';
import { createObservability } from '../../shared/http/handler';
import { systemClock } from '../../shared/ports/clock';
import { createIngestHandler } from './app';

export const handler = createIngestHandler({
  tenants: awsTenantStore(),
  metrics: awsMetricStore(),
  clock: systemClock,
  observability: createObservability('ingest'),
});
