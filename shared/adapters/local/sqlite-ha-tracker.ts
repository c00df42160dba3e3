import { type HaLeader, haDecision } from '#domain/guardrails/ha';
import type { HaCheck, HaTracker } from '#ports/ha-tracker';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** Local twin of DynamoDbHaTracker: the decision and its write in one transaction. */
export class SqliteHaTracker extends SqliteTenantTable implements HaTracker {
  readonly dataName = 'ha-leaders';

  constructor(file: SqliteFile) {
    super(
      file,
      'ha_leaders',
      `CREATE TABLE IF NOT EXISTS ha_leaders (
        tenant_id TEXT NOT NULL, cluster TEXT NOT NULL, replica TEXT NOT NULL, last_seen_ms INTEGER NOT NULL,
        PRIMARY KEY (tenant_id, cluster)) WITHOUT ROWID;`,
    );
  }

  async check(
    tenantId: string,
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number,
  ): Promise<HaCheck> {
    return this.inGroupCommit(() => {
      const row = this.statement(
        'SELECT replica, last_seen_ms FROM ha_leaders WHERE tenant_id = ? AND cluster = ?',
      ).get(tenantId, cluster) as { replica: string; last_seen_ms: number } | undefined;
      const current: HaLeader | undefined = row && {
        replica: row.replica,
        lastSeenMs: Number(row.last_seen_ms),
      };
      const decision = haDecision(current, replica, nowMs, failoverTimeoutMs);
      if (!decision.accept) return { accept: false, leader: decision.leader };
      if (decision.write !== 'none') {
        this.statement(
          `INSERT INTO ha_leaders (tenant_id, cluster, replica, last_seen_ms) VALUES (?, ?, ?, ?)
             ON CONFLICT (tenant_id, cluster) DO UPDATE SET replica = excluded.replica, last_seen_ms = excluded.last_seen_ms`,
        ).run(tenantId, cluster, replica, nowMs);
      }
      return { accept: true, leader: replica };
    });
  }
}
