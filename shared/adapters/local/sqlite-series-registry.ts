import { ACTIVE_SERIES_WINDOW_MS } from '../../domain/guardrails/limits';
import type {
  SeriesAdmission,
  SeriesLimits,
  SeriesRef,
  SeriesRefusal,
  SeriesRegistry,
  SeriesUsage,
} from '../../ports/series-registry';
import { inTransaction } from './sqlite';
import { SqliteTenantTable } from './sqlite-ingest-state';

/**
 * Local twin of DynamoDbSeriesRegistry: one row per (tenant, window, series); counts are COUNT(*)
 * inside the admitting transaction, so two instances on one file never admit past the limit.
 */
export class SqliteSeriesRegistry extends SqliteTenantTable implements SeriesRegistry {
  readonly dataName = 'active-series';

  constructor(path: string) {
    super(
      path,
      'active_series',
      `CREATE TABLE IF NOT EXISTS active_series (
        tenant_id TEXT NOT NULL, win INTEGER NOT NULL, series_id TEXT NOT NULL, metric TEXT NOT NULL,
        PRIMARY KEY (tenant_id, win, series_id)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS active_series_metric ON active_series (tenant_id, win, metric);`,
    );
  }

  async admit(
    tenantId: string,
    series: readonly SeriesRef[],
    limits: SeriesLimits,
    nowMs: number,
  ): Promise<SeriesAdmission> {
    const win = Math.floor(nowMs / ACTIVE_SERIES_WINDOW_MS);
    const refused = new Map<string, SeriesRefusal>();
    const exists = this.db.prepare(
      'SELECT 1 FROM active_series WHERE tenant_id = ? AND win = ? AND series_id = ?',
    );
    const insert = this.db.prepare(
      'INSERT OR IGNORE INTO active_series (tenant_id, win, series_id, metric) VALUES (?, ?, ?, ?)',
    );
    const unknown = series.filter((s) => !exists.get(tenantId, win, s.id));
    if (unknown.length === 0) return { refused };
    inTransaction(this.db, () => {
      let tenantCount: number | undefined;
      const metricCounts = new Map<string, number>();
      for (const ref of unknown) {
        if (exists.get(tenantId, win, ref.id)) continue;
        if (exists.get(tenantId, win - 1, ref.id)) {
          insert.run(tenantId, win, ref.id, ref.metric);
          continue;
        }
        tenantCount ??= this.activeCount(tenantId, win);
        const metricCount = metricCounts.get(ref.metric) ?? this.activeCount(tenantId, win, ref.metric);
        if (tenantCount >= limits.maxActiveSeries) refused.set(ref.id, 'max-series');
        else if (metricCount >= limits.maxActiveSeriesPerMetric) refused.set(ref.id, 'max-series-per-metric');
        else {
          insert.run(tenantId, win, ref.id, ref.metric);
          tenantCount++;
          metricCounts.set(ref.metric, metricCount + 1);
          continue;
        }
        metricCounts.set(ref.metric, metricCount);
      }
      // Windows before the previous one no longer count.
      this.db.prepare('DELETE FROM active_series WHERE tenant_id = ? AND win < ?').run(tenantId, win - 1);
    });
    return { refused };
  }

  async usage(tenantId: string, nowMs: number): Promise<SeriesUsage> {
    const win = Math.floor(nowMs / ACTIVE_SERIES_WINDOW_MS);
    const perMetric = new Map<string, number>();
    for (const w of [win, win - 1]) {
      const rows = this.db
        .prepare(
          'SELECT metric, COUNT(*) AS n FROM active_series WHERE tenant_id = ? AND win = ? GROUP BY metric',
        )
        .all(tenantId, w) as { metric: string; n: number }[];
      for (const row of rows)
        perMetric.set(row.metric, Math.max(perMetric.get(row.metric) ?? 0, Number(row.n)));
    }
    return {
      activeSeries: this.activeCount(tenantId, win),
      perMetric: [...perMetric]
        .map(([metric, activeSeries]) => ({ metric, activeSeries }))
        .sort((a, b) => b.activeSeries - a.activeSeries)
        .slice(0, 20),
    };
  }

  private activeCount(tenantId: string, win: number, metric?: string): number {
    const count = (w: number) =>
      Number(
        (
          (metric === undefined
            ? this.db
                .prepare('SELECT COUNT(*) AS n FROM active_series WHERE tenant_id = ? AND win = ?')
                .get(tenantId, w)
            : this.db
                .prepare(
                  'SELECT COUNT(*) AS n FROM active_series WHERE tenant_id = ? AND win = ? AND metric = ?',
                )
                .get(tenantId, w, metric)) as { n: number }
        ).n,
      );
    return Math.max(count(win), count(win - 1));
  }
}
