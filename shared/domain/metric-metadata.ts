/**
 * Metric metadata: what a sender says a metric is (type, help, unit), kept per tenant and metric
 * name (latest wins) and served as Prometheus' /api/v1/metadata serves it. Remote write 1.0 sends it
 * per metric family, 2.0 per series, OTLP per metric; all land here.
 */

/** Prometheus' metric types, spelled as /api/v1/metadata spells them. */
export const METRIC_TYPES = [
  'unknown',
  'counter',
  'gauge',
  'histogram',
  'gaugehistogram',
  'summary',
  'info',
  'stateset',
] as const;
export type MetricType = (typeof METRIC_TYPES)[number];

export interface MetricMetadataEntry {
  /** The metric name as stored (a histogram's or summary's base name, without `_bucket` etc.). */
  readonly metric: string;
  readonly type: MetricType;
  readonly help: string;
  readonly unit: string;
}

/** A help text longer than this is cut (a sender's help is prose, not data). */
export const MAX_HELP_BYTES = 1024;
/** Entries recorded from one request; a request naming more metrics records its first ones. */
export const MAX_METADATA_PER_REQUEST = 10_000;

/** The type of Prometheus' MetricType enum number (remote write 1.0 and 2.0 share the numbering). */
export function metricTypeOf(n: number): MetricType {
  return METRIC_TYPES[n] ?? 'unknown';
}

/** An entry, or undefined when it says nothing (no name, or unknown type with no help or unit). */
export function metadataEntry(metric: string, type: MetricType, help: string, unit: string) {
  if (metric === '' || (type === 'unknown' && help === '' && unit === '')) return undefined;
  const entry: MetricMetadataEntry = {
    metric,
    type,
    help: help.length > MAX_HELP_BYTES ? help.slice(0, MAX_HELP_BYTES) : help,
    unit,
  };
  return entry;
}

/** Collects a request's entries, one per metric (the last one sent wins), at most MAX_METADATA_PER_REQUEST. */
export class MetadataCollector {
  private readonly byMetric = new Map<string, MetricMetadataEntry>();

  /** Adds the entry these fields make (see metadataEntry), allocating only when it is news. */
  addFields(metric: string, type: MetricType, help: string, unit: string): void {
    const kept = this.byMetric.get(metric);
    if (kept && kept.type === type && kept.help === help && kept.unit === unit) return;
    this.add(metadataEntry(metric, type, help, unit));
  }

  add(entry: MetricMetadataEntry | undefined): void {
    if (!entry) return;
    if (this.byMetric.size >= MAX_METADATA_PER_REQUEST && !this.byMetric.has(entry.metric)) return;
    const kept = this.byMetric.get(entry.metric);
    if (kept && kept.type === entry.type && kept.help === entry.help && kept.unit === entry.unit) return;
    this.byMetric.set(entry.metric, entry);
  }

  entries(): MetricMetadataEntry[] {
    return [...this.byMetric.values()];
  }
}
