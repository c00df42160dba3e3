/**
 * Records the metric metadata a request carried, skipping what this instance already recorded: a
 * remote write 2.0 sender repeats every series' metadata in every request, 1.0 every minute, so a
 * write per request would cost more than the samples. Never fails ingest: the samples are stored
 * by then; a failed record is logged and retried with the next request that carries the entries.
 */
import type { MetricMetadataEntry } from '#domain/metric-metadata';
import type { MetricMetadataStore } from '#ports/metric-metadata';

/** Entries remembered as recorded (tenant × metric); the memory is emptied when it fills. */
const MAX_REMEMBERED = 50_000;

export type MetadataRecorder = (tenantId: string, entries: readonly MetricMetadataEntry[]) => Promise<void>;

export function metadataRecorder(
  store: MetricMetadataStore,
  onError: (error: unknown) => void,
): MetadataRecorder {
  const recorded = new Map<string, string>();
  return async (tenantId, entries) => {
    const changed: MetricMetadataEntry[] = [];
    const fingerprints: [string, string][] = [];
    for (const e of entries) {
      const key = `${tenantId}\u0000${e.metric}`;
      const fingerprint = `${e.type}\u0000${e.unit}\u0000${e.help}`;
      if (recorded.get(key) === fingerprint) continue;
      changed.push(e);
      fingerprints.push([key, fingerprint]);
    }
    if (changed.length === 0) return;
    try {
      await store.record(tenantId, changed);
    } catch (error) {
      onError(error);
      return;
    }
    if (recorded.size + fingerprints.length > MAX_REMEMBERED) recorded.clear();
    for (const [key, fingerprint] of fingerprints) recorded.set(key, fingerprint);
  };
}
