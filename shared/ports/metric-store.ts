import type { Sample, WriteResult } from '#domain/metrics';
import type { MetricQuery, Series } from '#domain/query';

/** Where samples live. Implementations: Timestream (AWS) and an embedded SQLite store (local). */
export interface MetricStore {
  /**
   * Writes samples for one tenant. Samples the store refuses come back in `rejected` with their index
   * in `samples`; a store outage throws UnavailableError (retryable), never a partial silent loss.
   * Writing the same series, timestamp and value twice is idempotent.
   */
  write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult>;
  /**
   * True when the store keeps Prometheus native histograms (AMP): write() then takes samples that
   * carry one (Sample.histogram). Otherwise ingest sends their classic buckets and never such a sample.
   */
  readonly nativeHistograms?: boolean;
  /** Series of one tenant answering the query; a tenant never sees another's series. */
  query(tenantId: string, query: MetricQuery): Promise<Series[]>;
}
