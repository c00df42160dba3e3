import type { UsageCounts, UsageLedger, UsageMinute } from '#ports/usage-ledger';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** Local twin of DynamoDbUsageLedger: one row per (tenant, minute, counter), added atomically. */
export class SqliteUsageLedger extends SqliteTenantTable implements UsageLedger {
  readonly dataName = 'usage';

  constructor(file: SqliteFile) {
    super(
      file,
      'usage_minutes',
      `CREATE TABLE IF NOT EXISTS usage_minutes (
        tenant_id TEXT NOT NULL, minute_ms INTEGER NOT NULL, counter TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, minute_ms, counter)) WITHOUT ROWID;`,
    );
  }

  async add(tenantId: string, minuteMs: number, counts: UsageCounts): Promise<void> {
    const upsert = this.statement(
      `INSERT INTO usage_minutes (tenant_id, minute_ms, counter, n) VALUES (?, ?, ?, ?)
       ON CONFLICT (tenant_id, minute_ms, counter) DO UPDATE SET n = n + excluded.n`,
    );
    await this.inGroupCommit(() => {
      for (const [counter, n] of Object.entries(counts))
        if (n !== 0) upsert.run(tenantId, minuteMs, counter, n);
      // Two days of minutes are enough for the usage view.
      this.statement('DELETE FROM usage_minutes WHERE tenant_id = ? AND minute_ms < ?').run(
        tenantId,
        minuteMs - 2 * 86_400_000,
      );
    });
  }

  async read(tenantId: string, fromMinuteMs: number, toMinuteMs: number): Promise<UsageMinute[]> {
    const rows = this.statement(
      'SELECT minute_ms, counter, n FROM usage_minutes WHERE tenant_id = ? AND minute_ms BETWEEN ? AND ? ORDER BY minute_ms',
    ).all(tenantId, fromMinuteMs, toMinuteMs) as { minute_ms: number; counter: string; n: number }[];
    const minutes = new Map<number, Record<string, number>>();
    for (const row of rows) {
      const minute = Number(row.minute_ms);
      const counts = minutes.get(minute) ?? {};
      counts[row.counter] = Number(row.n);
      minutes.set(minute, counts);
    }
    return [...minutes].map(([minuteMs, counts]) => ({ minuteMs, counts }));
  }
}
