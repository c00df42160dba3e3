import { UnprocessableError } from './errors';
import { type Dimensions, type Sample, seriesKey } from './metrics';
import { checkQueryLength, METRICS_QUERY_LIMITS } from './query-limits';
import { specialValueText } from './special-values';

export const AGGREGATIONS = ['avg', 'min', 'max', 'sum', 'count', 'p95'] as const;
export type Aggregation = (typeof AGGREGATIONS)[number];

export interface MetricQuery {
  readonly metric: string;
  readonly fromMs: number;
  /** Inclusive. */
  readonly toMs: number;
  /** Bucket width; absent means raw points. */
  readonly stepSeconds?: number;
  readonly aggregation: Aggregation;
  /** Exact-match filters on dimensions. */
  readonly filters: Dimensions;
}

export type Point = readonly [epochMs: number, value: number];

export interface Series {
  readonly metric: string;
  readonly dimensions: Dimensions;
  readonly points: readonly Point[];
}

/** Query-string parameters that are not dimension filters. */
const RESERVED_PARAMS = new Set(['metric', 'from', 'to', 'step', 'agg']);
/** At most this many buckets per series, so one query cannot ask for unbounded work. */
export const MAX_BUCKETS = 11_000;

/** The last millisecond of year 9999: no instant a query names lies later (RFC 3339's own range). */
export const MAX_INSTANT_MS = 253_402_300_799_999;

/** Parses epoch milliseconds (up to MAX_INSTANT_MS) or RFC 3339. */
export function parseInstant(raw: string, field: string): number {
  if (/^\d{1,15}$/.test(raw) && Number(raw) <= MAX_INSTANT_MS) return Number(raw);
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(raw)) {
    const ms = Date.parse(raw);
    if (Number.isFinite(ms)) return ms;
  }
  throw new UnprocessableError(
    `${field} must be epoch milliseconds (at most ${MAX_INSTANT_MS}) or an RFC 3339 timestamp`,
    field,
  );
}

/** Builds a MetricQuery from API query-string parameters; every other parameter is a dimension filter. */
export function parseMetricQuery(params: Readonly<Record<string, string | undefined>>): MetricQuery {
  const metric = params['metric'];
  if (!metric) throw new UnprocessableError('metric is required', 'metric');
  if (params['from'] === undefined) throw new UnprocessableError('from is required', 'from');
  if (params['to'] === undefined) throw new UnprocessableError('to is required', 'to');
  const fromMs = parseInstant(params['from'], 'from');
  const toMs = parseInstant(params['to'], 'to');
  if (toMs < fromMs) throw new UnprocessableError('to must not be before from', 'to');
  // Before any store is asked: a range bounds the requests (AMP windows) and rows (Timestream) a read costs.
  checkQueryLength(fromMs, toMs, METRICS_QUERY_LIMITS);

  let stepSeconds: number | undefined;
  if (params['step'] !== undefined) {
    stepSeconds = Number(params['step']);
    if (!Number.isInteger(stepSeconds) || stepSeconds < 1)
      throw new UnprocessableError('step must be a whole number of seconds ≥ 1', 'step');
    if ((toMs - fromMs) / (stepSeconds * 1000) > MAX_BUCKETS)
      throw new UnprocessableError(
        `step is too small: more than ${MAX_BUCKETS} buckets in the range`,
        'step',
      );
  }
  const agg = params['agg'] ?? 'avg';
  if (!(AGGREGATIONS as readonly string[]).includes(agg))
    throw new UnprocessableError(`agg must be one of ${AGGREGATIONS.join(', ')}`, 'agg');
  if (params['agg'] !== undefined && stepSeconds === undefined)
    throw new UnprocessableError('agg needs a step', 'agg');

  const filters: Record<string, string> = {};
  for (const [name, value] of Object.entries(params)) {
    if (!RESERVED_PARAMS.has(name) && value !== undefined) filters[name] = value;
  }
  return {
    metric,
    fromMs,
    toMs,
    ...(stepSeconds === undefined ? {} : { stepSeconds }),
    aggregation: agg as Aggregation,
    filters,
  };
}

export function matchesFilters(dimensions: Dimensions, filters: Dimensions): boolean {
  for (const name in filters) if (dimensions[name] !== filters[name]) return false;
  return true;
}

/**
 * Percentile by linear interpolation between closest ranks (the definition numpy and Prometheus'
 * quantile_over_time use), so every store answers the same p95 for the same points.
 */
