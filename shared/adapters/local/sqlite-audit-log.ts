import type { DatabaseSync } from 'node:sqlite';
import { auditEventId } from '#adapters/items/audit-event-id';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '#domain/pagination';
import {
  type AuditEvent,
  type AuditLog,
  type AuditLogReader,
  type AuditQuery,
  type AuthFailure,
  type AuthFailureCount,
  type AuthFailureLog,
  authFailureExpiry,
  authFailureMinute,
  authFailurePartition,
  type StoredAuditEvent,
  UNKNOWN_SOURCE,
} from '#ports/audit-log';
import type { TenantDataHolder } from '#ports/tenant-data';
import { inTransaction, openDatabase } from './sqlite';

/**
 * The local twin of the DynamoDB audit log: same keys (tenant, `<at>#<eventId>`), newest first.
 * Append-only is enforced by the database itself: a trigger aborts any UPDATE; rows leave only by
 * tenant offboarding (deleteTenant).
 */
export class SqliteAuditLog implements AuditLog, AuditLogReader, AuthFailureLog, TenantDataHolder {
  readonly dataName = 'audit';
  private readonly db: DatabaseSync;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS audit_events (
        tenant_id TEXT NOT NULL,
        sk TEXT NOT NULL,
        action TEXT NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (tenant_id, sk)
      ) WITHOUT ROWID;
      CREATE TRIGGER IF NOT EXISTS audit_events_append_only BEFORE UPDATE ON audit_events
      BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
      CREATE TABLE IF NOT EXISTS auth_failures (
        partition TEXT NOT NULL,
        minute TEXT NOT NULL,
        source_ip TEXT NOT NULL,
        reason TEXT NOT NULL,
        target TEXT NOT NULL,
        count INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (partition, source_ip, reason, target)
      ) WITHOUT ROWID;
    `);
  }

  /** One upsert per failure (DynamoDB: UpdateItem ADD); expired rows go as DynamoDB's TTL would. */
  async countAuthFailure(failure: AuthFailure): Promise<void> {
    const expiresAt = authFailureExpiry(failure.at);
    this.db
      .prepare(
        `INSERT INTO auth_failures (partition, minute, source_ip, reason, target, count, expires_at)
         VALUES (?, ?, ?, ?, ?, 1, ?)
         ON CONFLICT DO UPDATE SET count = count + 1, expires_at = excluded.expires_at`,
      )
      .run(
        authFailurePartition(failure),
        authFailureMinute(failure.at),
        failure.sourceIp ?? UNKNOWN_SOURCE,
        failure.reason,
        failure.target,
        expiresAt,
      );
    // "Now" is the failure's own instant: the platform's clock, not this machine's.
    this.db
      .prepare('DELETE FROM auth_failures WHERE expires_at < ?')
      .run(Math.floor(Date.parse(failure.at) / 1000));
  }

  async authFailures(fromMinute: string, toMinute: string): Promise<AuthFailureCount[]> {
    const rows = this.db
      .prepare(
        `SELECT minute, source_ip, reason, target, count, expires_at FROM auth_failures
         WHERE minute >= ? AND minute <= ? ORDER BY minute, source_ip, reason, target`,
      )
      .all(fromMinute, toMinute) as {
      minute: string;
      source_ip: string;
      reason: string;
      target: string;
      count: number;
      expires_at: number;
    }[];
    return rows.map((r) => ({
      minute: r.minute,
      sourceIp: r.source_ip,
      reason: r.reason,
      target: r.target,
      count: r.count,
      expiresAt: r.expires_at,
    }));
  }

  async append(event: AuditEvent): Promise<void> {
    const eventId = auditEventId();
    this.db
      .prepare('INSERT INTO audit_events (tenant_id, sk, action, event) VALUES (?, ?, ?, ?)')
      .run(event.tenantId, `${event.at}#${eventId}`, event.action, JSON.stringify({ eventId, ...event }));
  }

  async query(tenantId: string, query: AuditQuery, page: PageRequest): Promise<Page<StoredAuditEvent>> {
    const before = page.cursor ? decodeCursor(page.cursor, '') : '\uffff';
    const to = `${query.to ?? '9'}\uffff`;
    const action = query.action ?? '';
    const rows = this.db
      .prepare(
        `SELECT sk, event FROM audit_events
         WHERE tenant_id = ? AND sk >= ? AND sk <= ? AND sk < ?
           AND (? = '' OR (substr(?, -1) = '.' AND substr(action, 1, length(?)) = ?) OR action = ?)
         ORDER BY sk DESC LIMIT ?`,
      )
      .all(tenantId, query.from ?? '0', to, before, action, action, action, action, action, page.limit) as {
      sk: string;
      event: string;
    }[];
    const items = rows.map((r) => JSON.parse(r.event) as StoredAuditEvent);
    const last = rows.at(-1);
    return rows.length === page.limit && last ? { items, nextCursor: encodeCursor(last.sk) } : { items };
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const rows = this.db
      .prepare('SELECT event FROM audit_events WHERE tenant_id = ? ORDER BY sk')
      .all(tenantId) as { event: string }[];
    for (const row of rows) yield JSON.parse(row.event);
  }

  async deleteTenant(tenantId: string): Promise<number> {
    return inTransaction(this.db, () =>
      Number(this.db.prepare('DELETE FROM audit_events WHERE tenant_id = ?').run(tenantId).changes),
    );
  }

  /** Raw rows (tests scan them for secrets). */
  rawEvents(): string[] {
    return (this.db.prepare('SELECT event FROM audit_events').all() as { event: string }[]).map(
      (r) => r.event,
    );
  }

  close(): void {
    this.db.close();
  }
}
