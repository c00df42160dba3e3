/**
 * GET /admin/v1/benchmarks: reads every active tenant's series of one metric and its alerts over a
 * period, reduced to per-series means and per-alert observations, and hands them to the k-anonymous
 * aggregation (shared/domain/reports/aggregates.ts). Bounded: one metric query per tenant (bucketed,
 * at most BENCHMARK_BUCKETS points a series), and at most MAX_ALERTS_PER_TENANT alerts read a tenant.
 */
import type { Alert } from '#domain/alerting/alert';
import { UnprocessableError } from '#domain/errors';
import {
  aggregateBenchmarks,
  type BenchmarkObservation,
  type BenchmarkQuery,
  type BenchmarkReport,
} from '#domain/reports/aggregates';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import type { TenantStore } from '#ports/tenant-store';

const DAY_MS = 86_400_000;
export const DEFAULT_BENCHMARK_PERIOD_MS = 30 * DAY_MS;
const MAX_BENCHMARK_PERIOD_MS = 400 * DAY_MS;
const BENCHMARK_BUCKETS = 100;
/** A tenant's alert count stops here (the cell is then marked as a lower bound by `alertsCapped`). */
export const MAX_ALERTS_PER_TENANT = 20_000;
const UNKNOWN_DATASOURCE = '(none)';

export interface BenchmarkDeps {
  readonly tenants: TenantStore;
  readonly metrics?: MetricStore;
  readonly alerts?: AlertStore;
  readonly clock: Clock;
}

async function* activeTenantIds(tenants: TenantStore): AsyncGenerator<string> {
  let cursor: string | undefined;
  do {
    const page = await tenants.listTenants({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const t of page.items) if (t.status === 'active') yield t.tenantId;
    cursor = page.nextCursor;
  } while (cursor);
}

const datasourceOf = (dimensions: Readonly<Record<string, string>>) =>
  dimensions['datasource'] ?? UNKNOWN_DATASOURCE;

export async function computeBenchmarks(
  deps: BenchmarkDeps,
  query: BenchmarkQuery,
): Promise<BenchmarkReport & { from: number; to: number; alertsCapped: boolean }> {
  const to = query.to ?? deps.clock.now().getTime();
  const from = query.from ?? to - DEFAULT_BENCHMARK_PERIOD_MS;
  if (from >= to) throw new UnprocessableError('from must be before to', 'from');
  if (to - from > MAX_BENCHMARK_PERIOD_MS)
    throw new UnprocessableError('the period is at most 400 days', 'from');
  const observations: BenchmarkObservation[] = [];
  let alertsCapped = false;
  for await (const tenantId of activeTenantIds(deps.tenants)) {
    if (deps.metrics) {
      const series = await deps.metrics.query(tenantId, {
        metric: query.metric,
        fromMs: from,
        toMs: to - 1,
        stepSeconds: Math.max(60, Math.ceil((to - from) / 1000 / BENCHMARK_BUCKETS)),
        aggregation: 'avg',
        filters: {},
      });
      for (const s of series) {
        const values = s.points.map(([, v]) => v).filter(Number.isFinite);
        if (values.length === 0) continue;
        const mean = values.reduce((a, b) => a + b, 0) / values.length;
        observations.push({
          tenantId,
          kind: 'metric',
          metric: query.metric,
          datasource: datasourceOf(s.dimensions),
          value: mean,
        });
      }
    }
    if (deps.alerts) {
      const counted = await tenantAlerts(deps.alerts, tenantId, from, to, deps.clock.now().getTime());
      alertsCapped ||= counted.capped;
      for (const a of counted.alerts)
        observations.push({
          tenantId,
          kind: 'alerts',
          metric: a.metric,
          datasource: datasourceOf(a.dimensions),
          value: 1,
        });
    }
  }
  return { from, to, ...aggregateBenchmarks(observations, query), alertsCapped };
}

async function tenantAlerts(
  store: AlertStore,
  tenantId: string,
  fromMs: number,
  toMs: number,
  nowMs: number,
): Promise<{ alerts: Pick<Alert, 'metric' | 'dimensions'>[]; capped: boolean }> {
  const alerts: Pick<Alert, 'metric' | 'dimensions'>[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.alertHistory(tenantId, {
      fromMs,
      toMs,
      filter: {},
      limit: 1_000,
      nowMs,
      ...(cursor ? { cursor } : {}),
    });
    for (const a of page.items) alerts.push({ metric: a.metric, dimensions: a.dimensions });
    if (alerts.length >= MAX_ALERTS_PER_TENANT) return { alerts, capped: true };
    cursor = page.cursor;
  } while (cursor);
  return { alerts, capped: false };
}
