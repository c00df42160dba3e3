/**
 * Exponential (native) histograms as classic cumulative buckets: the one conversion behind OTLP
 * ExponentialHistogram points and Prometheus native histograms (remote write 1.0 field 4, 2.0
 * histograms), so both protocols store the same series for the same histogram. The README's
 * "OTLP and Prometheus remote write" section repeats these rules for users.
 *
 * - Prometheus's schema is OpenTelemetry's scale: base = 2^(2^−schema). Prometheus numbers a bucket
 *   by its upper bound, OpenTelemetry by its lower one, so Prometheus index = OpenTelemetry index + 1:
 *   positive bucket i is (base^(i−1), base^i], negative bucket i is [−base^i, −base^(i−1)).
 * - Classic buckets, ascending: the negative buckets (upper bound −base^(i−1), highest index first),
 *   the zero bucket (upper bound zero_threshold), the positive buckets (upper bound base^i), `+Inf`
 *   (the histogram's count); each value is the cumulative count up to that bound. Where a bucket's
 *   lower bound is not the previous bound (skipped empty buckets, around the zero bucket), an empty
 *   bucket at that lower bound comes first, so histogram_quantile over the classic buckets
 *   interpolates as Prometheus does over the native histogram.
 * - Custom buckets (schema −53, Prometheus' classic layout carried natively): positive bucket i has
 *   upper bound custom_values[i]; the one at index len(custom_values) is the `+Inf` bucket.
 * - Integer histograms carry bucket deltas (each bucket's count minus the previous one's, across
 *   spans); float histograms carry absolute counts.
 */

import type { Histogram } from '#protocols/prometheus/remote-write';

/** A run of consecutive buckets; for every span after the first, offset is the gap after the previous run. */
export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

/** One side (positive or negative) of an exponential histogram, in Prometheus numbering. */
export interface SparseBuckets {
  readonly spans: readonly BucketSpan[];
  /** One per bucket of the spans: absolute counts, or (when `deltas`) differences from the previous bucket. */
  readonly counts: readonly number[];
  readonly deltas: boolean;
}

export interface ExponentialHistogram {
  readonly schema: number;
  /** Observations in all buckets (the `+Inf` bucket). */
  readonly count: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly negative: SparseBuckets;
  readonly positive: SparseBuckets;
  /** Upper bounds of the custom buckets (schema −53 only). */
  readonly customBounds?: readonly number[];
}

/**
 * A native histogram as remote write carries it (prompb.Histogram) without its timestamp and stale
 * flag, which the Sample carrying it holds: what a store that keeps native histograms (AMP) is sent
 * unchanged. `float` says the counts are absolute (`*Counts`), otherwise deltas (`*Deltas`).
 */
export type NativeHistogram = Omit<Histogram, 'timestamp' | 'stale'>;

/** Prometheus' reset hint for a gauge histogram (its counts may go down without a reset). */
export const RESET_HINT_GAUGE = 3;
/** The schemas Prometheus and AMP accept for exponential native histograms. */
export const NATIVE_SCHEMA_MIN = -4;
export const NATIVE_SCHEMA_MAX = 8;

/** The dimension a classic bucket's upper bound is written in. */
export const BUCKET_LABEL = 'le';

/** Classic buckets: `le` label values (`+Inf` last) and the cumulative count at each. */
export interface ClassicBuckets {
  readonly bounds: string[];
  readonly cumulative: number[];
}

/** More buckets than this on one side of one histogram is refused, not stored. */
export const MAX_BUCKETS_PER_POINT = 1024;
export const CUSTOM_BUCKETS_SCHEMA = -53;
const MIN_SCHEMA = -10;
const MAX_SCHEMA = 20;

/** OpenTelemetry's dense buckets (offset = index of the first, lower-bound numbering) in Prometheus' form. */
export function fromOtelBuckets(offset: number, bucketCounts: readonly number[]): SparseBuckets {
  return {
    spans: bucketCounts.length > 0 ? [{ offset: offset + 1, length: bucketCounts.length }] : [],
    counts: bucketCounts,
    deltas: false,
  };
}

