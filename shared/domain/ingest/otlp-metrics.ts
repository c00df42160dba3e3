/**
 * OTLP metrics (decoded by shared/protocols/otlp) into an IngestBatch. The encoding, which the
 * README's "OTLP ingest" section repeats for users:
 *
 * - Dimensions: resource attributes, then scope attributes, then data point attributes (a more
 *   specific attribute replaces a less specific one of the same key), plus `otel.scope.name` and
 *   `otel.scope.version` when the scope has them. Attribute values become strings (any-value.ts); an
 *   empty value means the attribute is absent (as an empty Prometheus label is). A data point whose
 *   dimensions break a store limit (name rules, ≤ 60-byte names, ≤ 2 KB per series, ≤ 127) is
 *   rejected with the reason; nothing is truncated.
 * - Gauge: `<name>`. Sum: `<name>` with dimensions `otel.temporality` (`cumulative` | `delta` |
 *   `unspecified`) and `otel.monotonic` (`true` | `false`).
 * - Histogram: `<name>_count`, `<name>_sum` (when set), `<name>_min`/`<name>_max` (when set) and
 *   `<name>_bucket` with dimension `le` = upper bound (JavaScript number spelling, `+Inf` last), value
 *   = cumulative count, as Prometheus stores histograms; plus `otel.temporality`.
 * - ExponentialHistogram: the same series; its buckets become `le` buckets by the conversion
 *   Prometheus native histograms share (native-histogram.ts): negative buckets (upper bound
 *   −base^index), the zero bucket (upper bound zero_threshold), positive buckets (upper bound
 *   base^(index+1)), `+Inf`; base = 2^(2^−scale). For a store that keeps native histograms (AMP),
 *   a point of scale ≥ −4 is one native histogram sample `<name>` instead (nativeFromOtel: integer
 *   buckets, scale capped at 8 by merging buckets, a delta point as a gauge histogram), plus
 *   `<name>_min`/`<name>_max` when set.
 * - Summary: `<name>_count`, `<name>_sum`, and `<name>` with dimension `quantile`.
 * - Values: any IEEE double (NaN, ±Inf). A point flagged NO_RECORDED_VALUE becomes Prometheus stale
 *   markers on every series it would have written, as Prometheus' own OTLP translator does.
 * - Time: time_unix_nano truncated to milliseconds. A point without a value or time is rejected.
 * - All samples of one data point share its fate: if any would be refused, the point is rejected.
 */
import {
  type Attributes,
  type ExponentialHistogramPoint,
  FLAG_NO_RECORDED_VALUE,
  type HistogramPoint,
  type NumberPoint,
  type OtlpMetric,
  type OtlpRequest,
  type SummaryPoint,
} from '#protocols/otlp/model';
import { acceptedTimeWindow, byteLength, type Sample, type TimeWindow, timestampProblem } from '../metrics';
import {
  type BatchOptions,
  DimensionRules,
  type DimensionsMeasure,
  emptyBatch,
  type IngestBatch,
  labelFits,
  limitsProblem,
  reject,
} from './batch';
import {
  classicBuckets,
  formatBound,
  fromOtelBuckets,
  nativeFromOtel,
  RESET_HINT_GAUGE,
} from './native-histogram';

export const OTEL_DIMENSIONS = {
  scopeName: 'otel.scope.name',
  scopeVersion: 'otel.scope.version',
  temporality: 'otel.temporality',
  monotonic: 'otel.monotonic',
  bucketBound: 'le',
  quantile: 'quantile',
} as const;

const TEMPORALITY_NAMES = ['unspecified', 'delta', 'cumulative'];
/**
 * OTLP/JSON spells NaN and ±Inf as the strings "NaN", "Infinity", "-Infinity"; the OpenTelemetry JS
 * SDK's JSON exporter (JSON.stringify) writes them as null instead, which is a point without a value.
 */
const NO_VALUE =
  'data point has neither asDouble nor asInt (in OTLP/JSON, NaN and ±Inf are the strings "NaN", "Infinity", "-Infinity"; a null is no value)';

type Dims = Record<string, string>;

interface Context {
  readonly batch: IngestBatch;
  readonly rules: DimensionRules;
  readonly window: TimeWindow;
  /** Samples of the point being mapped; committed to the batch only if all are valid. */
  readonly pending: Sample[];
  readonly nativeHistograms: boolean;
}

