import { awsMetricMetadata, awsQueryLeases, awsTenantStore, regionQueryStore } from '#adapters/aws/wiring';
import { DEFAULT_QUERY_LIMITS } from '#domain/query-limits';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { createQueryHandler } from './app';
import { promqlEngine } from './promql';
import { regionBackend } from './region-backend';

export const handler = createQueryHandler({
  tenants: awsTenantStore(),
  backend: regionBackend(regionQueryStore(), promqlEngine),
  leases: awsQueryLeases(),
  engine: promqlEngine,
  metadata: awsMetricMetadata(),
  // API Gateway answers 504 at 29 s: the query stops first, with its own 503 naming query_timeout.
  limits: { timeoutMs: Math.min(DEFAULT_QUERY_LIMITS.timeoutMs, 28_000) },
  clock: systemClock,
  observability: lambdaObservability('query'),
});
