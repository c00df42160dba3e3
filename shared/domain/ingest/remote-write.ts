/**
 * Prometheus remote write 1.0 and 2.0 (read by shared/protocols/prometheus) into an IngestBatch:
 * `__name__` is the metric, every other label a dimension (a label with an empty value is absent, as
 * in Prometheus), timestamps are already milliseconds. Every IEEE value is stored (NaN, ±Inf); a
 * stale marker (Prometheus's way of saying a series ended) becomes a Sample flagged `stale`. A sample
 * is refused with its reason when its series has no `__name__`, repeats a label, breaks a store
 * limit, or its timestamp cannot be stored.
 *
 * Native histograms become classic series (native-histogram.ts): `<name>_bucket{le}`, `<name>_count`,
 * `<name>_sum`; each histogram is one source datapoint, refused whole or stored whole. For a store
 * that keeps native histograms (AMP: `nativeHistograms`), an exponential one (schema −4…8) stays one
 * native histogram sample instead, checked by the same rules; custom-bucket ones stay classic. Exemplars are
 * counted (no store keeps them); metadata (1.0 per family, 2.0 per series) is collected for the
 * metric-metadata store; 2.0's created timestamps are accepted and ignored, as Prometheus does with
 * created-timestamp zero ingestion off.
 */
import {
  type Histogram,
  replayWriteRequest,
  type WriteRequest,
  type WriteRequestSink,
} from '#protocols/prometheus/remote-write';
import { MetadataCollector, metadataEntry, metricTypeOf } from '../metric-metadata';
import {
  acceptedTimeWindow,
  byteLength,
  LIMITS,
  type Sample,
  type TimeWindow,
  timestampProblem,
} from '../metrics';
import { type BatchOptions, DimensionRules, emptyBatch, type IngestBatch, labelFits, reject } from './batch';
import {
  BUCKET_LABEL,
  CUSTOM_BUCKETS_SCHEMA,
  classicBuckets,
  type ExponentialHistogram,
  NATIVE_SCHEMA_MAX,
  NATIVE_SCHEMA_MIN,
} from './native-histogram';

export const METRIC_NAME_LABEL = '__name__';

/** What a label set maps to; depends on the labels alone, so it is kept with its labels identity. */
interface MappedLabels {
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly problem: string | undefined;
}

/** A remote-write batch: what every format maps to, plus what remote write counts apart. */
export interface RemoteWriteBatch extends IngestBatch {
  /** Ordinals (source datapoints) of the native histograms mapped to samples. */
  readonly histogramOrdinals: number[];
  /** Exemplars received (counted, not stored). */
  exemplars: number;
  /** Metric metadata the request carried. */
  readonly metadata: MetadataCollector;
}

/** Maps a decoded WriteRequest. */
export function remoteWriteToBatch(
  request: WriteRequest,
  nowMs: number,
  options: BatchOptions = {},
): RemoteWriteBatch {
  return remoteWriteBatchFrom((sink) => replayWriteRequest(request, sink), nowMs, options);
}

/**
 * Maps a WriteRequest as it is read (`read` feeds the sink, e.g. readRemoteWriteBody): no decoded
 * tree in between, which is what keeps remote write above a million samples per second per core.
 */
