/**
 * The PromQL read path of the local SQLite store (SeriesReaderSource): a selector's metric name goes
 * to SQLite's (tenant, metric) index, its time range to the chunks' min/max columns, the other
 * matchers are checked on each candidate's labels before a single chunk is read. The head (samples
 * not yet checkpointed) is merged in; series and samples are charged to the query's budget as they
 * are found and decoded, so a query over the limit stops reading there.
 *
 * Chunks are decoded column-wise into typed arrays (what the engine iterates), and the stale marker is
 * recognised from the blob's bits (isStaleMarkerAt) into RawSeries.stale.
 *
 * A selector's series are read in Prometheus' label order, STREAM_BATCH_SERIES at a time: one
 * statement reads a batch's chunks (the series ids as a JSON array), decoded into one
 * buffer that a stream reuses for the next batch. A batch is read whole, synchronously, chunks and
 * head together, so no statement stays open while the consumer works between series and no write
 * (a head checkpoint moving samples into chunks) can fall between a series' chunks and its head.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Labels } from '#domain/label-matchers';
import { type Dimensions, seriesKey } from '#domain/metrics';
import type { QueryBudget } from '#domain/query-limits';
import { planSelector, type SelectorPlan, seriesLabelsOf } from '#domain/selector-plan';
import { isStaleMarkerAt } from '#domain/special-values';
import type { RawSeries, SeriesSelection, TenantSeriesReader } from '#ports/series-source';
import { sortByLabels } from '#promql/series';

/** Series whose chunks one statement reads: ~6 MB decoded at 24 h of 15 s samples. */
export const STREAM_BATCH_SERIES = 64;

/** What the reader needs of a head series (sqlite-metric-store.ts HeadSeries). */
export interface HeadSeriesView {
  readonly metric: string;
  readonly dimensions: Dimensions;
  readonly key: string;
  readonly timestamps: readonly number[];
  readonly values: readonly number[];
  /** 1 where the sample is a stale marker, when the head keeps that flag. */
  readonly stale?: ArrayLike<number>;
}

/** One tenant's head: metric → series key → series. */
export type TenantHead = ReadonlyMap<string, ReadonlyMap<string, HeadSeriesView>>;

interface SeriesRow {
  id: number;
  metric: string;
  dimensions: string;
}

interface ChunkRow {
  series_id: number;
  seq: number;
  points: number;
  data: Uint8Array;
}

interface Candidate {
  labels: Labels;
  metric: string;
  dimensions: Dimensions;
  key: string;
  sqliteId?: number;
  head?: HeadSeriesView;
}

/** Prepared statements of the read path, created once per store. */
export class SqliteSeriesStatements {
  readonly seriesOfMetric: StatementSync;
  readonly seriesOfTenant: StatementSync;
  readonly metricsOfTenant: StatementSync;
  readonly chunksOfSeries: StatementSync;
  readonly anyChunkInRange: StatementSync;

  constructor(db: DatabaseSync) {
    this.seriesOfMetric = db.prepare(
      'SELECT id, metric, dimensions FROM series WHERE tenant_id = ? AND metric = ? ORDER BY id',
    );
    this.seriesOfTenant = db.prepare(
      'SELECT id, metric, dimensions FROM series WHERE tenant_id = ? ORDER BY id',
    );
    this.metricsOfTenant = db.prepare('SELECT DISTINCT metric FROM series WHERE tenant_id = ?');
    // No ORDER BY: SQLite would copy every blob into a temporary b-tree to sort them; the reader
    // groups the rows by series and orders each series' chunks by seq itself.
    this.chunksOfSeries = db.prepare(
      `SELECT c.series_id, c.seq, c.points, c.data FROM json_each(?) AS j
         JOIN chunks AS c ON c.series_id = j.value
        WHERE c.max_ts >= ? AND c.min_ts <= ?`,
    );
    this.anyChunkInRange = db.prepare(
      'SELECT 1 AS found FROM chunks WHERE series_id = ? AND max_ts >= ? AND min_ts <= ? LIMIT 1',
    );
  }
}

