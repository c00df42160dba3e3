/**
 * The local twin of the log store: SQLite FTS5 through node:sqlite (its build ships FTS5), one
 * FTS5 table per tenant (erasure drops it; no query can reach another tenant's table).
 *
 * The rowid carries the time: `timestampMs * 1024 + n`, so newest-first is rowid order, a time range
 * is a rowid range FTS5 walks directly, and cursors are rowids. Message and severity are indexed
 * (unicode61 words, `_` a word character, as shared/domain/logs/query.ts `words` assumes); resource
 * and record attributes are kept as JSON and filtered while scanning, within the bounded scan.
 */
import { createHash } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { UnprocessableError } from '#domain/errors';
import { type LogQuery, matchesLogQuery } from '#domain/logs/query';
import type { LogRecord, StoredLogRecord } from '#domain/logs/record';
import type {
  LogExpiry,
  LogHistogram,
  LogHistogramRequest,
  LogSearch,
  LogSearchPage,
  LogStore,
} from '#ports/log-store';
import { inTransaction, openDatabase } from './sqlite';

const PER_MS = 1024;
/** SQLite's primary result code for a constraint violation (here: the rowid is taken). */
const SQLITE_CONSTRAINT = 19;
/** The first batch of a scan; each next one doubles (every batch re-runs the MATCH), up to the maximum. */
const FIRST_BATCH = 256;
const MAX_BATCH = 16_384;

interface Row {
  rowid: number | bigint;
  message: string;
  severity: string;
  doc: string;
}

interface Doc {
  n: number;
  r: Record<string, string>;
  a: Record<string, string>;
  t?: string;
  s?: string;
}

/** An FTS5 string literal: double quotes doubled. */
const literal = (s: string) => `"${s.replaceAll('"', '""')}"`;

/** The FTS5 MATCH expression of the indexed part of a query, or undefined when nothing is indexed. */
export function ftsMatch(query: LogQuery): string | undefined {
  const parts = query.text.map((phrase) => `message : ${literal(phrase.join(' '))}`);
  if (query.severity !== undefined) parts.push(`severity : ${literal(query.severity)}`);
  return parts.length > 0 ? parts.join(' AND ') : undefined;
}

export function encodeLogCursor(rowid: number): string {
  return Buffer.from(JSON.stringify({ r: rowid }), 'utf8').toString('base64url');
}

export function decodeLogCursor(cursor: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { r?: unknown };
    if (typeof parsed.r === 'number' && Number.isSafeInteger(parsed.r) && parsed.r >= 0) return parsed.r;
  } catch {
    // the 422 below
  }
  throw new UnprocessableError('cursor is not a cursor this search returned', 'cursor');
}