export function remoteWriteBatchFrom(
  read: (sink: WriteRequestSink) => void,
  nowMs: number,
  options: BatchOptions = {},
): RemoteWriteBatch {
  const native = options.nativeHistograms === true;
  const batch: RemoteWriteBatch = {
    ...emptyBatch(),
    histogramOrdinals: [],
    exemplars: 0,
    metadata: new MetadataCollector(),
  };
  const rules = new DimensionRules();
  const window = acceptedTimeWindow(nowMs);
  let seriesIndex = 0;
  read({
    series(series) {
      const { labels, labelCount, values, timestamps, stale, sampleCount, identity } = series;
      const t = seriesIndex++;
      let mapped = identity?.derived as MappedLabels | undefined;
      if (!mapped) {
        mapped = mapLabels(rules, labels, labelCount);
        if (identity) identity.derived = mapped;
      }
      const { metric, dimensions: dims, problem } = mapped;
      batch.exemplars += series.exemplarCount;
      if (series.metadata) {
        const { type, help, unit } = series.metadata;
        batch.metadata.addFields(metric, metricTypeOf(type), help, unit);
      }
      for (let h = 0; h < series.histograms.length; h++) {
        const ordinal = batch.datapoints++;
        const histogram = series.histograms[h]!;
        const where = () => `timeseries[${t}] (${metric || 'unnamed'}).histograms[${h}]`;
        const before = batch.samples.length;
        const histogramProblem =
          problem ??
          (native && histogram.schema >= NATIVE_SCHEMA_MIN && histogram.schema <= NATIVE_SCHEMA_MAX
            ? nativeSample(batch.samples, metric, dims, histogram, window)
            : histogram.stale
              ? staleHistogram(rules, batch.samples, metric, dims, histogram.timestamp, window)
              : mapHistogram(rules, batch.samples, metric, dims, histogram, window));
        if (histogramProblem) {
          batch.samples.length = before;
          reject(batch, where, histogramProblem);
          continue;
        }
        for (let i = before; i < batch.samples.length; i++) batch.sourceOf.push(ordinal);
        batch.histogramOrdinals.push(ordinal);
      }
      for (let s = 0; s < sampleCount; s++) {
        const ordinal = batch.datapoints++;
        const timestampMs = timestamps[s]!;
        const sampleProblem = problem ?? timestampProblem(timestampMs, window);
        if (sampleProblem) {
          reject(batch, () => `timeseries[${t}] (${metric || 'unnamed'}).samples[${s}]`, sampleProblem);
          continue;
        }
        // NaN and ±Inf are values; the stale marker is kept as a marker (the end of the series).
        batch.samples.push(
          stale[s] === 1
            ? { metric, dimensions: dims, timestampMs, value: Number.NaN, stale: true }
            : { metric, dimensions: dims, timestampMs, value: values[s]! },
        );
        batch.sourceOf.push(ordinal);
      }
    },
    metadata(m) {
      batch.metadata.add(metadataEntry(m.metricFamilyName, metricTypeOf(m.type), m.help, m.unit));
    },
  });
  return batch;
}

/** The native histogram as the shared converter reads it. */
function exponentialHistogram(h: Histogram): ExponentialHistogram {
  return {
    schema: h.schema,
    count: h.count,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount,
    negative: {
      spans: h.negativeSpans,
      counts: h.float ? h.negativeCounts : h.negativeDeltas,
      deltas: !h.float,
    },
    positive: {
      spans: h.positiveSpans,
      counts: h.float ? h.positiveCounts : h.positiveDeltas,
      deltas: !h.float,
    },
    ...(h.schema === CUSTOM_BUCKETS_SCHEMA ? { customBounds: h.customValues } : {}),
  };
}

/**
 * Appends the histogram as one native-histogram sample (a stale one as the series' stale marker),
 * after the checks the classic conversion makes; returns why it cannot be stored instead.
 */
function nativeSample(
  out: Sample[],
  metric: string,
  dimensions: Readonly<Record<string, string>>,
  h: Histogram,
  window: TimeWindow,
): string | undefined {
  const timestampMs = h.timestamp;
  const problem =
    timestampProblem(timestampMs, window) ?? (h.stale ? undefined : classicBuckets(exponentialHistogram(h)));
  if (typeof problem === 'string') return problem;
  const { timestamp: _timestamp, stale: _stale, ...histogram } = h;
  out.push(
    h.stale
      ? { metric, dimensions, timestampMs, value: Number.NaN, stale: true, histogram }
      : { metric, dimensions, timestampMs, value: Number.NaN, histogram },
  );
  return undefined;
}

/**
 * Appends a native histogram's classic series (`_bucket{le}`, `_count`, `_sum`) to `out`; returns why
 * it cannot be stored instead (the caller then drops what was appended).
 */
function mapHistogram(
  rules: DimensionRules,
  out: Sample[],
  metric: string,
  dimensions: Readonly<Record<string, string>>,
  h: Histogram,
  window: TimeWindow,
): string | undefined {
  const timestampMs = h.timestamp;
  const timeProblem = timestampProblem(timestampMs, window);
  if (timeProblem) return timeProblem;
  const buckets = classicBuckets(exponentialHistogram(h));
  if (typeof buckets === 'string') return buckets;
  if (Object.hasOwn(dimensions, BUCKET_LABEL))
    return `label "${BUCKET_LABEL}" collides with the bucket label a native histogram's buckets get`;
  for (const suffix of ['_bucket', '_count', '_sum']) {
    const nameProblem = rules.metricProblem(metric + suffix);
    if (nameProblem) return `metric name ${metric + suffix}: ${nameProblem}`;
  }
  let longest = 0;
  for (const bound of buckets.bounds) longest = Math.max(longest, bound.length);
  const measure = rules.measure(dimensions);
  const fits = labelFits(measure, BUCKET_LABEL, longest);
  if (fits) return fits;
  const bucketMetric = `${metric}_bucket`;
  for (let i = 0; i < buckets.bounds.length; i++)
    out.push({
      metric: bucketMetric,
      dimensions: { ...dimensions, [BUCKET_LABEL]: buckets.bounds[i]! },
      timestampMs,
      value: buckets.cumulative[i]!,
    });
  out.push({ metric: `${metric}_count`, dimensions, timestampMs, value: h.count });
  out.push({ metric: `${metric}_sum`, dimensions, timestampMs, value: h.sum });
  return undefined;
}

