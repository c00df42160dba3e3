/**
 * Cross-tenant benchmarks that are k-anonymous: a cell (a metric or alert count per datasource) is
 * published only when at least `k` tenants contribute to it and no tenant holds more than `maxShare`
 * of its series (or alerts). Each tenant is first reduced to one contribution (its own median, or its
 * count), so a tenant with many series weighs as much as one with few; the published figures are
 * statistics over those contributions. Nothing that names a tenant or a resource leaves this module.
 */
import { csvField } from '#domain/alerting/history';
import * as z from '#domain/zod';

export const DEFAULT_K = 10;
/** Below this no cell is published, whatever the caller asks. */
export const MIN_K = 5;
export const DEFAULT_MAX_SHARE = 0.5;
/**
 * The published cells' CSV is at most this many bytes (the JSON form carries the same cells). A
 * Lambda answer behind API Gateway is buffered whole and at most 6 MB, so streaming it gains
 * nothing: the answer is bounded instead. Cells past the bound are withheld, those covering the
 * fewest tenants first, and counted (`suppressed.overLimit`).
 */
export const MAX_BENCHMARK_CSV_BYTES = 4 * 1024 * 1024;

/** A metric's per-series summary (its mean over the period), or one alert (value 1). */
export interface BenchmarkObservation {
  readonly tenantId: string;
  readonly kind: 'metric' | 'alerts';
  /** The metric name, or for alerts the alerting metric. */
  readonly metric: string;
  readonly datasource: string;
  readonly value: number;
}

export interface BenchmarkCell {
  readonly kind: 'metric' | 'alerts';
  readonly metric: string;
  readonly datasource: string;
  readonly tenants: number;
  /** Series (metric cells) or alerts (alert cells) behind the cell. */
  readonly observations: number;
  /** Over the tenants' contributions: each tenant's median (metric cells) or alert count. */
  readonly median: number;
  readonly p90: number;
}

export interface BenchmarkReport {
  readonly k: number;
  readonly maxShare: number;
  readonly published: BenchmarkCell[];
  /** How many cells were withheld, by reason; never which (`overLimit`: past MAX_BENCHMARK_CSV_BYTES). */
  readonly suppressed: {
    readonly tooFewTenants: number;
    readonly dominated: number;
    readonly overLimit?: number;
  };
}

export const benchmarkQuerySchema = z.object({
  k: z._default(
    z.coerce.number().check(z.int(), z.gte(MIN_K, `k must be at least ${MIN_K}`), z.lte(10_000)),
    DEFAULT_K,
  ),
  maxShare: z._default(
    z.coerce
      .number()
      .check(z.gt(0), z.lte(DEFAULT_MAX_SHARE, `maxShare must be at most ${DEFAULT_MAX_SHARE}`)),
    DEFAULT_MAX_SHARE,
  ),
  metric: z._default(z.string().check(z.regex(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,199}$/)), 'cpu_busy'),
  from: z.optional(z.coerce.number().check(z.int(), z.gte(0))),
  to: z.optional(z.coerce.number().check(z.int(), z.gte(0))),
  /** `csv` (or `Accept: text/csv`): the published cells as CSV rows; default JSON. */
  format: z.optional(z.enum(['json', 'csv'])),
});
export type BenchmarkQuery = z.infer<typeof benchmarkQuerySchema>;

/** Nearest-rank quantile of ascending values (q in (0, 1]): an observed value, never an interpolation. */
function quantile(sorted: readonly number[], q: number): number {
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1] as number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const cellKey = (o: Pick<BenchmarkObservation, 'kind' | 'metric' | 'datasource'>) =>
  JSON.stringify([o.kind, o.metric, o.datasource]);

export function aggregateBenchmarks(
  observations: Iterable<BenchmarkObservation>,
  options: { k: number; maxShare: number },
): BenchmarkReport {
  const k = Math.max(MIN_K, Math.floor(options.k));
  const maxShare = Math.min(DEFAULT_MAX_SHARE, options.maxShare);
  // cell -> tenant -> that tenant's values in the cell
  const cells = new Map<string, { head: BenchmarkObservation; byTenant: Map<string, number[]> }>();
  for (const o of observations) {
    if (!Number.isFinite(o.value)) continue;
    const key = cellKey(o);
    let cell = cells.get(key);
    if (!cell) {
      cell = { head: o, byTenant: new Map() };
      cells.set(key, cell);
    }
    const values = cell.byTenant.get(o.tenantId);
    if (values) values.push(o.value);
    else cell.byTenant.set(o.tenantId, [o.value]);
  }
  const published: BenchmarkCell[] = [];
  let tooFewTenants = 0;
  let dominated = 0;
  for (const { head, byTenant } of cells.values()) {
    if (byTenant.size < k) {
      tooFewTenants++;
      continue;
    }
    let total = 0;
    let largest = 0;
    for (const values of byTenant.values()) {
      total += values.length;
      largest = Math.max(largest, values.length);
    }
    if (largest > maxShare * total) {
      dominated++;
      continue;
    }
    const contributions = [...byTenant.values()]
      .map((values) => (head.kind === 'metric' ? median(values) : values.length))
      .sort((a, b) => a - b);
    published.push({
      kind: head.kind,
      metric: head.metric,
      datasource: head.datasource,
      tenants: byTenant.size,
      observations: total,
      median: median(contributions),
      p90: quantile(contributions, 0.9),
    });
  }
  // The widest cells first while their CSV fits the bound; then in key order.
  published.sort((a, b) => b.tenants - a.tenants || cellKey(a).localeCompare(cellKey(b)));
  const utf8 = new TextEncoder();
  let bytes = utf8.encode(CSV_HEADER).length;
  let kept = 0;
  while (kept < published.length) {
    const size = utf8.encode(csvLine(published[kept] as BenchmarkCell)).length;
    if (bytes + size > MAX_BENCHMARK_CSV_BYTES) break;
    bytes += size;
    kept++;
  }
  const overLimit = published.length - kept;
  const within = published.slice(0, kept).sort((a, b) => cellKey(a).localeCompare(cellKey(b)));
  return {
    k,
    maxShare,
    published: within,
    suppressed: { tooFewTenants, dominated, ...(overLimit > 0 ? { overLimit } : {}) },
  };
}

const CSV_COLUMNS = ['kind', 'metric', 'datasource', 'tenants', 'observations', 'median', 'p90'] as const;
const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;
const csvLine = (cell: BenchmarkCell) => `${CSV_COLUMNS.map((c) => csvField(cell[c])).join(',')}\r\n`;

/**
 * The published cells as CSV lines (header first), one at a time, so the caller writes them as they
 * come. Only published cells: suppression counts stay in the JSON form, and no line names a tenant.
 */
export function* benchmarkCsvLines(report: Pick<BenchmarkReport, 'published'>): Generator<string> {
  yield CSV_HEADER;
  for (const cell of report.published) yield csvLine(cell);
}