/** Maps a decoded OTLP request to samples; never throws for content (only the decoders reject shape). */
export function otlpToBatch(request: OtlpRequest, nowMs: number, options: BatchOptions = {}): IngestBatch {
  const ctx: Context = {
    batch: emptyBatch(),
    rules: new DimensionRules(),
    window: acceptedTimeWindow(nowMs),
    pending: [],
    nativeHistograms: options.nativeHistograms === true,
  };
  const { resourceMetrics } = request;
  for (let r = 0; r < resourceMetrics.length; r++) {
    const rm = resourceMetrics[r]!;
    const resourceDims: Dims = {};
    const resourceProto = addAttributes(resourceDims, rm.attributes, false);
    for (let s = 0; s < rm.scopeMetrics.length; s++) {
      const sm = rm.scopeMetrics[s]!;
      const base: Dims = { ...resourceDims };
      const scopeProto = addAttributes(base, sm.attributes, resourceProto);
      if (sm.name) base[OTEL_DIMENSIONS.scopeName] = sm.name;
      if (sm.version) base[OTEL_DIMENSIONS.scopeVersion] = sm.version;
      for (let m = 0; m < sm.metrics.length; m++) {
        mapMetric(
          ctx,
          sm.metrics[m]!,
          base,
          scopeProto,
          () => `resourceMetrics[${r}].scopeMetrics[${s}].metrics[${m}]`,
        );
      }
    }
  }
  return ctx.batch;
}

const PROTO_KEY_PROBLEM = 'dimension name "__proto__" is not allowed';

/**
 * Applies flattened attributes: later keys win; an empty value removes the key. A plain object cannot
 * hold `__proto__` as a key, so whether that (refused) name is present is tracked apart: the argument
 * says whether it was before, the result whether it is after.
 */
function addAttributes(dims: Dims, attributes: Attributes, protoPresent: boolean): boolean {
  let proto = protoPresent;
  for (let i = 0; i < attributes.length; i += 2) {
    const key = attributes[i]!;
    const value = attributes[i + 1]!;
    if (key === '__proto__') proto = value !== '';
    else if (value === '') delete dims[key];
    else dims[key] = value;
  }
  return proto;
}

function mapMetric(
  ctx: Context,
  metric: OtlpMetric,
  base: Dims,
  baseProto: boolean,
  where: () => string,
): void {
  const { points } = metric;
  if (points.length === 0) return;
  const name = metric.name;
  const at = (p: number) => () => `${where()} ("${name}").dataPoints[${p}]`;
  const nameProblem = ctx.rules.metricProblem(name);
  let metricBase = base;
  if (metric.type === 'sum') {
    metricBase = { ...base };
    metricBase[OTEL_DIMENSIONS.temporality] = temporalityName(metric.temporality);
    metricBase[OTEL_DIMENSIONS.monotonic] = metric.monotonic ? 'true' : 'false';
  } else if (metric.type === 'histogram' || metric.type === 'exponentialHistogram') {
    metricBase = { ...base };
    metricBase[OTEL_DIMENSIONS.temporality] = temporalityName(metric.temporality);
  }
  // Measured once per metric; each point adds only its own attributes.
  const baseMeasure = ctx.rules.measure(metricBase);
  for (let p = 0; p < points.length; p++) {
    const point = points[p]!;
    const ordinal = ctx.batch.datapoints++;
    const stale = (point.flags & FLAG_NO_RECORDED_VALUE) !== 0;
    const problem =
      (nameProblem ? `metric name: ${nameProblem}` : undefined) ??
      mapPoint(ctx, metric, point, metricBase, baseMeasure, baseProto, stale);
    if (problem) {
      ctx.pending.length = 0;
      reject(ctx.batch, at(p), problem);
      continue;
    }
    for (const sample of ctx.pending) {
      ctx.batch.samples.push(stale ? { ...sample, value: Number.NaN, stale: true } : sample);
      ctx.batch.sourceOf.push(ordinal);
    }
    ctx.pending.length = 0;
  }
}

function temporalityName(t: number): string {
  return TEMPORALITY_NAMES[t] ?? 'unspecified';
}

