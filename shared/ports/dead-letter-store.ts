import type { TenantDataHolder } from './tenant-data';

/** What produced a dead letter: an alert event the bus refused for good, or a parked sample batch. */
export type DeadLetterSource = 'alert-event' | 'spill-replay';

/**
 * Something the platform could not deliver and will never retry on its own, kept for an operator
 * (RUNBOOK "Dead letters"): what it was, whose, and why it was refused.
 */
export interface DeadLetter {
  readonly source: DeadLetterSource;
  readonly tenantId: string;
  /** The refusal as the dependency gave it, e.g. `MalformedDetail: …`. */
  readonly reason: string;
  /** The refused item, JSON-serialisable (an alert event; refused samples). */
  readonly payload: unknown;
  readonly atMs: number;
}

/**
 * Dead letters per tenant (DynamoDB in AWS, SQLite locally), kept 14 days, part of the tenant's data
 * (exported and erased on offboarding).
 */
export interface DeadLetterStore extends TenantDataHolder {
  put(letters: readonly DeadLetter[]): Promise<void>;
  /** A tenant's dead letters, oldest first. */
  list(tenantId: string, limit: number): Promise<DeadLetter[]>;
}

/** How long a dead letter is kept: long enough for an operator to look after a weekend alarm. */
export const DEAD_LETTER_RETENTION_MS = 14 * 24 * 3_600_000;