export class SqliteLogStore implements LogStore {
  readonly dataName = 'logs';
  readonly erasureMethod = 'the tenant’s FTS5 table is dropped';
  private readonly db: DatabaseSync;
  private readonly tables = new Map<string, string>();
  private readonly statements = new Map<string, StatementSync>();
  private sequence = 0;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.db.exec('CREATE TABLE IF NOT EXISTS log_tenants (tenant_id TEXT PRIMARY KEY, tbl TEXT NOT NULL)');
    for (const row of this.db.prepare('SELECT tenant_id, tbl FROM log_tenants').all())
      this.tables.set(row['tenant_id'] as string, row['tbl'] as string);
  }

  private statement(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  private table(tenantId: string, create: boolean): string | undefined {
    let tbl = this.tables.get(tenantId);
    if (tbl || !create) return tbl;
    tbl = `logs_${createHash('sha256').update(tenantId).digest('hex').slice(0, 24)}`;
    this.db.exec(
      `CREATE VIRTUAL TABLE IF NOT EXISTS ${tbl} USING fts5(message, severity, doc UNINDEXED, tokenize = "unicode61 tokenchars '_'")`,
    );
    this.statement('INSERT OR IGNORE INTO log_tenants (tenant_id, tbl) VALUES (?, ?)').run(tenantId, tbl);
    this.tables.set(tenantId, tbl);
    return tbl;
  }

  async append(tenantId: string, records: readonly LogRecord[]): Promise<{ stored: number }> {
    if (records.length === 0) return { stored: 0 };
    const tbl = this.table(tenantId, true) as string;
    const insert = this.statement(`INSERT INTO ${tbl} (rowid, message, severity, doc) VALUES (?, ?, ?, ?)`);
    inTransaction(this.db, () => {
      for (const record of records) {
        const base = Math.max(0, Math.floor(record.timestampMs)) * PER_MS;
        let rowid = base + (this.sequence++ % PER_MS);
        const doc: Doc = { n: record.severityNumber, r: record.resource, a: record.attributes };
        if (record.traceId) doc.t = record.traceId;
        if (record.spanId) doc.s = record.spanId;
        const docText = JSON.stringify(doc);
        // Up to 1024 records a millisecond; a rare collision (the rowid is taken: SQLite constraint
        // error 19) takes the next slot of that ms. Trying the insert costs no lookup per record.
        for (let tries = 0; ; tries++) {
          try {
            insert.run(rowid, record.message, record.severity, docText);
            break;
          } catch (error) {
            if (((error as { errcode?: number }).errcode ?? 0) % 256 !== SQLITE_CONSTRAINT) throw error;
            if (tries >= PER_MS)
              throw new UnprocessableError('more than 1024 log records in one millisecond', 'body');
            rowid = base + ((rowid - base + 1) % PER_MS);
          }
        }
      }
    });
    return { stored: records.length };
  }

  /** Rows of [lowRowid, highRowid) matching the indexed part of the query, newest first. */
  private rows(
    tbl: string,
    match: string | undefined,
    lowRowid: number,
    highRowid: number,
    limit: number,
  ): Row[] {
    const sql = `SELECT rowid, message, severity, doc FROM ${tbl} WHERE ${match ? `${tbl} MATCH ? AND ` : ''}rowid >= ? AND rowid < ? ORDER BY rowid DESC LIMIT ?`;
    const args = match ? [match, lowRowid, highRowid, limit] : [lowRowid, highRowid, limit];
    return this.statement(sql).all(...args) as unknown as Row[];
  }

  /** Walks matches newest first, at most maxScan rows; `visit` returns false to stop. */
  private scan(
    tenantId: string,
    fromMs: number,
    toMs: number,
    query: LogQuery,
    startBelow: number | undefined,
    maxScan: number,
    visit: (record: StoredLogRecord, rowid: number) => boolean,
  ): { scanned: number; lastRowid: number | undefined; exhausted: boolean } {
    const tbl = this.table(tenantId, false);
    if (!tbl) return { scanned: 0, lastRowid: undefined, exhausted: true };
    const match = ftsMatch(query);
    const postFilter = query.resource.length > 0 || query.attributes.length > 0;
    const low = Math.max(0, fromMs) * PER_MS;
    let high = Math.min(Math.max(0, toMs) * PER_MS, startBelow ?? Number.MAX_SAFE_INTEGER);
    let scanned = 0;
    let lastRowid: number | undefined;
    let batchSize = FIRST_BATCH;
    while (scanned < maxScan) {
      const want = Math.min(batchSize, maxScan - scanned);
      batchSize = Math.min(MAX_BATCH, batchSize * 2);
      const batch = this.rows(tbl, match, low, high, want);
      for (const row of batch) {
        scanned++;
        const rowid = Number(row.rowid);
        lastRowid = rowid;
        const record = toRecord(row, rowid);
        if (postFilter && !matchesLogQuery(record, query)) continue;
        if (!visit(record, rowid)) return { scanned, lastRowid, exhausted: false };
      }
      if (batch.length < want) return { scanned, lastRowid, exhausted: true };
      high = lastRowid as number;
    }
    return { scanned, lastRowid, exhausted: false };
  }

  async search(tenantId: string, search: LogSearch): Promise<LogSearchPage> {
    const startBelow = search.cursor === undefined ? undefined : decodeLogCursor(search.cursor);
    const records: StoredLogRecord[] = [];
    const result = this.scan(
      tenantId,
      search.fromMs,
      search.toMs,
      search.query,
      startBelow,
      search.maxScan,
      (record) => {
        records.push(record);
        return records.length < search.limit;
      },
    );
    const full = records.length >= search.limit;
    const nextRowid = full ? Number(records[records.length - 1]!.id) : result.lastRowid;
    const more = !result.exhausted && nextRowid !== undefined;
    return {
      records,
      ...(more ? { nextCursor: encodeLogCursor(nextRowid) } : {}),
      scanned: result.scanned,
      scanLimited: !full && !result.exhausted,
    };
  }

  async histogram(tenantId: string, request: LogHistogramRequest): Promise<LogHistogram> {
    const { fromMs, toMs, intervalMs } = request;
    const buckets = Array.from({ length: Math.ceil((toMs - fromMs) / intervalMs) }, (_, i) => ({
      startMs: fromMs + i * intervalMs,
      count: 0,
    }));
    const result = this.scan(tenantId, fromMs, toMs, request.query, undefined, request.maxScan, (record) => {
      const bucket = buckets[Math.floor((record.timestampMs - fromMs) / intervalMs)];
      if (bucket) bucket.count++;
      return true;
    });
    return { buckets, scanLimited: !result.exhausted };
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const tbl = this.table(tenantId, false);
    if (!tbl) return;
    for (const row of this.statement(
      `SELECT rowid, message, severity, doc FROM ${tbl} ORDER BY rowid`,
    ).iterate())
      yield toRecord(row as unknown as Row, Number((row as unknown as Row).rowid));
  }

  async expireBefore(tenantId: string, beforeMs: number, budget: number): Promise<LogExpiry> {
    const tbl = this.table(tenantId, false);
    if (!tbl) return { removed: 0, done: true };
    // The rowid is the time: the oldest `budget` rows below the cutoff, through the rowid index.
    const below = Math.max(0, Math.floor(beforeMs)) * PER_MS;
    const removed = Number(
      this.statement(
        `DELETE FROM ${tbl} WHERE rowid IN (SELECT rowid FROM ${tbl} WHERE rowid < ? ORDER BY rowid LIMIT ?)`,
      ).run(below, budget).changes,
    );
    const left = this.statement(`SELECT 1 FROM ${tbl} WHERE rowid < ? LIMIT 1`).get(below);
    return { removed, done: left === undefined };
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const tbl = this.table(tenantId, false);
    if (!tbl) return 0;
    const count = Number((this.db.prepare(`SELECT count(*) AS n FROM ${tbl}`).get() as { n: number }).n);
    inTransaction(this.db, () => {
      this.db.exec(`DROP TABLE ${tbl}`);
      this.db.prepare('DELETE FROM log_tenants WHERE tenant_id = ?').run(tenantId);
    });
    this.tables.delete(tenantId);
    for (const sql of [...this.statements.keys()]) if (sql.includes(tbl)) this.statements.delete(sql);
    return count;
  }

  close(): void {
    this.db.close();
  }
}

function toRecord(row: Row, rowid: number): StoredLogRecord {
  const doc = JSON.parse(row.doc) as Doc;
  return {
    id: String(rowid),
    timestampMs: Math.floor(rowid / PER_MS),
    severity: row.severity,
    severityNumber: doc.n,
    message: row.message,
    resource: doc.r,
    attributes: doc.a,
    ...(doc.t ? { traceId: doc.t } : {}),
    ...(doc.s ? { spanId: doc.s } : {}),
  };
}
