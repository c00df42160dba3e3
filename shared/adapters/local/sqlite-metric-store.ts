import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type Dimensions, type Sample, seriesKey, type WriteResult } from '#domain/metrics';
import {
  type MetricQuery,
  matchesFilters,
  type Point,
  type Series,
  shapePoints,
  sortSeries,
} from '#domain/query';
import { METRICS_QUERY_LIMITS, QueryBudget, type QueryLimits } from '#domain/query-limits';
import { isStaleMarkerAt, jsonSampleValue, plainValue, writeStaleMarker } from '#domain/special-values';
import type { MetricStore } from '#ports/metric-store';
import type { SeriesReaderSource, TenantSeriesReader } from '#ports/series-source';
import type { TenantDataHolder } from '#ports/tenant-data';
import { HeadLog, type LoggedSeries } from './head-log';
import { inTransaction, openDatabase } from './sqlite';
import { SqliteSeriesStatements, sqliteSeriesReader } from './sqlite-series-reader';

export interface SqliteMetricStoreOptions {
  /** The head is checkpointed into SQLite once it holds this many samples … */
  readonly checkpointSamples?: number;
  /** … or this long after its first sample since the last checkpoint. */
  readonly checkpointIntervalMs?: number;
  /** Bounds of /v1/metrics/query reads (METRICS_QUERY_LIMITS by default). */
  readonly queryLimits?: Pick<QueryLimits, 'maxSeries' | 'maxSamples'>;
}

/** How much of the store file reads map (SQLite's mmap_size; 0 would read through its page cache). */
const MMAP_BYTES = 1 << 30;

/** A chunk in SQLite grows until it holds this many points; then the series starts a new one. */
const CHUNK_POINTS = 240;
/**
 * The head holds up to a million samples (~25 MB) or a minute, as Prometheus' head holds its last
 * hours: a checkpoint costs a transaction per run of it, and the head log (20 bytes a point, replayed
 * in well under a second) keeps the head durable in between.
 */
const DEFAULT_CHECKPOINT_SAMPLES = 1_000_000;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 60_000;

/** One series in the in-memory head: the samples written since the last checkpoint, in arrival order. */
interface HeadSeries extends LoggedSeries {
  readonly key: string;
  timestamps: number[];
  values: number[];
  /** 1 where the sample is a stale marker; allocated with the series' first marker. */
  stale: (0 | 1)[] | undefined;
  /** Declared in the head log since its last truncation. */
  logged: boolean;
  /** Its row in SQLite's `series` table, once it has one. */
  sqliteId?: number;
}

/**
 * The local twin of the Timestream store, built like a small TSDB (Prometheus' head + WAL + blocks):
 *
 * - a write appends to the head log (one write(2), before the answer) and to an in-memory head, so
 *   a remote write costs no SQLite work at all and is queryable at once;
 * - a checkpoint (every `checkpointIntervalMs`, or when the head holds `checkpointSamples`) moves the
 *   head into SQLite in one transaction, as chunks of up to 240 points a series (a float64 blob of
 *   time/value pairs), then empties the log;
 * - a read merges SQLite's chunks and the head. A point written twice (a retried request) is one
 *   point: per series and timestamp the last write wins, as Timestream's record versions do.
 *
 * Opening replays whatever the log holds (a killed process) and checkpoints it.
 */
export class SqliteMetricStore implements MetricStore, TenantDataHolder, SeriesReaderSource {
  private readonly db: DatabaseSync;
  private readonly log: HeadLog | undefined;
  /** tenant → metric → series key → head series. */
  private readonly head = new Map<string, Map<string, Map<string, HeadSeries>>>();
  private readonly byRef = new Map<number, HeadSeries>();
  private nextRef = 1;
  private headSamples = 0;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private readonly checkpointSamples: number;
  private readonly checkpointIntervalMs: number;
  private readonly findSeries: StatementSync;
  private readonly insertSeries: StatementSync;
  private readonly lastChunk: StatementSync;
  private readonly insertChunk: StatementSync;
  private readonly updateChunk: StatementSync;
  private readonly seriesOfMetric: StatementSync;
  private readonly chunksInRange: StatementSync;
  private readonly seriesStatements: SqliteSeriesStatements;
  private readonly queryLimits: Pick<QueryLimits, 'maxSeries' | 'maxSamples'>;

