/**
 * Prometheus remote write (decoded by shared/protocols/prometheus) into an IngestBatch:
 * `__name__` is the metric, every other label a dimension (a label with an empty value is absent, as
 * in Prometheus), timestamps are already milliseconds. Stale markers are skipped (Prometheus's way of
 * saying a series ended; they are not values). A sample is refused with its reason when its series
 * has no `__name__`, repeats a label, breaks a store limit, or its value or timestamp cannot be stored;
 * native histograms (not part of remote write 1.0) are refused too.
 */
import type { WriteRequest } from '../../protocols/prometheus/remote-write';
import { acceptedTimeWindow, timestampProblem } from '../metrics';
import { DimensionRules, emptyBatch, type IngestBatch, reject } from './batch';

export const METRIC_NAME_LABEL = '__name__';

export function remoteWriteToBatch(request: WriteRequest, nowMs: number): IngestBatch {
  const batch = emptyBatch();
  const rules = new DimensionRules();
  const window = acceptedTimeWindow(nowMs);
  const { timeseries } = request;
  for (let t = 0; t < timeseries.length; t++) {
    const series = timeseries[t]!;
    const { labels, samples } = series;
    let metric = '';
    let problem: string | undefined;
    const dims: Record<string, string> = {};
    for (let l = 0; l < labels.length; l++) {
      const { name, value } = labels[l]!;
      if (name === METRIC_NAME_LABEL) {
        if (metric !== '') problem ??= 'label __name__ appears twice';
        metric = value;
      } else if (value !== '') {
        if (name in dims) problem ??= `label "${name}" appears twice`;
        dims[name] = value;
      }
    }
    if (metric === '') problem ??= 'series has no __name__ label';
    else problem ??= rules.metricProblem(metric);
    problem ??= rules.problem(dims);
    const histograms = series.histogramCount ?? 0;
    if (histograms > 0) {
      const where = () => `timeseries[${t}] (${metric || 'unnamed'}).histograms`;
      for (let h = 0; h < histograms; h++) {
        batch.datapoints++;
        reject(batch, where, 'native histograms are not part of remote write 1.0 and are not stored');
      }
    }
    for (let s = 0; s < samples.length; s++) {
      const sample = samples[s]!;
      const ordinal = batch.datapoints++;
      if (sample.stale) {
        batch.skipped++;
        continue;
      }
      const where = () => `timeseries[${t}] (${metric || 'unnamed'}).samples[${s}]`;
      const sampleProblem =
        problem ??
        timestampProblem(sample.timestamp, window) ??
        (Number.isFinite(sample.value) ? undefined : `value ${sample.value} is not a finite number`);
      if (sampleProblem) {
        reject(batch, where, sampleProblem);
        continue;
      }
      batch.samples.push({ metric, dimensions: dims, timestampMs: sample.timestamp, value: sample.value });
      batch.sourceOf.push(ordinal);
    }
  }
  return batch;
}