export function percentile(sortedValues: readonly number[], q: number): number {
  const n = sortedValues.length;
  if (n === 0) return Number.NaN;
  const rank = q * (n - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const loValue = sortedValues[lo] as number;
  return loValue + ((sortedValues[hi] as number) - loValue) * (rank - lo);
}

/**
 * Numeric order with NaN first, as Go's sort.Float64s (and so Prometheus' quantile functions) orders
 * it: `a - b` alone is no order at all once a NaN is among the values.
 */
export function ascendingNaNFirst(a: number, b: number): number {
  if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
  if (Number.isNaN(b)) return 1;
  return a - b;
}

export function aggregate(values: readonly number[], aggregation: Aggregation): number {
  switch (aggregation) {
    case 'count':
      return values.length;
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      // A loop, not Math.min(...values): spreading a bucket's values overflows the stack past ~125 k.
      return values.reduce((a, b) => (b < a || Number.isNaN(b) ? b : a), Number.POSITIVE_INFINITY);
    case 'max':
      return values.reduce((a, b) => (b > a || Number.isNaN(b) ? b : a), Number.NEGATIVE_INFINITY);
    case 'p95':
      return percentile([...values].sort(ascendingNaNFirst), 0.95);
  }
}

/** Start of the step bucket that holds `timestampMs`; buckets are aligned to the epoch. */
export const bucketStart = (timestampMs: number, stepMs: number): number =>
  Math.floor(timestampMs / stepMs) * stepMs;

/**
 * Turns the raw points of one series (any order) into the answer for a query: raw points sorted by
 * time, or one aggregated point per non-empty bucket.
 */
export function shapePoints(points: readonly Point[], query: MetricQuery): Point[] {
  const sorted = [...points].sort((a, b) => a[0] - b[0]);
  if (query.stepSeconds === undefined) return sorted;
  const stepMs = query.stepSeconds * 1000;
  const result: Point[] = [];
  let currentBucket = Number.NaN;
  let values: number[] = [];
  for (const [t, v] of sorted) {
    const bucket = bucketStart(t, stepMs);
    if (bucket !== currentBucket) {
      if (values.length > 0) result.push([currentBucket, aggregate(values, query.aggregation)]);
      currentBucket = bucket;
      values = [];
    }
    values.push(v);
  }
  if (values.length > 0) result.push([currentBucket, aggregate(values, query.aggregation)]);
  return result;
}

/** Groups raw samples into series answering `query` (used by stores that return raw rows). */
export function seriesFromSamples(samples: Iterable<Sample>, query: MetricQuery): Series[] {
  const bySeries = new Map<string, { dimensions: Dimensions; points: Point[] }>();
  for (const s of samples) {
    // A stale marker ends a series; it is not a value to return or aggregate.
    if (s.stale) continue;
    if (s.metric !== query.metric || s.timestampMs < query.fromMs || s.timestampMs > query.toMs) continue;
    if (!matchesFilters(s.dimensions, query.filters)) continue;
    const k = seriesKey(s.metric, s.dimensions);
    let entry = bySeries.get(k);
    if (!entry) {
      entry = { dimensions: s.dimensions, points: [] };
      bySeries.set(k, entry);
    }
    entry.points.push([s.timestampMs, s.value]);
  }
  return sortSeries(
    [...bySeries.values()].map((e) => ({
      metric: query.metric,
      dimensions: e.dimensions,
      points: shapePoints(e.points, query),
    })),
  );
}

/** A point as JSON carries it: finite values as numbers, NaN and ±Inf as "NaN", "+Inf", "-Inf". */
export type JsonPoint = readonly [epochMs: number, value: number | 'NaN' | '+Inf' | '-Inf'];

/** Series as the query API answers them (JSON has no NaN or Infinity: JSON.stringify would say null). */
export function seriesAsJson(
  series: readonly Series[],
): { metric: string; dimensions: Dimensions; points: JsonPoint[] }[] {
  return series.map((s) => ({
    metric: s.metric,
    dimensions: s.dimensions,
    points: s.points.map(([t, v]): JsonPoint => [t, specialValueText(v) ?? v]),
  }));
}

/** Deterministic series order: by their sorted dimension pairs. */
export function sortSeries(series: Series[]): Series[] {
  const label = (s: Series) =>
    Object.keys(s.dimensions)
      .sort()
      .map((k) => `${k}=${s.dimensions[k]}`)
      .join(',');
  return series.sort((a, b) => (label(a) < label(b) ? -1 : label(a) > label(b) ? 1 : 0));
}