/** Maps one point into ctx.pending; returns why it cannot be stored, or undefined. */
function mapPoint(
  ctx: Context,
  metric: OtlpMetric,
  point: NumberPoint | HistogramPoint | ExponentialHistogramPoint | SummaryPoint,
  base: Dims,
  baseMeasure: DimensionsMeasure,
  baseProto: boolean,
  stale: boolean,
): string | undefined {
  if (point.timeUnixNano === 0) return 'timeUnixNano is missing';
  const timestampMs = Math.floor(point.timeUnixNano / 1e6);
  const timeProblem = timestampProblem(timestampMs, ctx.window);
  if (timeProblem) return timeProblem;

  let dims: Dims = base;
  let size: Size = baseMeasure;
  let problem = baseMeasure.problem;
  let proto = baseProto;
  const attributes = point.attributes;
  if (attributes.length > 0) {
    const rules = ctx.rules;
    dims = { ...base };
    let count = baseMeasure.count;
    let bytes = baseMeasure.bytes;
    let own: string | undefined;
    for (let i = 0; i < attributes.length; i += 2) {
      const key = attributes[i]!;
      const value = attributes[i + 1]!;
      if (key === '__proto__') {
        proto = value !== '';
        continue;
      }
      if (Object.hasOwn(dims, key)) {
        count--;
        bytes -= rules.nameInfo(key).bytes + byteLength(dims[key]!);
        if (value === '') {
          delete dims[key];
          continue;
        }
      } else if (value === '') continue;
      const info = rules.nameInfo(key);
      own ??= info.problem;
      dims[key] = value;
      count++;
      bytes += info.bytes + byteLength(value);
    }
    if (baseMeasure.problem !== undefined) {
      // The point may have replaced the base's faulty dimension: judge the finished set.
      const m = rules.measure(dims);
      problem = own ?? m.problem;
      count = m.count;
      bytes = m.bytes;
    } else problem = own;
    size = { count, bytes };
  }
  const dimsProblem =
    problem ?? (proto ? PROTO_KEY_PROBLEM : undefined) ?? limitsProblem(size.count, size.bytes);
  if (dimsProblem) return dimsProblem;

  switch (metric.type) {
    case 'gauge':
    case 'sum': {
      // A no-recorded-value point needs no value: it becomes a stale marker.
      const value = (point as NumberPoint).value ?? (stale ? Number.NaN : undefined);
      if (value === undefined) return NO_VALUE;
      ctx.pending.push({ metric: metric.name, dimensions: dims, timestampMs, value });
      return undefined;
    }
    case 'histogram':
      return mapHistogram(ctx, metric.name, point as HistogramPoint, dims, size, timestampMs);
    case 'exponentialHistogram':
      return mapExponential(ctx, metric.name, point as ExponentialHistogramPoint, dims, size, timestampMs);
    case 'summary':
      return mapSummary(ctx, metric.name, point as SummaryPoint, dims, size, timestampMs);
    default:
      return undefined;
  }
}

/** count, sum, min, max: the series every histogram and summary shares. */
function addAggregates(
  ctx: Context,
  name: string,
  dims: Dims,
  timestampMs: number,
  point: {
    count: number | undefined;
    sum: number | undefined;
    min?: number | undefined;
    max?: number | undefined;
  },
): string | undefined {
  const series: [string, number | undefined][] = [
    ['_count', point.count],
    ['_sum', point.sum],
    ['_min', point.min],
    ['_max', point.max],
  ];
  for (const [suffix, value] of series) {
    if (value === undefined) continue;
    const metric = name + suffix;
    const problem = ctx.rules.metricProblem(metric);
    if (problem) return `metric name ${metric}: ${problem}`;
    ctx.pending.push({ metric, dimensions: dims, timestampMs, value });
  }
  return undefined;
}

/** A copy of dims with one more dimension (`le` or `quantile`), which must not be there already. */
function withLabel(dims: Dims, name: string, value: string): Dims | string {
  if (name in dims) return `attribute "${name}" collides with the ${name} dimension this metric type adds`;
  const out: Dims = { ...dims };
  out[name] = value;
  return out;
}

/** Dimensions and bytes of a point's dimension set. */
interface Size {
  readonly count: number;
  readonly bytes: number;
}

