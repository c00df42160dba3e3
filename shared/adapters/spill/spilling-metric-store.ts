import { UnavailableError } from '../../domain/errors';
import type { Sample, WriteResult } from '../../domain/metrics';
import type { MetricQuery, Series } from '../../domain/query';
import type { MetricStore } from '../../ports/metric-store';

/** An accepted batch parked while the metric store is down. */
export interface SpilledBatch {
  readonly tenantId: string;
  readonly samples: readonly Sample[];
  /** Epoch ms when the batch was parked (for the age metric and for logs). */
  readonly spilledAtMs: number;
}

/**
 * Durable parking for accepted batches. `park` resolves only once the batch is durable (SQS accepted
 * it; the local file is fsynced), so an acknowledgement given after it never loses the batch.
 */
export interface SpillQueue {
  park(batch: SpilledBatch): Promise<void>;
}

/** What a replay of parked batches did. */
export interface ReplayReport {
  /** Batches written to the store and removed from the spill. */
  readonly replayed: number;
  /** Samples the store refused on replay (e.g. now out of retention); logged, not retried. */
  readonly rejectedSamples: number;
  /**
   * Batches left in the spill: the store is still down, or (local spill) their tenant's offboarding is
   * under way, which archives and deletes them itself.
   */
  readonly remaining: number;
  /** Batches moved aside because they cannot be read (dead letters). */
  readonly deadLettered: number;
  /** Batches deleted unwritten: their tenant is offboarded or unknown. */
  readonly dropped: number;
}

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
