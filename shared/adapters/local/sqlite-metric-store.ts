import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type Dimensions, type Sample, seriesKey, type WriteResult } from '../../domain/metrics';
import {
  type MetricQuery,
  matchesFilters,
  type Point,
  type Series,
  shapePoints,
  sortSeries,
} from '../../domain/query';
import type { MetricStore } from '../../ports/metric-store';
import type { TenantDataHolder } from '../../ports/tenant-data';
import { inTransaction, openDatabase } from './sqlite';

interface PendingWrite {
  readonly tenantId: string;
  readonly samples: readonly Sample[];
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The local twin of the Timestream store: an embedded SQLite file. Series are interned once
 * (tenant, metric, dimensions → id); points are keyed by (series, time) in a WITHOUT ROWID table, so
 * a time-range read of one series is one index range scan, and re-writing a point is idempotent.
 */
export class SqliteMetricStore implements MetricStore, TenantDataHolder {
  private readonly db: DatabaseSync;
  private readonly seriesIds = new Map<string, number>();
  private pending: PendingWrite[] = [];
  private readonly findSeries: StatementSync;
  private readonly insertSeries: StatementSync;
  private readonly upsertPoint: StatementSync;
  private readonly seriesOfMetric: StatementSync;
  private readonly pointsInRange: StatementSync;

  constructor(path: string) {
    this.db = openDatabase(path);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS series (
        id INTEGER PRIMARY KEY,
        tenant_id TEXT NOT NULL,
        metric TEXT NOT NULL,
        series_key TEXT NOT NULL,
        dimensions TEXT NOT NULL,
        UNIQUE (tenant_id, series_key)
      );
      CREATE INDEX IF NOT EXISTS series_by_metric ON series (tenant_id, metric);
      CREATE TABLE IF NOT EXISTS points (
        series_id INTEGER NOT NULL,
        ts INTEGER NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (series_id, ts)
      ) WITHOUT ROWID;
    `);
    this.findSeries = this.db.prepare('SELECT id FROM series WHERE tenant_id = ? AND series_key = ?');
    this.insertSeries = this.db.prepare(
      'INSERT INTO series (tenant_id, metric, series_key, dimensions) VALUES (?, ?, ?, ?) RETURNING id',
    );
    this.upsertPoint = this.db.prepare(
      'INSERT INTO points (series_id, ts, value) VALUES (?, ?, ?) ON CONFLICT (series_id, ts) DO UPDATE SET value = excluded.value',
    );
    this.seriesOfMetric = this.db.prepare(
      'SELECT id, dimensions FROM series WHERE tenant_id = ? AND metric = ?',
    );
    this.pointsInRange = this.db.prepare(
      'SELECT ts, value FROM points WHERE series_id = ? AND ts BETWEEN ? AND ? ORDER BY ts',
    );
  }

  /**
   * Group commit: writes that arrive in the same turn of the event loop share one transaction (one
   * WAL commit instead of one per request), and each is answered only after that commit.
   */
  write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.pending.push({ tenantId, samples, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      inTransaction(this.db, () => {
        for (const write of batch) this.insert(write.tenantId, write.samples);
      });
      for (const write of batch) write.resolve({ accepted: write.samples.length, rejected: [] });
    } catch {
      // One failing write must not fail the others: each alone, so only the faulty one is refused.
      this.seriesIds.clear();
      for (const write of batch) {
        try {
          inTransaction(this.db, () => this.insert(write.tenantId, write.samples));
          write.resolve({ accepted: write.samples.length, rejected: [] });
        } catch (error) {
          this.seriesIds.clear();
          write.reject(error);
        }
      }
    }
  }

  private insert(tenantId: string, samples: readonly Sample[]): void {
    for (const sample of samples) {
      const id = this.seriesId(tenantId, sample.metric, sample.dimensions);
      this.upsertPoint.run(id, sample.timestampMs, sample.value);
    }
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    const rows = this.seriesOfMetric.all(tenantId, query.metric) as { id: number; dimensions: string }[];
    const result: Series[] = [];
    for (const row of rows) {
      const dimensions = JSON.parse(row.dimensions) as Dimensions;
      if (!matchesFilters(dimensions, query.filters)) continue;
      const points = (
        this.pointsInRange.all(row.id, query.fromMs, query.toMs) as { ts: number; value: number }[]
      ).map((p): Point => [p.ts, p.value]);
      if (points.length > 0)
        result.push({ metric: query.metric, dimensions, points: shapePoints(points, query) });
    }
    return sortSeries(result);
  }

  /** Offboarding: the archive section name, see TenantDataHolder. */
  readonly dataName = 'metrics';

  /** Every point of a tenant, one record per point (offboarding export). */
  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    const series = this.db
      .prepare('SELECT id, metric, dimensions FROM series WHERE tenant_id = ? ORDER BY id')
      .all(tenantId) as { id: number; metric: string; dimensions: string }[];
    const points = this.db.prepare('SELECT ts, value FROM points WHERE series_id = ? ORDER BY ts');
    for (const s of series) {
      const dimensions = JSON.parse(s.dimensions) as Dimensions;
      for (const p of points.iterate(s.id) as Iterable<{ ts: number; value: number }>)
        yield { metric: s.metric, dimensions, timestampMs: p.ts, value: p.value };
    }
  }

  /** Removes every series and point of a tenant (offboarding); returns the points removed. */
  async deleteTenant(tenantId: string): Promise<number> {
    const removed = inTransaction(this.db, () => {
      const points = this.db
        .prepare('DELETE FROM points WHERE series_id IN (SELECT id FROM series WHERE tenant_id = ?)')
        .run(tenantId).changes;
      this.db.prepare('DELETE FROM series WHERE tenant_id = ?').run(tenantId);
      return Number(points);
    });
    for (const key of this.seriesIds.keys())
      if (key.startsWith(`${tenantId}\u0002`)) this.seriesIds.delete(key);
    return removed;
  }

  /** Commits what is still pending, then closes. */
  close(): void {
    this.flush();
    this.db.close();
  }

  private seriesId(tenantId: string, metric: string, dimensions: Dimensions): number {
    const key = seriesKey(metric, dimensions);
    const cacheKey = `${tenantId}\u0002${key}`;
    const cached = this.seriesIds.get(cacheKey);
    if (cached !== undefined) return cached;
    const found = this.findSeries.get(tenantId, key) as { id: number } | undefined;
    const id =
      found?.id ??
      (this.insertSeries.get(tenantId, metric, key, JSON.stringify(dimensions)) as { id: number }).id;
    this.seriesIds.set(cacheKey, id);
    return id;
  }
}