/** The `le` label spelling of a bound: JavaScript number spelling, `+Inf`/`-Inf` for infinities. */
export function formatBound(bound: number): string {
  if (bound === Number.POSITIVE_INFINITY) return '+Inf';
  if (bound === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(bound);
}

/** The histogram's classic buckets, or why it cannot be converted. Work is bounded by MAX_BUCKETS_PER_POINT. */
export function classicBuckets(h: ExponentialHistogram): ClassicBuckets | string {
  // Custom buckets need their bounds: an OpenTelemetry scale of −53 is just out of range.
  const custom = h.schema === CUSTOM_BUCKETS_SCHEMA && h.customBounds !== undefined;
  if (!custom && !(h.schema >= MIN_SCHEMA && h.schema <= MAX_SCHEMA))
    return `schema (scale) ${h.schema} is outside ${MIN_SCHEMA}…${MAX_SCHEMA} and is not ${CUSTOM_BUCKETS_SCHEMA} (custom buckets)`;
  const sideProblem = bucketsProblem(h.negative) ?? bucketsProblem(h.positive);
  if (sideProblem) return sideProblem;
  if (!(Number.isFinite(h.count) && h.count >= 0)) return `count ${h.count} is not a finite number ≥ 0`;

  const out: ClassicBuckets = { bounds: [], cumulative: [] };
  let running = 0;
  let previous = Number.NEGATIVE_INFINITY;
  /**
   * Before a bucket whose lower bound is not the previous bucket's upper bound (the first bucket, one
   * after empty buckets the spans skip, the zero bucket and the one after it), an empty bucket at that
   * lower bound: histogram_quantile interpolates within a classic bucket from the previous bound, and
   * Prometheus interpolates within a native bucket from its own lower bound. So the two agree.
   */
  const lowerBound = (bound: number): string | undefined => (bound > previous ? push(bound, 0) : undefined);
  const push = (bound: number, count: number): string | undefined => {
    if (!Number.isFinite(bound)) return 'a bucket bound is outside the range of a double';
    if (!(count >= 0 && Number.isFinite(count))) return `bucket count ${count} is not a finite number ≥ 0`;
    if (bound <= previous) return `two buckets share the upper bound ${formatBound(bound)}`;
    previous = bound;
    running += count;
    out.bounds.push(formatBound(bound));
    out.cumulative.push(running);
    return undefined;
  };

  if (custom) {
    const bounds = h.customBounds ?? [];
    for (let i = 0; i < bounds.length; i++)
      if (!Number.isFinite(bounds[i]!) || (i > 0 && bounds[i]! <= bounds[i - 1]!))
        return 'custom bucket bounds are not finite and strictly increasing';
    if (h.negative.counts.length > 0) return 'a custom-bucket histogram has negative buckets';
    let problem: string | undefined;
    forEachBucket(h.positive, (index, count) => {
      if (problem) return;
      if (index < 0 || index > bounds.length)
        problem = `bucket index ${index} is outside the ${bounds.length} custom bounds`;
      // Index len(bounds) is the +Inf bucket: the count below covers it.
      else if (index < bounds.length)
        problem = (index > 0 ? lowerBound(bounds[index - 1]!) : undefined) ?? push(bounds[index]!, count);
      else if (!(count >= 0)) problem = `bucket count ${count} is not a finite number ≥ 0`;
    });
    if (problem) return problem;
  } else {
    if (!(Number.isFinite(h.zeroThreshold) && h.zeroThreshold >= 0))
      return 'zeroThreshold is not a finite number ≥ 0';
    // Negative buckets in ascending order of their upper bound −base^(i−1): highest index first.
    const negative: number[] = [];
    forEachBucket(h.negative, (index, count) => negative.push(index, count));
    for (let k = negative.length - 2; k >= 0; k -= 2) {
      const problem =
        lowerBound(-exponentialBound(negative[k]!, h.schema)) ??
        push(-exponentialBound(negative[k]! - 1, h.schema), negative[k + 1]!);
      if (problem) return problem;
    }
    // The zero bucket is [−threshold, threshold]; Prometheus takes 0 as its lower bound when there are
    // no negative buckets, as a classic first bucket with a positive bound does.
    const zeroLower = negative.length > 0 && h.zeroThreshold > 0 ? lowerBound(-h.zeroThreshold) : undefined;
    if (zeroLower) return zeroLower;
    const zero = push(h.zeroThreshold, h.zeroCount);
    if (zero) return zero;
    let problem: string | undefined;
    forEachBucket(h.positive, (index, count) => {
      if (problem) return;
      const upper = exponentialBound(index, h.schema);
      problem =
        upper <= h.zeroThreshold
          ? 'a positive bucket lies inside the zero bucket'
          : (lowerBound(exponentialBound(index - 1, h.schema)) ?? push(upper, count));
    });
    if (problem) return problem;
  }
  out.bounds.push('+Inf');
  out.cumulative.push(h.count);
  return out;
}

/** base^index, base = 2^(2^−schema): the upper bound of positive bucket `index` (Prometheus numbering). */
export function exponentialBound(index: number, schema: number): number {
  return 2 ** (index * 2 ** -schema);
}

/** One non-empty bucket of a native histogram as Prometheus' HTTP API reports it (its count not cumulative). */
export interface ReportedBucket {
  readonly lower: number;
  readonly upper: number;
  readonly count: number;
}

/**
 * Classic buckets of a native histogram read back through Prometheus' HTTP API (AMP's answer to a
 * query), by the same rules as classicBuckets, so a histogram stored natively reads back as the
 * `_bucket` series the conversion would have stored. The API reports bounds rounded by its own
 * arithmetic and leaves out empty buckets: each exponential bucket's bounds are recomputed from the
 * schema and index its width and position imply (as classicBuckets computes them), and a bound where
 * the cumulative count does not change (an empty zero bucket, a run of empty buckets) may be absent.
 */
export function classicBucketsFromReported(
  count: number,
  reported: readonly ReportedBucket[],
): ClassicBuckets {
  const out: ClassicBuckets = { bounds: [], cumulative: [] };
  let running = 0;
  let previous = Number.NEGATIVE_INFINITY;
  const push = (bound: number, n: number) => {
    previous = bound;
    running += n;
    out.bounds.push(formatBound(bound));
    out.cumulative.push(running);
  };
  const sorted = [...reported].sort((a, b) => a.upper - b.upper);
  for (const bucket of sorted) {
    if (bucket.lower <= 0 && bucket.upper >= 0) {
      // The zero bucket [−threshold, threshold]: its lower bound only after negative buckets, as
      // classicBuckets writes it.
      if (previous > Number.NEGATIVE_INFINITY && bucket.upper > 0 && -bucket.upper > previous)
        push(-bucket.upper, 0);
      if (bucket.upper > previous) push(bucket.upper, bucket.count);
      else running += bucket.count;
      continue;
    }
    const [lower, upper] = exponentialBounds(bucket.lower, bucket.upper);
    if (lower > previous) push(lower, 0);
    if (upper > previous) push(upper, bucket.count);
    else running += bucket.count;
  }
  out.bounds.push('+Inf');
  out.cumulative.push(count);
  return out;
}

/**
 * The bounds of the exponential bucket reported as (lower, upper], as exponentialBound computes them:
 * its schema from the ratio of its bounds (base = 2^(2^−schema)), its index from the larger bound.
 * Bounds that fit no schema of NATIVE_SCHEMA_MIN…NATIVE_SCHEMA_MAX are kept as reported.
 */
function exponentialBounds(lower: number, upper: number): [number, number] {
  const small = Math.min(Math.abs(lower), Math.abs(upper));
  const big = Math.max(Math.abs(lower), Math.abs(upper));
  const schema = Math.round(-Math.log2(Math.log2(big / small)));
  if (!(schema >= NATIVE_SCHEMA_MIN && schema <= NATIVE_SCHEMA_MAX)) return [lower, upper];
  const index = Math.round(Math.log2(big) * 2 ** schema);
  const hi = exponentialBound(index, schema);
  const lo = exponentialBound(index - 1, schema);
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.abs(b);
  if (!(close(hi, big) && close(lo, small))) return [lower, upper];
  return upper > 0 ? [lo, hi] : [-hi, -lo];
}

/** Why one side's spans and counts do not fit together, or undefined. */
function bucketsProblem(side: SparseBuckets): string | undefined {
  if (side.counts.length > MAX_BUCKETS_PER_POINT)
    return `more than ${MAX_BUCKETS_PER_POINT} buckets on one side`;
  let covered = 0;
  for (let s = 0; s < side.spans.length; s++) {
    const span = side.spans[s]!;
    if (s > 0 && span.offset < 0) return `bucket span ${s} has a negative offset`;
    covered += span.length;
  }
  if (covered !== side.counts.length)
    return `bucket spans cover ${covered} buckets, but ${side.counts.length} counts are given`;
  return undefined;
}

/** Calls `each(index, absolute count)` for every bucket, in index order (spans checked by bucketsProblem). */
function forEachBucket(side: SparseBuckets, each: (index: number, count: number) => void): void {
  let k = 0;
  let index = 0;
  let count = 0;
  for (let s = 0; s < side.spans.length; s++) {
    const span = side.spans[s]!;
    index += span.offset;
    for (let j = 0; j < span.length; j++, k++, index++) {
      count = side.deltas ? count + side.counts[k]! : side.counts[k]!;
      each(index, count);
    }
  }
}

/** The OpenTelemetry exponential histogram fields nativeFromOtel reads. */
export interface OtelExponentialPoint {
  readonly scale: number;
  readonly count: number;
  readonly sum: number | undefined;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: { readonly offset: number; readonly bucketCounts: readonly number[] };
  readonly negative: { readonly offset: number; readonly bucketCounts: readonly number[] };
}

/**
 * An OpenTelemetry exponential histogram as a Prometheus native histogram, as Prometheus' own OTLP
 * translator builds it: an integer histogram (bucket deltas), one span per side, sum 0 when the point
 * has none, a scale above NATIVE_SCHEMA_MAX merged down to it (each step adds pairs of adjacent
 * buckets). Undefined for a scale below NATIVE_SCHEMA_MIN, which no Prometheus stores natively.
 */
export function nativeFromOtel(point: OtelExponentialPoint, resetHint: number): NativeHistogram | undefined {
  if (!(point.scale >= NATIVE_SCHEMA_MIN)) return undefined;
  const positive = downscaled(point.positive.offset, point.positive.bucketCounts, point.scale);
  const negative = downscaled(point.negative.offset, point.negative.bucketCounts, point.scale);
  return {
    count: point.count,
    float: false,
    sum: point.sum ?? 0,
    schema: Math.min(point.scale, NATIVE_SCHEMA_MAX),
    zeroThreshold: point.zeroThreshold,
    zeroCount: point.zeroCount,
    negativeSpans: sparseSpans(negative),
    negativeDeltas: deltasOf(negative.counts),
    negativeCounts: [],
    positiveSpans: sparseSpans(positive),
    positiveDeltas: deltasOf(positive.counts),
    positiveCounts: [],
    resetHint,
    customValues: [],
  };
}

/** Dense OpenTelemetry buckets at `scale` merged down to NATIVE_SCHEMA_MAX (bounded by the bucket count). */
function downscaled(
  offset: number,
  counts: readonly number[],
  scale: number,
): { offset: number; counts: readonly number[] } {
  let o = offset;
  let c = counts;
  for (let s = scale; s > NATIVE_SCHEMA_MAX && c.length > 0; s--) {
    // OpenTelemetry index i at scale s lies in bucket i >> 1 at scale s − 1.
    const merged: number[] = [];
    const first = o >> 1;
    for (let i = 0; i < c.length; i++) {
      const k = ((o + i) >> 1) - first;
      merged[k] = (merged[k] ?? 0) + c[i]!;
    }
    o = first;
    c = merged;
  }
  return { offset: o, counts: c };
}

/** One span for the dense buckets, in Prometheus numbering (index + 1). */
function sparseSpans(side: { offset: number; counts: readonly number[] }): BucketSpan[] {
  return side.counts.length > 0 ? [{ offset: side.offset + 1, length: side.counts.length }] : [];
}

function deltasOf(counts: readonly number[]): number[] {
  const out = new Array<number>(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i]! - (i > 0 ? counts[i - 1]! : 0);
  return out;
}
