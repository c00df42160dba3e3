import type { MetricMetadataEntry, MetricType } from '#domain/metric-metadata';
import type { MetricMetadataQuery, MetricMetadataStore } from '#ports/metric-metadata';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/** Local twin of DynamoDbMetricMetadata: one row per (tenant, metric), replaced on record. */
export class SqliteMetricMetadata extends SqliteTenantTable implements MetricMetadataStore {
  readonly dataName = 'metric-metadata';

  constructor(file: SqliteFile) {
    super(
      file,
      'metric_metadata',
      `CREATE TABLE IF NOT EXISTS metric_metadata (
        tenant_id TEXT NOT NULL, metric TEXT NOT NULL, type TEXT NOT NULL, help TEXT NOT NULL,
        unit TEXT NOT NULL, PRIMARY KEY (tenant_id, metric)) WITHOUT ROWID;`,
    );
  }

  async record(tenantId: string, entries: readonly MetricMetadataEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const upsert = this.statement(
      `INSERT INTO metric_metadata (tenant_id, metric, type, help, unit) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (tenant_id, metric) DO UPDATE SET type = excluded.type, help = excluded.help, unit = excluded.unit`,
    );
    await this.inGroupCommit(() => {
      for (const e of entries) upsert.run(tenantId, e.metric, e.type, e.help, e.unit);
    });
  }

  async list(tenantId: string, query: MetricMetadataQuery = {}): Promise<MetricMetadataEntry[]> {
    const limit = query.limit ?? -1;
    const rows = (
      query.metric === undefined
        ? this.statement(
            'SELECT metric, type, help, unit FROM metric_metadata WHERE tenant_id = ? ORDER BY metric LIMIT ?',
          ).all(tenantId, limit)
        : this.statement(
            'SELECT metric, type, help, unit FROM metric_metadata WHERE tenant_id = ? AND metric = ? LIMIT ?',
          ).all(tenantId, query.metric, limit)
    ) as { metric: string; type: string; help: string; unit: string }[];
    return rows.map((r) => ({ metric: r.metric, type: r.type as MetricType, help: r.help, unit: r.unit }));
  }
}
