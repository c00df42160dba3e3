import { ACTIVE_SERIES_WINDOW_MS } from '#domain/guardrails/limits';
import type {
  SeriesAdmission,
  SeriesLimits,
  SeriesRef,
  SeriesRefusal,
  SeriesRegistry,
  SeriesUsage,
} from '#ports/series-registry';
import { inTransaction } from './sqlite';
import { type SqliteFile, SqliteTenantTable } from './sqlite-ingest-state';

/**
 * Local twin of DynamoDbSeriesRegistry: one row per (tenant, window, series); counts are COUNT(*)
 * inside the admitting transaction, so two instances on one file never admit past the limit.
 */
export class SqliteSeriesRegistry extends SqliteTenantTable implements SeriesRegistry {
  readonly dataName = 'active-series';
  /**
   * Series this instance saw admitted in a tenant's current window. A row of the current window is
   * never removed (only older windows are), so a known series passes without a read: a steady
   * scrape of the same series costs no SQLite work at all.
   */
  private readonly admitted = new Map<string, { win: number; ids: Set<string> }>();

  constructor(file: SqliteFile) {
    super(
      file,
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
    let known = this.admitted.get(tenantId);
    if (known?.win !== win) {
      known = { win, ids: new Set() };
      this.admitted.set(tenantId, known);
    }
    const { ids } = known;
    const unseen = series.filter((s) => !ids.has(s.id));
    if (unseen.length === 0) return { refused };
    const exists = this.statement(
      'SELECT 1 FROM active_series WHERE tenant_id = ? AND win = ? AND series_id = ?',
    );
    const insert = this.statement(
      'INSERT OR IGNORE INTO active_series (tenant_id, win, series_id, metric) VALUES (?, ?, ?, ?)',
    );
    const unknown = unseen.filter((s) => {
      if (!exists.get(tenantId, win, s.id)) return true;
      ids.add(s.id);
      return false;
    });
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
      this.statement('DELETE FROM active_series WHERE tenant_id = ? AND win < ?').run(tenantId, win - 1);
    });
    for (const ref of unknown) if (!refused.has(ref.id)) ids.add(ref.id);
    return { refused };
  }

  override async deleteTenant(tenantId: string): Promise<number> {
    this.admitted.delete(tenantId);
    return super.deleteTenant(tenantId);
  }

  async usage(tenantId: string, nowMs: number): Promise<SeriesUsage> {
    const win = Math.floor(nowMs / ACTIVE_SERIES_WINDOW_MS);
    const perMetric = new Map<string, number>();
    for (const w of [win, win - 1]) {
      const rows = this.statement(
        'SELECT metric, COUNT(*) AS n FROM active_series WHERE tenant_id = ? AND win = ? GROUP BY metric',
      ).all(tenantId, w) as { metric: string; n: number }[];
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
            ? this.statement('SELECT COUNT(*) AS n FROM active_series WHERE tenant_id = ? AND win = ?').get(
                tenantId,
                w,
              )
            : this.statement(
                'SELECT COUNT(*) AS n FROM active_series WHERE tenant_id = ? AND win = ? AND metric = ?',
              ).get(tenantId, w, metric)) as { n: number }
        ).n,
      );
    return Math.max(count(win), count(win - 1));
  }
}
