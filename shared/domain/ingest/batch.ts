/**
 * The one batch every ingest format maps into: samples ready for a MetricStore (the Sample of
 * ../metrics.ts), plus what was refused and why, per source datapoint. A source datapoint is the
 * unit the protocol counts in: an OTLP data point (one histogram point becomes many samples) or a
 * remote-write sample.
 */
import {
  byteLength,
  type Dimensions,
  dimensionsProblem,
  LIMITS,
  metricNameProblem,
  type Sample,
  type WriteResult,
} from '../metrics';

/** How many rejections are described in full; the rest are counted. */
export const MAX_DESCRIBED_REJECTIONS = 10;

export interface IngestRejection {
  /** Where in the request, e.g. `resourceMetrics[0].scopeMetrics[0].metrics[2].dataPoints[5]`. */
  readonly where: string;
  readonly reason: string;
}

export interface IngestBatch {
  readonly samples: Sample[];
  /** For each sample, the ordinal of the source datapoint it came from. */
  readonly sourceOf: number[];
  /** Source datapoints in the request. */
  datapoints: number;
  /** Source datapoints refused while mapping. */
  rejected: number;
  /** The first MAX_DESCRIBED_REJECTIONS refusals, described. */
  readonly rejections: IngestRejection[];
  /** Datapoints that carry nothing to store by design: neither stored nor refused (stale markers are stored). */
  skipped: number;
}

/** How a batch is built for its store. */
export interface BatchOptions {
  /** The store keeps native histograms (MetricStore.nativeHistograms): they go to it as they came. */
  readonly nativeHistograms?: boolean;
}

export function emptyBatch(): IngestBatch {
  return { samples: [], sourceOf: [], datapoints: 0, rejected: 0, rejections: [], skipped: 0 };
}

export function reject(batch: IngestBatch, where: () => string, reason: string): void {
  batch.rejected++;
  if (batch.rejections.length < MAX_DESCRIBED_REJECTIONS) batch.rejections.push({ where: where(), reason });
}

/** What happened to a batch after the store had its say. */
export interface IngestOutcome {
  readonly datapoints: number;
  /** Source datapoints refused, by the mapping or by the store. */
  readonly rejected: number;
  readonly skipped: number;
  readonly samplesWritten: number;
  /** The samples the store kept (for afterWrite hooks). */
  readonly stored: readonly Sample[];
  readonly rejections: readonly IngestRejection[];
}

/** Folds the store's per-sample refusals back onto source datapoints. */
export function ingestOutcome(batch: IngestBatch, write: WriteResult): IngestOutcome {
  const rejections = [...batch.rejections];
  let rejected = batch.rejected;
  let stored: readonly Sample[] = batch.samples;
  if (write.rejected.length > 0) {
    const refusedSamples = new Set<number>();
    const refusedSources = new Set<number>();
    for (const r of write.rejected) {
      refusedSamples.add(r.index);
      const source = batch.sourceOf[r.index];
      if (source !== undefined && !refusedSources.has(source)) {
        refusedSources.add(source);
        if (rejections.length < MAX_DESCRIBED_REJECTIONS) {
          const sample = batch.samples[r.index];
          rejections.push({
            where: `sample ${sample?.metric ?? r.index}`,
            reason: `store refused it: ${r.reason}`,
          });
        }
      }
    }
    rejected += refusedSources.size;
    stored = batch.samples.filter((_, i) => !refusedSamples.has(i));
  }
  return {
    datapoints: batch.datapoints,
    rejected,
    skipped: batch.skipped,
    samplesWritten: stored.length,
    stored,
    rejections,
  };
}

/** One line for a caller: how many were refused and the first reasons. */
export function rejectionSummary(outcome: IngestOutcome, unit = 'data points'): string {
  if (outcome.rejected === 0) return '';
  const described = outcome.rejections.map((r) => `${r.where}: ${r.reason}`).join('; ');
  const more =
    outcome.rejected > outcome.rejections.length
      ? `; and ${outcome.rejected - outcome.rejections.length} more`
      : '';
  return `${outcome.rejected} of ${outcome.datapoints} ${unit} rejected: ${described}${more}`;
}

interface NameInfo {
  readonly problem: string | undefined;
  readonly bytes: number;
}

/**
 * Fast dimension and metric-name checks with the exact rules of ../metrics.ts (dimensionsProblem,
 * metricNameProblem), memoizing per-name verdicts: a request repeats the same few names thousands of
 * times. One instance per request keeps the memo bounded by the request.
 */
export class DimensionRules {
  private readonly names = new Map<string, NameInfo>();
  private readonly metricNames = new Map<string, string | undefined>();

  nameInfo(name: string): NameInfo {
    let info = this.names.get(name);
    if (info === undefined) {
      // A one-dimension set fails only for its name (a name is ≤ 60 bytes, far under the 2 KB total).
      let problem = dimensionsProblem({ [name]: 'x' });
      // `__proto__` would be the prototype, not a property, of a plain object.
      if (!problem && name === '__proto__') problem = 'dimension name "__proto__" is not allowed';
      info = { problem, bytes: byteLength(name) };
      this.names.set(name, info);
    }
    return info;
  }

  metricProblem(name: string): string | undefined {
    if (this.metricNames.has(name)) return this.metricNames.get(name);
    const problem = metricNameProblem(name);
    this.metricNames.set(name, problem);
    return problem;
  }

  /** Why a finished dimension set is not storable, or undefined (same verdicts as dimensionsProblem). */
  problem(dimensions: Dimensions): string | undefined {
    const m = this.measure(dimensions);
    return m.problem ?? limitsProblem(m.count, m.bytes);
  }

  /** A dimension set's first name/value problem, its size in dimensions and in bytes. */
  measure(dimensions: Dimensions): DimensionsMeasure {
    let count = 0;
    let bytes = 0;
    let problem: string | undefined;
    for (const name in dimensions) {
      const info = this.nameInfo(name);
      const value = dimensions[name]!;
      problem ??= info.problem ?? (value.length === 0 ? `dimension "${name}" has an empty value` : undefined);
      bytes += info.bytes + byteLength(value);
      count++;
    }
    return { problem, count, bytes };
  }
}

export interface DimensionsMeasure {
  readonly problem: string | undefined;
  readonly count: number;
  readonly bytes: number;
}

/** The count and total-size limits of a series' dimensions (the per-name rules are checked apart). */
export function limitsProblem(count: number, bytes: number): string | undefined {
  if (count > LIMITS.maxDimensionsPerSample) return `more than ${LIMITS.maxDimensionsPerSample} dimensions`;
  if (bytes > LIMITS.seriesDimensionsMaxBytes)
    return `dimension names and values together exceed ${LIMITS.seriesDimensionsMaxBytes} bytes`;
  return undefined;
}

/**
 * Whether one more dimension `name` (le, quantile), with values up to `longestValue` bytes, keeps a
 * series of `size` within the dimension count and byte limits; why not, or undefined.
 */
export function labelFits(
  size: { readonly count: number; readonly bytes: number },
  name: string,
  longestValue: number,
): string | undefined {
  const count = size.count + 1;
  const total = size.bytes + byteLength(name) + longestValue;
  if (count > LIMITS.maxDimensionsPerSample)
    return `more than ${LIMITS.maxDimensionsPerSample} dimensions with "${name}"`;
  if (total > LIMITS.seriesDimensionsMaxBytes)
    return `dimension names and values together exceed ${LIMITS.seriesDimensionsMaxBytes} bytes with "${name}"`;
  return undefined;
}
