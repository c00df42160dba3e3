import type { Incident, NoticeChannels, TenantNotice } from '#domain/notices';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '#domain/pagination';
import type { NoticeStore } from '#ports/notice-store';
import { inTransaction } from './sqlite';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** The provider's incidents live in their own partition: offboarding a tenant never erases them. */
export const INCIDENT_PARTITION = 'provider-incidents';
const CHANNELS_KEY = 'CHANNELS';
const NOTICE_PREFIX = 'NOTICE#';
const INCIDENT_PREFIX = 'INCIDENT#';

/**
 * The local twin of DynamoDbNoticeStore: one row per item (partition, sort key, version, JSON body),
 * the same version conditions. Incident ids start with their creation time, so the sort key orders them.
 */
export class SqliteNoticeStore extends SqliteTenantTable implements NoticeStore {
  readonly dataName = 'notices';

  constructor(file: SqliteFile) {
    super(
      file,
      'notices',
      `CREATE TABLE IF NOT EXISTS notices (
        tenant_id TEXT NOT NULL, sk TEXT NOT NULL, version INTEGER NOT NULL, body TEXT NOT NULL,
        PRIMARY KEY (tenant_id, sk)) WITHOUT ROWID;`,
    );
  }

  private get<T>(partition: string, sk: string): T | undefined {
    const row = this.statement('SELECT body FROM notices WHERE tenant_id = ? AND sk = ?').get(
      partition,
      sk,
    ) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as T) : undefined;
  }

  private putIfVersion(partition: string, sk: string, body: { version: number }, expected: number): boolean {
    return inTransaction(this.db, () => {
      const row = this.statement('SELECT version FROM notices WHERE tenant_id = ? AND sk = ?').get(
        partition,
        sk,
      ) as { version: number } | undefined;
      if ((row?.version ?? 0) !== expected) return false;
      this.statement('INSERT OR REPLACE INTO notices (tenant_id, sk, version, body) VALUES (?, ?, ?, ?)').run(
        partition,
        sk,
        body.version,
        JSON.stringify(body),
      );
      return true;
    });
  }

  /** Newest first (descending sort key) under `prefix`. */
  private page<T>(partition: string, prefix: string, page: PageRequest): Page<T> {
    const after = page.cursor ? decodeCursor(page.cursor, prefix) : `${prefix}\uffff`;
    const rows = this.statement(
      'SELECT sk, body FROM notices WHERE tenant_id = ? AND sk >= ? AND sk < ? ORDER BY sk DESC LIMIT ?',
    ).all(partition, prefix, after, page.limit + 1) as { sk: string; body: string }[];
    const items = rows.slice(0, page.limit).map((r) => JSON.parse(r.body) as T);
    const last = rows[page.limit - 1];
    return { items, ...(rows.length > page.limit && last ? { nextCursor: encodeCursor(last.sk) } : {}) };
  }

  async getIncident(incidentId: string): Promise<Incident | undefined> {
    return this.get(INCIDENT_PARTITION, INCIDENT_PREFIX + incidentId);
  }

  async listIncidents(page: PageRequest): Promise<Page<Incident>> {
    return this.page(INCIDENT_PARTITION, INCIDENT_PREFIX, page);
  }

  async putIncident(incident: Incident, expectedVersion: number): Promise<boolean> {
    return this.putIfVersion(
      INCIDENT_PARTITION,
      INCIDENT_PREFIX + incident.incidentId,
      { ...incident, version: expectedVersion + 1 },
      expectedVersion,
    );
  }

  async getNotice(tenantId: string, incidentId: string): Promise<TenantNotice | undefined> {
    return this.get(tenantId, NOTICE_PREFIX + incidentId);
  }

  async listNotices(tenantId: string, page: PageRequest): Promise<Page<TenantNotice>> {
    return this.page(tenantId, NOTICE_PREFIX, page);
  }

  async putNotice(notice: TenantNotice, expectedVersion: number): Promise<boolean> {
    return this.putIfVersion(
      notice.tenantId,
      NOTICE_PREFIX + notice.incidentId,
      { ...notice, version: expectedVersion + 1 },
      expectedVersion,
    );
  }

  async getChannels(tenantId: string): Promise<NoticeChannels | undefined> {
    return this.get(tenantId, CHANNELS_KEY);
  }

  async putChannels(channels: NoticeChannels): Promise<void> {
    this.statement('INSERT OR REPLACE INTO notices (tenant_id, sk, version, body) VALUES (?, ?, 1, ?)').run(
      channels.tenantId,
      CHANNELS_KEY,
      JSON.stringify(channels),
    );
  }
}
