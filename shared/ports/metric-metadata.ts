/**
 * Metric metadata per tenant: what senders say each metric is (type, help, unit; remote write 1.0
 * and 2.0, OTLP), one entry per metric name, the latest recorded wins. The PromQL API serves
 * /api/v1/metadata from `list`. Adapters are TenantDataHolders (offboarding exports and erases it).
 */
import type { MetricMetadataEntry } from '#domain/metric-metadata';

export type { MetricMetadataEntry, MetricType } from '#domain/metric-metadata';

export interface MetricMetadataQuery {
  /** Only this metric's entry. */
  readonly metric?: string;
  /** At most this many entries (metrics), the first by name. */
  readonly limit?: number;
}

export interface MetricMetadataStore {
  /** Keeps each entry as its metric's metadata, replacing what was kept. */
  record(tenantId: string, entries: readonly MetricMetadataEntry[]): Promise<void>;
  /** The tenant's entries by metric name, ascending. */
  list(tenantId: string, query?: MetricMetadataQuery): Promise<MetricMetadataEntry[]>;
}

/** Entries in the order and shape of Prometheus' /api/v1/metadata `data`: metric → [{type, help, unit}]. */
export function prometheusMetadataData(
  entries: readonly MetricMetadataEntry[],
): Record<string, { type: string; help: string; unit: string }[]> {
  const data: Record<string, { type: string; help: string; unit: string }[]> = {};
  for (const e of entries) data[e.metric] = [{ type: e.type, help: e.help, unit: e.unit }];
  return data;
}