export function sqliteSeriesReader(
  statements: SqliteSeriesStatements,
  tenantId: string,
  head: TenantHead | undefined,
  budget: QueryBudget,
): TenantSeriesReader {
  function* candidates(plan: SelectorPlan): Generator<Candidate> {
    const seen = new Set<string>();
    const metrics =
      plan.metric !== undefined
        ? [plan.metric]
        : plan.metricTest
          ? (statements.metricsOfTenant.all(tenantId) as { metric: string }[])
              .map((r) => r.metric)
              .concat([...(head?.keys() ?? [])])
              .filter((m, i, all) => all.indexOf(m) === i && (plan.metricTest as (n: string) => boolean)(m))
          : undefined;
    const rows: SeriesRow[] = [];
    if (metrics === undefined)
      rows.push(...(statements.seriesOfTenant.all(tenantId) as unknown as SeriesRow[]));
    else
      for (const m of metrics)
        rows.push(...(statements.seriesOfMetric.all(tenantId, m) as unknown as SeriesRow[]));
    for (const row of rows) {
      const dimensions = JSON.parse(row.dimensions) as Dimensions;
      const labels = seriesLabelsOf(row.metric, dimensions);
      if (!plan.matches(labels)) continue;
      // The key is recomputed: the stored one holds NUL separators, which TEXT columns do not hand back.
      const key = seriesKey(row.metric, dimensions);
      seen.add(key);
      const headSeries = head?.get(row.metric)?.get(key);
      yield {
        labels,
        metric: row.metric,
        dimensions,
        key,
        sqliteId: row.id,
        ...(headSeries ? { head: headSeries } : {}),
      };
    }
    const headMetrics = metrics ?? [...(head?.keys() ?? [])];
    for (const m of headMetrics)
      for (const series of head?.get(m)?.values() ?? []) {
        if (seen.has(series.key)) continue;
        const labels = seriesLabelsOf(series.metric, series.dimensions);
        if (!plan.matches(labels)) continue;
        yield { labels, metric: series.metric, dimensions: series.dimensions, key: series.key, head: series };
      }
  }

  /**
   * The selector's series with samples in range, in label order, read a batch at a time. `reuse`: one
   * decode buffer for every batch (a series is valid until the next batch is read), else a fresh one.
   */
  function* seriesInOrder(selection: SeriesSelection, reuse: boolean): Generator<RawSeries> {
    const { startMs, endMs } = selection;
    const all = sortByLabels([...candidates(planSelector(selection.matchers))], (c) => c.labels);
    let buffer = { timestamps: new Float64Array(0), values: new Float64Array(0) };
    for (let from = 0; from < all.length; from += STREAM_BATCH_SERIES) {
      const batch = all.slice(from, from + STREAM_BATCH_SERIES);
      const ids = batch.flatMap((c) => (c.sqliteId === undefined ? [] : [c.sqliteId]));
      const rows =
        ids.length === 0
          ? []
          : (statements.chunksOfSeries.all(JSON.stringify(ids), startMs, endMs) as unknown as ChunkRow[]);
      let capacity = 0;
      const chunksOf = new Map<number, ChunkRow[]>();
      for (const row of rows) {
        capacity += row.points;
        const chunks = chunksOf.get(row.series_id);
        if (chunks) chunks.push(row);
        else chunksOf.set(row.series_id, [row]);
      }
      for (const c of batch) capacity += c.head?.timestamps.length ?? 0;
      if (!reuse || buffer.timestamps.length < capacity)
        buffer = { timestamps: new Float64Array(capacity), values: new Float64Array(capacity) };
      const read: RawSeries[] = [];
      let offset = 0;
      for (const candidate of batch) {
        const chunks =
          (candidate.sqliteId === undefined ? undefined : chunksOf.get(candidate.sqliteId)) ?? [];
        chunks.sort((a, b) => a.seq - b.seq);
        const series = readSeries(candidate, chunks, startMs, endMs, budget, buffer, offset);
        offset += series.timestampsMs.length;
        if (series.timestampsMs.length === 0) continue;
        budget.chargeSeries();
        read.push(series);
      }
      yield* read;
    }
  }

  return {
    select: async (selection: SeriesSelection): Promise<readonly RawSeries[]> => [
      ...seriesInOrder(selection, false),
    ],
    stream: async function* (selection: SeriesSelection): AsyncGenerator<RawSeries> {
      yield* seriesInOrder(selection, true);
    },
    listSeries: async (selection: SeriesSelection): Promise<readonly Labels[]> => {
      const plan = planSelector(selection.matchers);
      const result: Labels[] = [];
      for (const candidate of candidates(plan)) {
        const inRange =
          (candidate.sqliteId !== undefined &&
            statements.anyChunkInRange.get(candidate.sqliteId, selection.startMs, selection.endMs) !==
              undefined) ||
          (candidate.head?.timestamps.some((t) => t >= selection.startMs && t <= selection.endMs) ?? false);
        if (!inRange) continue;
        budget.chargeSeries();
        result.push(candidate.labels);
      }
      return result;
    },
  };
}

