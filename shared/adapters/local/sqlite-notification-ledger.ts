import type { DatabaseSync } from 'node:sqlite';
import type { ClaimOutcome, NotificationLedger } from '../../ports/notification-ledger';
import { inTransaction, openDatabase } from './sqlite';

/** Claims between expired-claim sweeps (DynamoDB's TTL removes them there). */
const SWEEP_EVERY = 500;

/** The local twin of DynamoDbNotificationLedger: the same claim condition, expired claims swept. */
export class SqliteNotificationLedger implements NotificationLedger {
  private readonly db: DatabaseSync;
  private claims = 0;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.db.exec(`CREATE TABLE IF NOT EXISTS notification_claims (
      tenant_id TEXT NOT NULL, delivery_id TEXT NOT NULL, state TEXT NOT NULL, expires_at_s INTEGER NOT NULL,
      PRIMARY KEY (tenant_id, delivery_id)) WITHOUT ROWID;`);
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
        this.db.prepare('DELETE FROM notification_claims WHERE expires_at_s <= ?').run(nowS);
      const changes = this.db
        .prepare(
          `INSERT INTO notification_claims (tenant_id, delivery_id, state, expires_at_s) VALUES (?, ?, 'sending', ?)
           ON CONFLICT (tenant_id, delivery_id) DO UPDATE SET state = 'sending', expires_at_s = excluded.expires_at_s
           WHERE notification_claims.expires_at_s <= ?`,
        )
        .run(tenantId, deliveryId, Math.ceil(expiresAtMs / 1000), nowS).changes;
      if (Number(changes) > 0) return 'claimed';
      const row = this.db
        .prepare('SELECT state FROM notification_claims WHERE tenant_id = ? AND delivery_id = ?')
        .get(tenantId, deliveryId) as { state: string } | undefined;
      return row?.state === 'sent' ? 'sent' : 'sending';
    });
  }

  async confirm(tenantId: string, deliveryId: string, expiresAtMs: number): Promise<void> {
    this.db
      .prepare(
        `INSERT OR REPLACE INTO notification_claims (tenant_id, delivery_id, state, expires_at_s)
         VALUES (?, ?, 'sent', ?)`,
      )
      .run(tenantId, deliveryId, Math.ceil(expiresAtMs / 1000));
  }

  async release(tenantId: string, deliveryId: string): Promise<void> {
    this.db
      .prepare('DELETE FROM notification_claims WHERE tenant_id = ? AND delivery_id = ?')
      .run(tenantId, deliveryId);
  }

  /** Offboarding: the archive section name, see TenantDataHolder. */
  readonly dataName = 'notification-claims';

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const rows = this.db
      .prepare(
        'SELECT delivery_id, state, expires_at_s FROM notification_claims WHERE tenant_id = ? ORDER BY delivery_id',
      )
      .all(tenantId) as { delivery_id: string; state: string; expires_at_s: number }[];
    for (const row of rows)
      yield { deliveryId: row.delivery_id, state: row.state, expiresAt: Number(row.expires_at_s) };
  }

  async deleteTenant(tenantId: string): Promise<number> {
    return Number(
      this.db.prepare('DELETE FROM notification_claims WHERE tenant_id = ?').run(tenantId).changes,
    );
  }

  /** Claims still stored (tests: expired ones are swept). */
  storedClaims(): number {
    return Number(
      (this.db.prepare('SELECT count(*) AS n FROM notification_claims').get() as { n: number }).n,
    );
  }

  close(): void {
    this.db.close();
  }
}