/**
 * A stale native histogram (sum = the stale NaN) ends its `_count` and `_sum` series with stale
 * markers; its buckets are not named by a stale histogram, so the `_bucket` series end by lookback.
 */
function staleHistogram(
  rules: DimensionRules,
  out: Sample[],
  metric: string,
  dimensions: Readonly<Record<string, string>>,
  timestampMs: number,
  window: TimeWindow,
): string | undefined {
  const timeProblem = timestampProblem(timestampMs, window);
  if (timeProblem) return timeProblem;
  for (const suffix of ['_count', '_sum']) {
    const nameProblem = rules.metricProblem(metric + suffix);
    if (nameProblem) return `metric name ${metric + suffix}: ${nameProblem}`;
    out.push({ metric: metric + suffix, dimensions, timestampMs, value: Number.NaN, stale: true });
  }
  return undefined;
}

/** What a remote-write request stored, for the X-Prometheus-Remote-Write-*-Written headers. */
export interface RemoteWriteWritten {
  readonly samples: number;
  readonly histograms: number;
  readonly exemplars: number;
}

/**
 * Written counts from the batch and the indices (into batch.samples) that were not stored: a float
 * sample counts when stored, a histogram when all its series were. Exemplars are accepted and
 * counted, though no store keeps them.
 */
export function remoteWriteWritten(batch: RemoteWriteBatch, notStored: Iterable<number>): RemoteWriteWritten {
  const refused = new Set<number>();
  for (const index of notStored) {
    const source = batch.sourceOf[index];
    if (source !== undefined) refused.add(source);
  }
  let histograms = 0;
  for (const ordinal of batch.histogramOrdinals) if (!refused.has(ordinal)) histograms++;
  const histogramSources = batch.histogramOrdinals.length;
  const histogramSamples = countHistogramSamples(batch);
  const floatSources = batch.samples.length - histogramSamples;
  const refusedFloat = refused.size - (histogramSources - histograms);
  return { samples: floatSources - refusedFloat, histograms, exemplars: batch.exemplars };
}

function countHistogramSamples(batch: RemoteWriteBatch): number {
  if (batch.histogramOrdinals.length === 0) return 0;
  const ordinals = new Set(batch.histogramOrdinals);
  let n = 0;
  for (const source of batch.sourceOf) if (ordinals.has(source)) n++;
  return n;
}

/** A series' metric, dimensions and (when it cannot be stored) why, from its labels. */
function mapLabels(rules: DimensionRules, labels: readonly string[], labelCount: number): MappedLabels {
  let metric = '';
  let problem: string | undefined;
  const dims: Record<string, string> = {};
  let count = 0;
  let total = 0;
  for (let i = 0; i < 2 * labelCount; i += 2) {
    const name = labels[i]!;
    const value = labels[i + 1]!;
    if (name === METRIC_NAME_LABEL) {
      if (metric !== '') problem ??= 'label __name__ appears twice';
      metric = value;
    } else if (value !== '') {
      if (problem === undefined) {
        const info = rules.nameInfo(name);
        if (info.problem) problem = info.problem;
        else if (Object.hasOwn(dims, name)) problem = `label "${name}" appears twice`;
        else {
          count++;
          total += info.bytes + byteLength(value);
        }
      }
      dims[name] = value;
    }
  }
  if (metric === '') problem ??= 'series has no __name__ label';
  else problem ??= rules.metricProblem(metric);
  if (problem === undefined && count > LIMITS.maxDimensionsPerSample)
    problem = `more than ${LIMITS.maxDimensionsPerSample} dimensions`;
  if (problem === undefined && total > LIMITS.seriesDimensionsMaxBytes)
    problem = `dimension names and values together exceed ${LIMITS.seriesDimensionsMaxBytes} bytes`;
  return { metric, dimensions: dims, problem };
}