function addBuckets(
  ctx: Context,
  name: string,
  dims: Dims,
  size: Size,
  timestampMs: number,
  bounds: readonly string[],
  cumulative: readonly number[],
): string | undefined {
  if (bounds.length === 0) return undefined;
  const metric = `${name}_bucket`;
  const nameProblem = ctx.rules.metricProblem(metric);
  if (nameProblem) return `metric name ${metric}: ${nameProblem}`;
  let longest = 0;
  for (const b of bounds) longest = Math.max(longest, b.length);
  const fits = labelFits(size, OTEL_DIMENSIONS.bucketBound, longest);
  if (fits) return fits;
  for (let i = 0; i < bounds.length; i++) {
    const d = withLabel(dims, OTEL_DIMENSIONS.bucketBound, bounds[i]!);
    if (typeof d === 'string') return d;
    ctx.pending.push({ metric, dimensions: d, timestampMs, value: cumulative[i]! });
  }
  return undefined;
}

function mapHistogram(
  ctx: Context,
  name: string,
  point: HistogramPoint,
  dims: Dims,
  size: Size,
  timestampMs: number,
): string | undefined {
  const { bucketCounts, explicitBounds } = point;
  if (bucketCounts.length > 0 && bucketCounts.length !== explicitBounds.length + 1)
    return `bucketCounts has ${bucketCounts.length} entries; explicitBounds has ${explicitBounds.length}, so ${explicitBounds.length + 1} were expected`;
  for (let i = 0; i < explicitBounds.length; i++) {
    const b = explicitBounds[i]!;
    if (!Number.isFinite(b)) return `explicitBounds[${i}] is not a finite number`;
    if (i > 0 && b <= explicitBounds[i - 1]!) return 'explicitBounds are not strictly increasing';
  }
  const aggregates = addAggregates(ctx, name, dims, timestampMs, point);
  if (aggregates) return aggregates;
  if (bucketCounts.length === 0) return undefined;
  const bounds: string[] = [];
  const cumulative: number[] = [];
  let running = 0;
  for (let i = 0; i < bucketCounts.length; i++) {
    running += bucketCounts[i]!;
    bounds.push(i < explicitBounds.length ? formatBound(explicitBounds[i]!) : '+Inf');
    cumulative.push(running);
  }
  return addBuckets(ctx, name, dims, size, timestampMs, bounds, cumulative);
}

function mapExponential(
  ctx: Context,
  name: string,
  point: ExponentialHistogramPoint,
  dims: Dims,
  size: Size,
  timestampMs: number,
): string | undefined {
  const buckets = classicBuckets({
    schema: point.scale,
    count: point.count,
    zeroThreshold: point.zeroThreshold,
    zeroCount: point.zeroCount,
    negative: fromOtelBuckets(point.negative.offset, point.negative.bucketCounts),
    positive: fromOtelBuckets(point.positive.offset, point.positive.bucketCounts),
  });
  if (typeof buckets === 'string') return buckets;
  const histogram = ctx.nativeHistograms
    ? nativeFromOtel(point, dims[OTEL_DIMENSIONS.temporality] === 'delta' ? RESET_HINT_GAUGE : 0)
    : undefined;
  if (histogram) {
    ctx.pending.push({ metric: name, dimensions: dims, timestampMs, value: Number.NaN, histogram });
    return addAggregates(ctx, name, dims, timestampMs, {
      count: undefined,
      sum: undefined,
      min: point.min,
      max: point.max,
    });
  }
  const aggregates = addAggregates(ctx, name, dims, timestampMs, point);
  if (aggregates) return aggregates;
  return addBuckets(ctx, name, dims, size, timestampMs, buckets.bounds, buckets.cumulative);
}

function mapSummary(
  ctx: Context,
  name: string,
  point: SummaryPoint,
  dims: Dims,
  size: Size,
  timestampMs: number,
): string | undefined {
  const aggregates = addAggregates(ctx, name, dims, timestampMs, { count: point.count, sum: point.sum });
  if (aggregates) return aggregates;
  if (point.quantileValues.length === 0) return undefined;
  let longest = 0;
  for (const q of point.quantileValues) {
    if (!(q.quantile >= 0 && q.quantile <= 1)) return `quantile ${q.quantile} is outside 0…1`;
    longest = Math.max(longest, String(q.quantile).length);
  }
  const fits = labelFits(size, OTEL_DIMENSIONS.quantile, longest);
  if (fits) return fits;
  for (const q of point.quantileValues) {
    const d = withLabel(dims, OTEL_DIMENSIONS.quantile, String(q.quantile));
    if (typeof d === 'string') return d;
    ctx.pending.push({ metric: name, dimensions: d, timestampMs, value: q.value });
  }
  return undefined;
}
