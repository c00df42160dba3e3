import { UnavailableError } from '#domain/errors';
import type { Sample, WriteResult } from '#domain/metrics';
import type { MetricQuery, Series } from '#domain/query';
import type { MetricStore } from '#ports/metric-store';
import type { SpilledBatch, SpillQueue } from '#ports/spill-queue';

export interface SpillingMetricStoreOptions {
  readonly now?: () => number;
  /** Told each time a batch is parked (EMF metric, log). */
  readonly onSpill?: (batch: SpilledBatch, cause: UnavailableError) => void;
}

/**
 * A MetricStore decorator that never loses an accepted batch to a store outage: when the store
 * throws UnavailableError, the batch is parked on a durable spill and the write reports success; a
 * replay drains the spill later. Writes are idempotent (same series, time and value), so a batch
 * half-written before the outage and replayed whole is stored exactly once. When the spill itself
 * fails, the original 503 goes through and the collector retries.
 */
export class SpillingMetricStore implements MetricStore {
  private readonly now: () => number;

  constructor(
    private readonly store: MetricStore,
    private readonly spill: SpillQueue,
    private readonly options: SpillingMetricStoreOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The spill keeps native histograms as it keeps any sample; the store decides. */
  get nativeHistograms(): boolean {
    return this.store.nativeHistograms === true;
  }

  async write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    try {
      return await this.store.write(tenantId, samples);
    } catch (error) {
      if (!(error instanceof UnavailableError)) throw error;
      const batch: SpilledBatch = { tenantId, samples, spilledAtMs: this.now() };
      try {
        await this.spill.park(batch);
      } catch (spillError) {
        // Neither the store nor the spill holds the batch: the collector must retry it.
        throw new UnavailableError(error.message, error.retryAfterSeconds, { cause: spillError });
      }
      this.options.onSpill?.(batch, error);
      return { accepted: samples.length, rejected: [] };
    }
  }

  query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    return this.store.query(tenantId, query);
  }
}
