import { awsIngestGuard } from '../../shared/adapters/aws/guardrails-wiring';
import { awsMetricStore, awsTenantStore } from '../../shared/adapters/aws/wiring';
import { createObservability } from '../../shared/http/handler';
import { systemClock } from '../../shared/ports/clock';
import { createIngestHandler } from './app';

const observability = createObservability('ingest');

export const handler = createIngestHandler({
  tenants: awsTenantStore(),
  metrics: awsMetricStore(),
  clock: systemClock,
  observability,
  guard: awsIngestGuard(observability, systemClock),
});
