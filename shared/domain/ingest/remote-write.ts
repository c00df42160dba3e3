/**
 * Prometheus remote write (read by shared/protocols/prometheus) into an IngestBatch:
 * `__name__` is the metric, every other label a dimension (a label with an empty value is absent, as
 * in Prometheus), timestamps are already milliseconds. Every IEEE value is stored (NaN, ±Inf); a
 * stale marker (Prometheus's way of saying a series ended) becomes a Sample flagged `stale`. A sample
 * is refused with its reason when its series has no `__name__`, repeats a label, breaks a store
 * limit, or its timestamp cannot be stored;
 * native histograms (not part of remote write 1.0) are refused too.
 */
import {
  replayWriteRequest,
  type WriteRequest,
  type WriteRequestSink,
} from '../../protocols/prometheus/remote-write';
import { acceptedTimeWindow, byteLength, LIMITS, timestampProblem } from '../metrics';
import { DimensionRules, emptyBatch, type IngestBatch, reject } from './batch';

export const METRIC_NAME_LABEL = '__name__';

/** What a label set maps to; depends on the labels alone, so it is kept with its labels identity. */
interface MappedLabels {
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly problem: string | undefined;
}

/** Maps a decoded WriteRequest. */
export function remoteWriteToBatch(request: WriteRequest, nowMs: number): IngestBatch {
  return remoteWriteBatchFrom((sink) => replayWriteRequest(request, sink), nowMs);
}

/**
 * Maps a WriteRequest as it is read (`read` feeds the sink, e.g. readRemoteWriteBody): no decoded
 * tree in between, which is what keeps remote write above a million samples per second per core.
 */
export function remoteWriteBatchFrom(read: (sink: WriteRequestSink) => void, nowMs: number): IngestBatch {
  const batch = emptyBatch();
  const rules = new DimensionRules();
  const window = acceptedTimeWindow(nowMs);
  let seriesIndex = 0;
  read({
    series(labels, labelCount, values, timestamps, stale, sampleCount, histogramCount, identity) {
      const t = seriesIndex++;
      let mapped = identity?.derived as MappedLabels | undefined;
      if (!mapped) {
        mapped = mapLabels(rules, labels, labelCount);
        if (identity) identity.derived = mapped;
      }
      const { metric, dimensions: dims, problem } = mapped;
      for (let h = 0; h < histogramCount; h++) {
        batch.datapoints++;
        reject(
          batch,
          () => `timeseries[${t}] (${metric || 'unnamed'}).histograms`,
          'native histograms are not part of remote write 1.0 and are not stored',
        );
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
    metadata() {
      // Metric metadata (type, help, unit) is not stored.
    },
  });
  return batch;
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
