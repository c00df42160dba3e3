/**
 * Anything that holds a tenant's data implements this, so offboarding can export it and then erase
 * it without knowing every store (metric store, metadata, alert state, idempotency records …).
 */
export interface TenantDataHolder {
  /** A short name for the archive section, e.g. `metrics`, `metadata`, `alerts`. */
  readonly dataName: string;
  /** Every record the tenant owns, as JSON-serialisable objects (confidential fields stay encrypted). */
  exportTenant(tenantId: string): AsyncIterable<unknown>;
  /** Removes every record the tenant owns; returns how many were removed. */
  deleteTenant(tenantId: string): Promise<number>;
  /**
   * Set when the store cannot erase everything on demand (e.g. Timestream cannot delete records):
   * says what happens instead; offboarding reports it verbatim.
   */
  readonly erasureLimitation?: string;
  /** Set when erasure is more than deleting records (e.g. a dropped table): offboarding reports it. */
  readonly erasureMethod?: string;
  /**
   * Set when writes accepted before the tenant was suspended can still land this many seconds after
   * the erasure (a delivery buffer, e.g. Firehose): offboarding erases this holder again once that
   * time has passed (functions/offboarding/job.ts, the late erasure).
   */
  readonly lateWritesSeconds?: number;
}
