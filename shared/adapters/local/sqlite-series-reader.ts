/**
 * The PromQL read path of the local SQLite store (SeriesReaderSource): a selector's metric name goes
 * to SQLite's (tenant, metric) index, its time range to the chunks' min/max columns, the other
 * matchers are checked on each candidate's labels before a single chunk is read. The head (samples
 * not yet checkpointed) is merged in; series and samples are charged to the query's budget as they
 * are found and decoded, so a query over the limit stops reading there.
 *
 * Chunks are decoded column-wise into typed arrays (what the engine iterates), and the stale marker is
 * recognised from the blob's bits (isStaleMarkerAt) into RawSeries.stale.
 */
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Labels } from '#domain/label-matchers';
import { type Dimensions, seriesKey } from '#domain/metrics';
import type { QueryBudget } from '#domain/query-limits';
import { planSelector, type SelectorPlan, seriesLabelsOf } from '#domain/selector-plan';
import { isStaleMarkerAt } from '#domain/special-values';
import type { RawSeries, SeriesSelection, TenantSeriesReader } from '#ports/series-source';

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
  readonly chunksInRange: StatementSync;
  readonly anyChunkInRange: StatementSync;

  constructor(db: DatabaseSync) {
    this.seriesOfMetric = db.prepare(
      'SELECT id, metric, dimensions FROM series WHERE tenant_id = ? AND metric = ? ORDER BY id',
    );
    this.seriesOfTenant = db.prepare(
      'SELECT id, metric, dimensions FROM series WHERE tenant_id = ? ORDER BY id',
    );
    this.metricsOfTenant = db.prepare('SELECT DISTINCT metric FROM series WHERE tenant_id = ?');
    this.chunksInRange = db.prepare(
      'SELECT points, data FROM chunks WHERE series_id = ? AND max_ts >= ? AND min_ts <= ? ORDER BY seq',
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

  return {
    select: async (selection: SeriesSelection): Promise<readonly RawSeries[]> => {
      const plan = planSelector(selection.matchers);
      const result: RawSeries[] = [];
      for (const candidate of candidates(plan)) {
        const series = readSeries(statements, candidate, selection.startMs, selection.endMs, budget);
        if (series.timestampsMs.length === 0) continue;
        budget.chargeSeries();
        result.push(series);
      }
      return result;
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

/** One series' samples in [startMs, endMs]: chunks, then the head; per timestamp the last write wins. */
function readSeries(
  statements: SqliteSeriesStatements,
  candidate: Candidate,
  startMs: number,
  endMs: number,
  budget: QueryBudget,
): RawSeries {
  const chunks =
    candidate.sqliteId === undefined
      ? []
      : (statements.chunksInRange.all(candidate.sqliteId, startMs, endMs) as {
          points: number;
          data: Uint8Array;
        }[]);
  const headSeries = candidate.head;
  // Typed arrays sized once (chunk points + head points), filled in order, cut to length at the end.
  let capacity = headSeries?.timestamps.length ?? 0;
  for (const chunk of chunks) capacity += chunk.points;
  let timestamps = new Float64Array(capacity);
  let values = new Float64Array(capacity);
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
