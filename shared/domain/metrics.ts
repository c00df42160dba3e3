/**
 * The one internal shape every ingest format maps into, and the limits every store can hold.
 * Limits follow Amazon Timestream for LiveAnalytics (the strictest store we write to), so a sample
 * that passes here is never refused by a store for its shape.
 */
import type { NativeHistogram } from './ingest/native-histogram';

export type Dimensions = Readonly<Record<string, string>>;

export interface Sample {
  /** Measure name: the OTLP metric name, the Prometheus `__name__`, or the native dataPointName. */
  readonly metric: string;
  readonly dimensions: Dimensions;
  readonly timestampMs: number;
  /** Any IEEE double: NaN, +Inf, -Inf and -0 are data like any other value. */
  readonly value: number;
  /**
   * Prometheus' stale marker: not a value but the end of the series at `timestampMs` (value is NaN).
   * A flag because V8 does not keep NaN payloads (special-values.ts); stores keep it as a marker.
   */
  readonly stale?: true;
  /**
   * A Prometheus native histogram, only for a store that keeps them (MetricStore.nativeHistograms);
   * `value` is then NaN and means nothing. Every other store gets classic buckets instead.
   */
  readonly histogram?: NativeHistogram;
}

export interface MetricBatch {
  readonly tenantId: string;
  readonly samples: readonly Sample[];
}

/** A sample a store (or a validator) refused, with the reason; never silently dropped. */
export interface RejectedSample {
  readonly index: number;
  readonly reason: string;
  /**
   * Set when the store says the refusal may pass later (e.g. Timestream right after a retention
   * change, a timestamp still ahead of the store's clock): the spill replay sends these again.
   */
  readonly retryable?: true;
}

export interface WriteResult {
  readonly accepted: number;
  readonly rejected: readonly RejectedSample[];
}

export const LIMITS = {
  /** Uncompressed request body. */
  maxBodyBytes: 1024 * 1024,
  metricNameMaxBytes: 256,
  dimensionNameMaxBytes: 60,
  /** Timestream: all dimension names and values of one series together. */
  seriesDimensionsMaxBytes: 2048,
  /** Timestream allows 128 dimensions per table; one is the tenant id. */
  maxDimensionsPerSample: 127,
  dimensionValueMaxBytes: 2048,
  /** How far back a sample may be: the memory-store retention of the Timestream table (CDK uses this). */
  memoryStoreRetentionHours: 24,
  /** Timestream refuses samples more than 15 minutes in the future. */
  futureSkewMs: 15 * 60 * 1000,
} as const;

/** Names the stores reserve for themselves; a dimension may not take them. */
export const RESERVED_DIMENSION_NAMES: ReadonlySet<string> = new Set([
  'tenant_id',
  'measure_name',
  'time',
  'value',
  // Timestream's column for NaN, ±Inf and stale markers (timestream-packing.ts SPECIAL_COLUMN).
  'special_value',
]);

const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_.:/-]*$/;
const DIMENSION_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** UTF-8 length of a string, without allocating (names are checked on the hot path). */
export function byteLength(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** Why a metric name is not storable, or undefined when it is. */
export function metricNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'metric name is empty';
  if (byteLength(name) > LIMITS.metricNameMaxBytes)
    return `metric name is longer than ${LIMITS.metricNameMaxBytes} bytes`;
  if (!METRIC_NAME.test(name))
    return 'metric name must start with a letter or underscore and use only letters, digits and _ . : / -';
  return undefined;
}

/** Why a dimension set is not storable, or undefined when it is. */
export function dimensionsProblem(dimensions: Dimensions): string | undefined {
  const names = Object.keys(dimensions);
  if (names.length > LIMITS.maxDimensionsPerSample)
    return `more than ${LIMITS.maxDimensionsPerSample} dimensions`;
  let total = 0;
  for (const name of names) {
    const value = dimensions[name] as string;
    if (!DIMENSION_NAME.test(name))
      return `dimension name "${name.slice(0, 80)}" must start with a letter or underscore and use only letters, digits and _ . -`;
    const nameBytes = byteLength(name);
    if (nameBytes > LIMITS.dimensionNameMaxBytes)
      return `dimension name "${name.slice(0, 80)}" is longer than ${LIMITS.dimensionNameMaxBytes} bytes`;
    if (RESERVED_DIMENSION_NAMES.has(name) || name.startsWith('ts_') || name.startsWith('measure_value'))
      return `dimension name "${name}" is reserved`;
    if (value.length === 0) return `dimension "${name}" has an empty value`;
    total += nameBytes + byteLength(value);
  }
  if (total > LIMITS.seriesDimensionsMaxBytes)
    return `dimension names and values together exceed ${LIMITS.seriesDimensionsMaxBytes} bytes`;
  return undefined;
}

export interface TimeWindow {
  readonly earliestMs: number;
  readonly latestMs: number;
}

/** The window of timestamps a store accepts at `nowMs`. */
export function acceptedTimeWindow(nowMs: number): TimeWindow {
  return {
    earliestMs: nowMs - LIMITS.memoryStoreRetentionHours * 3600_000,
    latestMs: nowMs + LIMITS.futureSkewMs,
  };
}

export function timestampProblem(timestampMs: number, window: TimeWindow): string | undefined {
  if (!Number.isSafeInteger(timestampMs)) return 'timestamp is not an integer';
  if (timestampMs < window.earliestMs)
    return `timestamp ${new Date(timestampMs).toISOString()} is older than the ${LIMITS.memoryStoreRetentionHours} h retention`;
  if (timestampMs > window.latestMs)
    return `timestamp ${new Date(timestampMs).toISOString()} is more than 15 minutes in the future`;
  return undefined;
}

/** Why a whole sample is not storable, or undefined when it is. */
export function sampleProblem(sample: Sample, window: TimeWindow): string | undefined {
  return (
    metricNameProblem(sample.metric) ??
    dimensionsProblem(sample.dimensions) ??
    timestampProblem(sample.timestampMs, window) ??
    (typeof sample.value === 'number' ? undefined : 'value is not a number')
  );
}

/**
 * The last key computed for a dimensions object. Decoders hand every sample of a series the same
 * (immutable) dimensions object, and the guard, the registry and the store each need the key: it is
 * built once per request, not three times.
 */
const keyOfDimensions = new WeakMap<Dimensions, { readonly metric: string; readonly key: string }>();

/** A stable key for a series: metric plus sorted dimensions. */
export function seriesKey(metric: string, dimensions: Dimensions): string {
  const cached = keyOfDimensions.get(dimensions);
  if (cached?.metric === metric) return cached.key;
  const names = Object.keys(dimensions);
  // Remote write and most collectors send names sorted already: check before paying for a sort.
  for (let i = 1; i < names.length; i++)
    if ((names[i - 1] as string) > (names[i] as string)) {
      names.sort();
      break;
    }
  let key = metric;
  for (const name of names) key += `\u0000${name}\u0001${dimensions[name]}`;
  keyOfDimensions.set(dimensions, { metric, key });
  return key;
}
