/**
 * Per-tenant query concurrency across every query function instance: a query runs only while it
 * holds one of the tenant's `limit` lease slots. A lease ends when released or, if its holder died
 * (a Lambda killed mid-query), when it expires; the TTL is longer than a query may run. Both
 * implementations (DynamoDB conditional writes, SQLite transactions) pass
 * test/query/query-leases.contract.ts.
 */
export interface QueryLease {
  readonly tenantId: string;
  readonly slot: number;
  /** Unique to this acquisition: a release only ends the lease it was given. */
  readonly holder: string;
  readonly expiresAtMs: number;
}

export type LeaseDecision =
  | { readonly granted: true; readonly lease: QueryLease }
  | {
      readonly granted: false;
      /** Leases the tenant holds now (at least `limit`). */
      readonly held: number;
      /** When the earliest held lease expires at the latest (a query usually ends well before). */
      readonly earliestExpiryMs: number;
    };

export interface QueryLeases {
  /** Takes a free (or expired) slot among the tenant's first `limit`, or refuses when all are held. */
  acquire(tenantId: string, limit: number, ttlMs: number, nowMs: number): Promise<LeaseDecision>;
  /** Gives the slot back; a no-op when the lease had expired and another query took the slot since. */
  release(lease: QueryLease): Promise<void>;
}
