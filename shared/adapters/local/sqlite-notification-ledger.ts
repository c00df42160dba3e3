import type { ClaimOutcome, NotificationLedger } from '#ports/notification-ledger';
import { inTransaction } from './sqlite';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** Claims between expired-claim sweeps (DynamoDB's TTL removes them there). */
const SWEEP_EVERY = 500;

/**
 * The local twin of DynamoDbNotificationLedger: the same claim condition, expired claims swept.
 * Offboarding's erase comes with the tenant table base.
 */
export class SqliteNotificationLedger extends SqliteTenantTable implements NotificationLedger {
  readonly dataName = 'notification-claims';
  private claims = 0;

  constructor(file: SqliteFile) {
    super(
      file,
      'notification_claims',
      `CREATE TABLE IF NOT EXISTS notification_claims (
        tenant_id TEXT NOT NULL, delivery_id TEXT NOT NULL, state TEXT NOT NULL, expires_at_s INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, delivery_id)) WITHOUT ROWID;`,
    );
  }

  async claim(
    tenantId: string,
    deliveryId: string,
    expiresAtMs: number,
    nowMs: number,
  ): Promise<ClaimOutcome> {
    const nowS = Math.floor(nowMs / 1000);
    return inTransaction(this.db, () => {
      if (++this.claims % SWEEP_EVERY === 0)
        this.statement('DELETE FROM notification_claims WHERE expires_at_s <= ?').run(nowS);
      const changes = this.statement(
        `INSERT INTO notification_claims (tenant_id, delivery_id, state, expires_at_s) VALUES (?, ?, 'sending', ?)
         ON CONFLICT (tenant_id, delivery_id) DO UPDATE SET state = 'sending', expires_at_s = excluded.expires_at_s
         WHERE notification_claims.expires_at_s <= ?`,
      ).run(tenantId, deliveryId, Math.ceil(expiresAtMs / 1000), nowS).changes;
      if (Number(changes) > 0) return 'claimed';
      const row = this.statement(
        'SELECT state FROM notification_claims WHERE tenant_id = ? AND delivery_id = ?',
      ).get(tenantId, deliveryId) as { state: string } | undefined;
      return row?.state === 'sent' ? 'sent' : 'sending';
    });
  }

  async confirm(tenantId: string, deliveryId: string, expiresAtMs: number): Promise<void> {
    this.statement(
      `INSERT OR REPLACE INTO notification_claims (tenant_id, delivery_id, state, expires_at_s)
       VALUES (?, ?, 'sent', ?)`,
    ).run(tenantId, deliveryId, Math.ceil(expiresAtMs / 1000));
  }

  async release(tenantId: string, deliveryId: string): Promise<void> {
    this.statement('DELETE FROM notification_claims WHERE tenant_id = ? AND delivery_id = ?').run(
      tenantId,
      deliveryId,
    );
  }

  /** The same records as the DynamoDB ledger exports. */
  override async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const rows = this.statement(
      'SELECT delivery_id, state, expires_at_s FROM notification_claims WHERE tenant_id = ? ORDER BY delivery_id',
    ).all(tenantId) as { delivery_id: string; state: string; expires_at_s: number }[];
    for (const row of rows)
      yield { deliveryId: row.delivery_id, state: row.state, expiresAt: Number(row.expires_at_s) };
  }

  /** Claims still stored (tests: expired ones are swept). */
  storedClaims(): number {
    return Number((this.statement('SELECT count(*) AS n FROM notification_claims').get() as { n: number }).n);
  }
}