  constructor(path: string, options: SqliteMetricStoreOptions = {}) {
    this.checkpointSamples = options.checkpointSamples ?? DEFAULT_CHECKPOINT_SAMPLES;
    this.checkpointIntervalMs = options.checkpointIntervalMs ?? DEFAULT_CHECKPOINT_INTERVAL_MS;
    this.db = openDatabase(path);
    // Reads through a memory map, not the page cache's copies: a 24 h range query reads ~100 MB of
    // chunks, 3-4x faster mapped (measured with bench/promql-profile.ts; the file's pages are shared).
    this.db.exec(`PRAGMA mmap_size = ${MMAP_BYTES}`);
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
      CREATE TABLE IF NOT EXISTS chunks (
        series_id INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        min_ts INTEGER NOT NULL,
        max_ts INTEGER NOT NULL,
        points INTEGER NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (series_id, seq)
      ) WITHOUT ROWID;
    `);
    this.findSeries = this.db.prepare('SELECT id FROM series WHERE tenant_id = ? AND series_key = ?');
    this.insertSeries = this.db.prepare(
      'INSERT INTO series (tenant_id, metric, series_key, dimensions) VALUES (?, ?, ?, ?) RETURNING id',
    );
    this.lastChunk = this.db.prepare(
      'SELECT seq, points, data FROM chunks WHERE series_id = ? ORDER BY seq DESC LIMIT 1',
    );
    this.insertChunk = this.db.prepare(
      'INSERT INTO chunks (series_id, seq, min_ts, max_ts, points, data) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.updateChunk = this.db.prepare(
      'UPDATE chunks SET min_ts = ?, max_ts = ?, points = ?, data = ? WHERE series_id = ? AND seq = ?',
    );
    this.seriesOfMetric = this.db.prepare(
      'SELECT id, dimensions FROM series WHERE tenant_id = ? AND metric = ?',
    );
    this.chunksInRange = this.db.prepare(
      'SELECT data FROM chunks WHERE series_id = ? AND max_ts >= ? AND min_ts <= ? ORDER BY seq',
    );
    this.seriesStatements = new SqliteSeriesStatements(this.db);
    this.queryLimits = options.queryLimits ?? METRICS_QUERY_LIMITS;
    this.migratePointsTable();
    if (path !== ':memory:') {
      this.log = new HeadLog(`${path}.head-log`);
      this.replayLog();
    }
  }

  write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    try {
      this.append(tenantId, samples);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve({ accepted: samples.length, rejected: [] });
  }

  private append(tenantId: string, samples: readonly Sample[]): void {
    const targets: HeadSeries[] = new Array(samples.length);
    const refs: number[] = new Array(samples.length);
    const declared: HeadSeries[] = [];
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i] as Sample;
      if (typeof sample.value !== 'number' || !Number.isFinite(sample.timestampMs))
        throw new TypeError(`sample ${i} has no numeric value and time`);
      const series = this.headSeries(tenantId, sample.metric, sample.dimensions);
      if (!series.logged) {
        series.logged = true;
        declared.push(series);
      }
      targets[i] = series;
      refs[i] = series.ref;
    }
    try {
      this.log?.append(declared, { refs, samples });
    } catch (error) {
      for (const series of declared) series.logged = false;
      throw error;
    }
    for (let i = 0; i < samples.length; i++) {
      const sample = samples[i] as Sample;
      pushPoint(targets[i] as HeadSeries, sample.timestampMs, sample.value, sample.stale === true);
    }
    this.grew(samples.length);
  }

  private grew(samples: number): void {
    if (samples === 0) return;
    this.headSamples += samples;
    if (this.headSamples >= this.checkpointSamples) {
      setImmediate(() => this.checkpoint());
    } else if (this.checkpointTimer === undefined) {
      this.checkpointTimer = setTimeout(() => this.checkpoint(), this.checkpointIntervalMs);
      this.checkpointTimer.unref();
    }
  }

  private headSeries(tenantId: string, metric: string, dimensions: Dimensions): HeadSeries {
    let metrics = this.head.get(tenantId);
    if (!metrics) {
      metrics = new Map();
      this.head.set(tenantId, metrics);
    }
    let byKey = metrics.get(metric);
    if (!byKey) {
      byKey = new Map();
      metrics.set(metric, byKey);
    }
    const key = seriesKey(metric, dimensions);
    let series = byKey.get(key);
    if (!series) {
      series = {
        ref: this.nextRef++,
        tenantId,
        metric,
        dimensions,
        key,
        timestamps: [],
        values: [],
        stale: undefined,
        logged: false,
      };
      byKey.set(key, series);
      this.byRef.set(series.ref, series);
    }
    return series;
  }

  /** Moves the head into SQLite chunks (one transaction), then empties the head log. */
  checkpoint(): void {
    clearTimeout(this.checkpointTimer);
    this.checkpointTimer = undefined;
    if (this.headSamples > 0) {
      inTransaction(this.db, () => {
        for (const series of this.byRef.values()) if (series.timestamps.length > 0) this.persist(series);
      });
    }
    this.log?.truncate();
    // Series that got nothing since the previous checkpoint leave the head; the rest start empty.
    for (const [ref, series] of this.byRef) {
      series.logged = false;
      if (series.timestamps.length > 0) {
        series.timestamps = [];
        series.values = [];
        series.stale = undefined;
      } else {
        this.byRef.delete(ref);
        const byKey = this.head.get(series.tenantId)?.get(series.metric);
        byKey?.delete(series.key);
        if (byKey?.size === 0) this.head.get(series.tenantId)?.delete(series.metric);
        if (this.head.get(series.tenantId)?.size === 0) this.head.delete(series.tenantId);
      }
    }
    this.headSamples = 0;
  }

  private persist(series: HeadSeries): void {
    series.sqliteId ??= this.sqliteSeriesId(series);
    const { timestamps, values, stale } = series;
    const last = this.lastChunk.get(series.sqliteId) as
      | { seq: number; points: number; data: Uint8Array }
      | undefined;
    const mergeable = last !== undefined && last.points + timestamps.length <= CHUNK_POINTS;
    if (
      !mergeable &&
      strictlyIncreasing(timestamps) &&
      (!last || lastTimestamp(last.data) < (timestamps[0] as number))
    ) {
      // The usual case (a scrape appends later points): chunks straight from the head's arrays.
      this.insertChunks(series.sqliteId, (last?.seq ?? 0) + 1, timestamps, values, stale);
      return;
    }
    const fresh = timestamps.map(
      (ts, i): StoredPoint => (stale?.[i] === 1 ? [ts, Number.NaN, true] : [ts, values[i] as number]),
    );
    if (last && mergeable) {
      const merged = columns(latestPerTimestamp([...decodeChunk(last.data), ...fresh]));
      this.updateChunk.run(
        merged.timestamps[0] as number,
        merged.timestamps.at(-1) as number,
        merged.timestamps.length,
        encodeChunk(merged.timestamps, merged.values, merged.stale, 0, merged.timestamps.length),
        series.sqliteId,
        last.seq,
      );
      return;
    }
    const sorted = columns(latestPerTimestamp(fresh));
    this.insertChunks(series.sqliteId, (last?.seq ?? 0) + 1, sorted.timestamps, sorted.values, sorted.stale);
  }

  /** Sorted, distinct points as new chunks of up to CHUNK_POINTS, numbered from `seq`. */
  private insertChunks(
    seriesId: number,
    seq: number,
    timestamps: readonly number[],
    values: readonly number[],
    stale: readonly (0 | 1)[] | undefined,
  ): void {
    for (let start = 0; start < timestamps.length; start += CHUNK_POINTS, seq++) {
      const end = Math.min(start + CHUNK_POINTS, timestamps.length);
      this.insertChunk.run(
        seriesId,
        seq,
        timestamps[start] as number,
        timestamps[end - 1] as number,
        end - start,
        encodeChunk(timestamps, values, stale, start, end),
      );
    }
  }

  private sqliteSeriesId(series: HeadSeries): number {
    const found = this.findSeries.get(series.tenantId, series.key) as { id: number } | undefined;
    return (
      found?.id ??
      (
        this.insertSeries.get(
          series.tenantId,
          series.metric,
          series.key,
          JSON.stringify(series.dimensions),
        ) as { id: number }
      ).id
    );
  }

  /** The PromQL read path (sqlite-series-reader.ts): one tenant, one query's budget. */
  seriesReader(tenantId: string, budget: QueryBudget): TenantSeriesReader {
    // The map is kept between queries: dropping it after each selector (tried) took the ~100 MB of
    // chunk file a query maps out of RSS, but made the profile's queries ~1.5x slower (faulting again).
    return sqliteSeriesReader(this.seriesStatements, tenantId, this.head.get(tenantId), budget);
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    const budget = new QueryBudget(this.queryLimits);
    const found = new Map<string, { dimensions: Dimensions; points: StoredPoint[] }>();
    const rows = this.seriesOfMetric.all(tenantId, query.metric) as { id: number; dimensions: string }[];
    for (const row of rows) {
      const dimensions = JSON.parse(row.dimensions) as Dimensions;
      if (!matchesFilters(dimensions, query.filters)) continue;
      budget.chargeSeries();
      const points: StoredPoint[] = [];
      for (const chunk of this.chunksInRange.all(row.id, query.fromMs, query.toMs) as {
        data: Uint8Array;
      }[]) {
        const before = points.length;
        for (const p of decodeChunk(chunk.data))
          if (p[0] >= query.fromMs && p[0] <= query.toMs) points.push(p);
        budget.chargeSamples(points.length - before);
      }
      // The key is recomputed: it holds NUL separators, which TEXT columns do not hand back.
      found.set(seriesKey(query.metric, dimensions), { dimensions, points });
    }
    for (const series of this.head.get(tenantId)?.get(query.metric)?.values() ?? []) {
      if (!matchesFilters(series.dimensions, query.filters)) continue;
      let entry = found.get(series.key);
      if (!entry) {
        budget.chargeSeries();
        entry = { dimensions: series.dimensions, points: [] };
        found.set(series.key, entry);
      }
      const before = entry.points.length;
      for (let i = 0; i < series.timestamps.length; i++) {
        const ts = series.timestamps[i] as number;
        if (ts >= query.fromMs && ts <= query.toMs)
          entry.points.push(
            series.stale?.[i] === 1 ? [ts, Number.NaN, true] : [ts, series.values[i] as number],
          );
      }
      budget.chargeSamples(entry.points.length - before);
    }
    const result: Series[] = [];
    for (const { dimensions, points } of found.values()) {
      // Stale markers end a series; they are not values (but a later write at their time replaces them).
      const values = latestPerTimestamp(points).filter((p): p is Point => p[2] !== true);
      if (values.length === 0) continue;
      result.push({ metric: query.metric, dimensions, points: shapePoints(values, query) });
    }
    return sortSeries(result);
  }

  /** Offboarding: the archive section name, see TenantDataHolder. */
  readonly dataName = 'metrics';

  /** Every point of a tenant, one record per point (offboarding export). */
  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    this.checkpoint();
    const series = this.db
      .prepare('SELECT id, metric, dimensions FROM series WHERE tenant_id = ? ORDER BY id')
      .all(tenantId) as { id: number; metric: string; dimensions: string }[];
    const chunks = this.db.prepare('SELECT data FROM chunks WHERE series_id = ? ORDER BY seq');
    for (const s of series) {
      const dimensions = JSON.parse(s.dimensions) as Dimensions;
      const points = (chunks.all(s.id) as { data: Uint8Array }[]).flatMap((c) => decodeChunk(c.data));
      // JSON lines: special values as their strings (JSON.stringify would turn NaN into null).
      for (const [timestampMs, value, stale] of latestPerTimestamp(points))
        yield { metric: s.metric, dimensions, timestampMs, ...jsonSampleValue(value, stale === true) };
    }
  }

  /** Removes every series and point of a tenant (offboarding); returns the points removed. */
  async deleteTenant(tenantId: string): Promise<number> {
    // The head and its log first, so nothing of the tenant can come back from a replay.
    this.checkpoint();
    for (const metrics of this.head.get(tenantId)?.values() ?? [])
      for (const series of metrics.values()) this.byRef.delete(series.ref);
    this.head.delete(tenantId);
    return inTransaction(this.db, () => {
      const { points } = this.db
        .prepare(
          'SELECT COALESCE(SUM(points), 0) AS points FROM chunks WHERE series_id IN (SELECT id FROM series WHERE tenant_id = ?)',
        )
        .get(tenantId) as { points: number };
      this.db
        .prepare('DELETE FROM chunks WHERE series_id IN (SELECT id FROM series WHERE tenant_id = ?)')
        .run(tenantId);
      this.db.prepare('DELETE FROM series WHERE tenant_id = ?').run(tenantId);
      return Number(points);
    });
  }

  /** Checkpoints the head, then closes. */
  close(): void {
    this.checkpoint();
    this.log?.close();
    this.db.close();
  }

  private replayLog(): void {
    const refs = new Map<number, HeadSeries>();
    let replayed = 0;
    this.log?.replay(
      (logged) => refs.set(logged.ref, this.headSeries(logged.tenantId, logged.metric, logged.dimensions)),
      (point) => {
        const series = refs.get(point.ref);
        if (!series) return;
        pushPoint(series, point.timestampMs, point.value, point.stale);
        replayed++;
      },
    );
    this.headSamples = replayed;
    this.checkpoint();
  }

  /** Stores written before chunks kept one row per point: fold them into chunks once. */
  private migratePointsTable(): void {
    const legacy = this.db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'points'")
      .get();
    if (!legacy) return;
    inTransaction(this.db, () => {
      const ids = this.db.prepare('SELECT DISTINCT series_id FROM points').all() as { series_id: number }[];
      const points = this.db.prepare('SELECT ts, value FROM points WHERE series_id = ? ORDER BY ts');
      for (const { series_id } of ids) {
        const rows = points.all(series_id) as { ts: number; value: number | null }[];
        this.insertChunks(
          series_id,
          1,
          rows.map((r) => r.ts),
          // A REAL column stores NaN as NULL (±Inf it keeps): NULL can only have been a NaN.
          rows.map((r) => r.value ?? Number.NaN),
          undefined,
        );
      }
      this.db.exec('DROP TABLE points');
    });
  }
}

/** A point as the store keeps it: a value, or (third element true) a stale marker whose value is NaN. */
type StoredPoint = readonly [epochMs: number, value: number, stale?: true];

function pushPoint(series: HeadSeries, timestampMs: number, value: number, stale: boolean): void {
  if (stale && series.stale === undefined) series.stale = new Array(series.timestamps.length).fill(0);
  series.timestamps.push(timestampMs);
  series.values.push(value);
  series.stale?.push(stale ? 1 : 0);
}

/** Sorted by time; of points sharing a timestamp, the one written last. */
function latestPerTimestamp(points: StoredPoint[]): StoredPoint[] {
  // Array#sort is stable: equal timestamps keep write order, so the last of each run is the latest.
  const sorted = points.length > 1 ? [...points].sort((a, b) => a[0] - b[0]) : points;
  const result: StoredPoint[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const p = sorted[i] as StoredPoint;
    if (i + 1 < sorted.length && (sorted[i + 1] as StoredPoint)[0] === p[0]) continue;
    result.push(p);
  }
  return result;
}

function strictlyIncreasing(timestamps: readonly number[]): boolean {
  for (let i = 1; i < timestamps.length; i++)
    if ((timestamps[i] as number) <= (timestamps[i - 1] as number)) return false;
  return true;
}

function lastTimestamp(blob: Uint8Array): number {
  return new DataView(blob.buffer, blob.byteOffset, blob.byteLength).getFloat64(blob.byteLength - 16, true);
}

/** Points as parallel arrays (what chunks are encoded from). */
function columns(points: readonly StoredPoint[]): {
  timestamps: number[];
  values: number[];
  stale: (0 | 1)[] | undefined;
} {
  const stale = points.some((p) => p[2]) ? points.map((p): 0 | 1 => (p[2] ? 1 : 0)) : undefined;
  return { timestamps: points.map((p) => p[0]), values: points.map((p) => p[1]), stale };
}

/**
 * A chunk's blob: float64 pairs (time, value) of [start, end), little-endian, so values survive bit
 * for bit (NaN, ±Inf, -0); a stale marker is written as its own NaN bits (0x7ff0000000000002).
 */
function encodeChunk(
  timestamps: readonly number[],
  values: readonly number[],
  stale: readonly (0 | 1)[] | undefined,
  start: number,
  end: number,
): Uint8Array {
  const blob = new Uint8Array((end - start) * 16);
  const view = new DataView(blob.buffer);
  for (let i = start; i < end; i++) {
    view.setFloat64(16 * (i - start), timestamps[i] as number, true);
    if (stale?.[i] === 1) writeStaleMarker(view, 16 * (i - start) + 8, true);
    else view.setFloat64(16 * (i - start) + 8, plainValue(values[i] as number), true);
  }
  return blob;
}

function decodeChunk(blob: Uint8Array): StoredPoint[] {
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const points: StoredPoint[] = new Array(blob.byteLength / 16);
  for (let i = 0; i < points.length; i++) {
    const t = view.getFloat64(16 * i, true);
    points[i] = isStaleMarkerAt(view, 16 * i + 8, true)
      ? [t, Number.NaN, true]
      : [t, view.getFloat64(16 * i + 8, true)];
  }
  return points;
}