/** Whether this machine's float64s are little-endian, as chunk blobs are (then a blob is read in place). */
const LITTLE_ENDIAN = new Uint8Array(Float64Array.of(1).buffer)[7] === 0x3f;

/**
 * One series' samples in [startMs, endMs]: chunks, then the head; per timestamp the last write wins.
 * Decoded into `buffer` from `offset` (sized for every chunk and head point of the batch).
 */
function readSeries(
  candidate: Candidate,
  chunks: readonly ChunkRow[],
  startMs: number,
  endMs: number,
  budget: QueryBudget,
  buffer: { timestamps: Float64Array; values: Float64Array },
  offset: number,
): RawSeries {
  const headSeries = candidate.head;
  let capacity = headSeries?.timestamps.length ?? 0;
  for (const chunk of chunks) capacity += chunk.points;
  let timestamps = buffer.timestamps.subarray(offset, offset + capacity);
  let values = buffer.values.subarray(offset, offset + capacity);
  // Allocated with the first stale marker: most series have none.
  let stale: Uint8Array | undefined;
  let n = 0;
  for (const { data } of chunks) {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const points = data.byteLength / 16;
    const before = n;
    // The blob read as float64 pairs in place where it can be (the usual case): a query reads millions.
    const pairs =
      LITTLE_ENDIAN && data.byteOffset % 8 === 0
        ? new Float64Array(data.buffer, data.byteOffset, points * 2)
        : undefined;
    for (let i = 0; i < points; i++) {
      const t = pairs ? (pairs[2 * i] as number) : view.getFloat64(16 * i, true);
      if (t < startMs || t > endMs) continue;
      const v = pairs ? (pairs[2 * i + 1] as number) : view.getFloat64(16 * i + 8, true);
      timestamps[n] = t;
      values[n] = v;
      // Only a NaN can be the marker: its exact bits decide.
      if (Number.isNaN(v) && isStaleMarkerAt(view, 16 * i + 8, true)) {
        stale ??= new Uint8Array(capacity);
        stale[n] = 1;
      }
      n++;
    }
    budget.chargeSamples(n - before);
  }
  if (headSeries) {
    const { timestamps: ht, values: hv, stale: hs } = headSeries;
    let ordered = true;
    let prev = n > 0 ? (timestamps[n - 1] as number) : Number.NEGATIVE_INFINITY;
    const before = n;
    for (let i = 0; i < ht.length; i++) {
      const t = ht[i] as number;
      if (t < startMs || t > endMs) continue;
      if (t <= prev) ordered = false;
      prev = t;
      const isStale = hs?.[i] === 1;
      timestamps[n] = t;
      values[n] = isStale ? Number.NaN : (hv[i] as number);
      if (isStale) {
        stale ??= new Uint8Array(capacity);
        stale[n] = 1;
      }
      n++;
    }
    budget.chargeSamples(n - before);
    if (!ordered) {
      // A late or repeated point: by time, the later write (head after chunks, head in write order) winning ties.
      const order = Array.from({ length: n }, (_, i) => i).sort(
        (a, b) => (timestamps[a] as number) - (timestamps[b] as number) || a - b,
      );
      const t2 = new Float64Array(n);
      const v2 = new Float64Array(n);
      const s2 = stale ? new Uint8Array(n) : undefined;
      let m = 0;
      for (let k = 0; k < order.length; k++) {
        const i = order[k] as number;
        const next = order[k + 1];
        if (next !== undefined && timestamps[next] === timestamps[i]) continue;
        t2[m] = timestamps[i] as number;
        v2[m] = values[i] as number;
        if (s2 && stale) s2[m] = stale[i] as number;
        m++;
      }
      timestamps = t2;
      values = v2;
      stale = s2?.subarray(0, m).includes(1) ? s2 : undefined;
      n = m;
    }
  }
  return {
    labels: candidate.labels,
    timestampsMs: timestamps.subarray(0, n),
    values: values.subarray(0, n),
    ...(stale ? { stale: stale.subarray(0, n) } : {}),
  };
}
