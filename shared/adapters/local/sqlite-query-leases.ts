import { randomUUID } from 'node:crypto';
import { freeSlots, heldLeases, type LeaseSlot } from '#domain/query-leases';
import type { LeaseDecision, QueryLease, QueryLeases } from '#ports/query-leases';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/**
 * Local twin of DynamoDbQueryLeases: one row per slot, read and taken in one transaction, so every
 * process on the file (the local platform, tests' second instance) shares the tenant's cap.
 */
export class SqliteQueryLeases extends SqliteTenantTable implements QueryLeases {
  readonly dataName = 'query-leases';

  constructor(file: SqliteFile) {
    super(
      file,
      'query_leases',
      `CREATE TABLE IF NOT EXISTS query_leases (
        tenant_id TEXT NOT NULL, slot INTEGER NOT NULL, holder TEXT NOT NULL, expires_at_ms REAL NOT NULL,
        PRIMARY KEY (tenant_id, slot)) WITHOUT ROWID;`,
    );
  }

  async acquire(tenantId: string, limit: number, ttlMs: number, nowMs: number): Promise<LeaseDecision> {
    return this.inGroupCommit((): LeaseDecision => {
      const stored = this.statement(
        'SELECT slot, holder, expires_at_ms AS expiresAtMs FROM query_leases WHERE tenant_id = ?',
      ).all(tenantId) as unknown as LeaseSlot[];
      const [slot] = freeSlots(stored, limit, nowMs, Math.floor(Math.random() * limit));
      if (slot === undefined) return { granted: false, ...heldLeases(stored, nowMs) };
      const lease: QueryLease = { tenantId, slot, holder: randomUUID(), expiresAtMs: nowMs + ttlMs };
      this.statement(
        `INSERT INTO query_leases (tenant_id, slot, holder, expires_at_ms) VALUES (?, ?, ?, ?)
         ON CONFLICT (tenant_id, slot) DO UPDATE SET holder = excluded.holder, expires_at_ms = excluded.expires_at_ms`,
      ).run(tenantId, slot, lease.holder, lease.expiresAtMs);
      return { granted: true, lease };
    });
  }

  async release(lease: QueryLease): Promise<void> {
    await this.inGroupCommit(() =>
      this.statement('DELETE FROM query_leases WHERE tenant_id = ? AND slot = ? AND holder = ?').run(
        lease.tenantId,
        lease.slot,
        lease.holder,
      ),
    );
  }
}
