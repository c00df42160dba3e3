import type { Sample } from '#domain/metrics';

/** An accepted batch parked while the metric store is down. */
export interface SpilledBatch {
  readonly tenantId: string;
  readonly samples: readonly Sample[];
  /** Epoch ms when the batch was parked (for the age metric and for logs). */
  readonly spilledAtMs: number;
  /** How many times the replay parked these samples again after a retryable refusal (absent: 0). */
  readonly replays?: number;
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
