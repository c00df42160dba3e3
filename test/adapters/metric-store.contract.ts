import { describe, expect, it } from 'vitest';
import type { Sample } from '#domain/metrics';
import { type MetricQuery, type Point, shapePoints } from '#domain/query';
import type { MetricStore } from '#ports/metric-store';

/**
 * The behaviour every MetricStore must show, whatever engine is behind it. `makeStore` returns a
 * fresh store; `baseMs` is a recent instant the store accepts samples at.
 */
export function metricStoreContract(
  name: string,
  makeStore: () => Promise<MetricStore>,
  baseMs: () => number,
): void {
  describe(`MetricStore contract: ${name}`, () => {
    const series = (
      t0: number,
      metric: string,
      dims: Record<string, string>,
      values: number[],
      stepMs = 10_000,
    ) =>
      values.map((value, i): Sample => ({ metric, dimensions: dims, timestampMs: t0 + i * stepMs, value }));
    const range = (t0: number, extra: Partial<MetricQuery> = {}): MetricQuery => ({
      metric: 'cpu',
      fromMs: t0 - 1,
      toMs: t0 + 3_600_000,
      aggregation: 'avg',
      filters: {},
      ...extra,
    });

    it('returns exactly the points written, per series, sorted by time', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const a = series(t0, 'cpu', { host: 'a' }, [3, 1, 4, 1, 5]);
      const b = series(t0, 'cpu', { host: 'b' }, [9, 2]);
      const result = await store.write('tenant-1', [...b, ...a].reverse());
      expect(result).toEqual({ accepted: 7, rejected: [] });
      expect(await store.query('tenant-1', range(t0))).toEqual([
        { metric: 'cpu', dimensions: { host: 'a' }, points: a.map((s) => [s.timestampMs, s.value]) },
        { metric: 'cpu', dimensions: { host: 'b' }, points: b.map((s) => [s.timestampMs, s.value]) },
      ]);
    });

    it('keeps tenants apart', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      await store.write('tenant-1', series(t0, 'cpu', { host: 'a' }, [1]));
      expect(await store.query('tenant-2', range(t0))).toEqual([]);
    });

    it('filters by dimensions and by time range (inclusive)', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      await store.write('t', [
        ...series(t0, 'cpu', { host: 'a', dc: 'x' }, [1, 2, 3]),
        ...series(t0, 'cpu', { host: 'b', dc: 'y' }, [7, 8, 9]),
        ...series(t0, 'mem', { host: 'a', dc: 'x' }, [5]),
      ]);
      const result = await store.query(
        't',
        range(t0, { fromMs: t0 + 10_000, toMs: t0 + 20_000, filters: { dc: 'x' } }),
      );
      expect(result).toEqual([
        {
          metric: 'cpu',
          dimensions: { host: 'a', dc: 'x' },
          points: [
            [t0 + 10_000, 2],
            [t0 + 20_000, 3],
          ],
        },
      ]);
    });

    it('aggregates into epoch-aligned steps with every aggregation', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      // Two one-minute buckets: [1..6] and [10, 20].
      await store.write('t', [
        ...series(t0, 'cpu', { host: 'a' }, [1, 2, 3, 4, 5, 6]),
        ...series(t0 + 60_000, 'cpu', { host: 'a' }, [10, 20], 30_000),
      ]);
      const answer = async (aggregation: MetricQuery['aggregation']) =>
        (await store.query('t', range(t0, { stepSeconds: 60, aggregation })))[0]?.points;
      expect(await answer('avg')).toEqual([
        [t0, 3.5],
        [t0 + 60_000, 15],
      ]);
      expect(await answer('min')).toEqual([
        [t0, 1],
        [t0 + 60_000, 10],
      ]);
      expect(await answer('max')).toEqual([
        [t0, 6],
        [t0 + 60_000, 20],
      ]);
      expect(await answer('sum')).toEqual([
        [t0, 21],
        [t0 + 60_000, 30],
      ]);
      expect(await answer('count')).toEqual([
        [t0, 6],
        [t0 + 60_000, 2],
      ]);
      const p95 = await answer('p95');
      expect(p95?.[0]?.[1]).toBeCloseTo(5.75);
      expect(p95?.[1]?.[1]).toBeCloseTo(19.5);
    });

    it('is idempotent: writing the same point twice stores it once', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const s = series(t0, 'cpu', { host: 'a' }, [42]);
      await store.write('t', s);
      await store.write('t', s);
      expect(await store.query('t', range(t0, { stepSeconds: 60, aggregation: 'count' }))).toEqual([
        { metric: 'cpu', dimensions: { host: 'a' }, points: [[t0, 1]] },
      ]);
    });

    // Cases below pin down the semantics the stores must share exactly (the AMP adapter reaches them
    // through PromQL raw-sample reads, Timestream through SQL, SQLite directly).

    it('keeps OTLP-style names (dots, dashes, slashes) exactly as written', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const dims = { 'service.name': 'api', 'k8s-pod': 'p-1', _under: 'u' };
      await store.write('t', series(t0, 'http.server/duration-ms', dims, [0.25, 0.5]));
      expect(await store.query('t', range(t0, { metric: 'http.server/duration-ms' }))).toEqual([
        {
          metric: 'http.server/duration-ms',
          dimensions: dims,
          points: [
            [t0, 0.25],
            [t0 + 10_000, 0.5],
          ],
        },
      ]);
      expect(await store.query('t', range(t0, { metric: 'http.server' }))).toEqual([]);
    });

    it('returns float values bit for bit, negative, tiny and huge alike', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const values = [0.1, -2.5e-7, 1234567.891, 1e21, 5e-324, -0.30000000000000004, 0];
      await store.write('t', series(t0, 'cpu', { host: 'a' }, values));
      expect((await store.query('t', range(t0)))[0]?.points.map((p) => p[1])).toEqual(values);
    });

    it('stores IEEE special values as data: NaN, +Inf, -Inf, -0 and the largest and smallest doubles', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const values = [
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
        -0,
        Number.MAX_VALUE,
        Number.MIN_VALUE,
        -Number.MAX_VALUE,
      ];
      const result = await store.write('t', series(t0, 'cpu', { host: 'a' }, values));
      expect(result).toEqual({ accepted: values.length, rejected: [] });
      const read = (await store.query('t', range(t0)))[0]?.points.map((p) => p[1]);
      // toEqual compares numbers with Object.is: NaN equals NaN, -0 differs from 0.
      expect(read).toEqual(values);
      expect(Object.is(read?.[3], -0)).toBe(true);
    });

    it('keeps a stale marker out of the values: it is neither returned nor aggregated', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const marker: Sample = {
        metric: 'cpu',
        dimensions: { host: 'a' },
        timestampMs: t0 + 10_000,
        value: Number.NaN,
        stale: true,
      };
      const result = await store.write('t', [
        ...series(t0, 'cpu', { host: 'a' }, [1]),
        marker,
        ...series(t0 + 20_000, 'cpu', { host: 'a' }, [Number.NaN]),
      ]);
      expect(result).toEqual({ accepted: 3, rejected: [] });
      expect(await store.query('t', range(t0))).toEqual([
        {
          metric: 'cpu',
          dimensions: { host: 'a' },
          points: [
            [t0, 1],
            [t0 + 20_000, Number.NaN],
          ],
        },
      ]);
      expect(await store.query('t', range(t0, { stepSeconds: 60, aggregation: 'count' }))).toEqual([
        { metric: 'cpu', dimensions: { host: 'a' }, points: [[t0, 2]] },
      ]);
    });

    it('buckets are epoch-aligned [start, start + step): a boundary point opens the next bucket, the range clips both ends', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      const offsets = [0, 30_000, 59_999, 60_000, 90_000, 120_000];
      await store.write(
        't',
        offsets.map((o, i) => ({
          metric: 'cpu',
          dimensions: { host: 'a' },
          timestampMs: t0 + o,
          value: i + 1,
        })),
      );
      const query = (extra: Partial<MetricQuery>) =>
        store.query('t', range(t0, { fromMs: t0 + 30_000, toMs: t0 + 90_000, ...extra }));
      expect((await query({ stepSeconds: 60, aggregation: 'count' }))[0]?.points).toEqual([
        [t0, 2],
        [t0 + 60_000, 2],
      ]);
      expect((await query({ stepSeconds: 60, aggregation: 'sum' }))[0]?.points).toEqual([
        [t0, 5],
        [t0 + 60_000, 9],
      ]);
      expect((await query({}))[0]?.points).toEqual([
        [t0 + 30_000, 2],
        [t0 + 59_999, 3],
        [t0 + 60_000, 4],
        [t0 + 90_000, 5],
      ]);
    });

    it('answers every aggregation and step exactly as the domain defines it on the raw points', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 3_600_000) * 3_600_000 - 3_600_000;
      // 97 irregular points over 40 minutes, values with long fractions (summation order matters).
      const written: Sample[] = Array.from({ length: 97 }, (_, i) => ({
        metric: 'latency',
        dimensions: { route: i % 3 === 0 ? '/a' : '/b' },
        timestampMs: t0 + Math.floor((i * 2_400_000) / 97) + (i % 7) * 13,
        value: Math.round(Math.sin(i) * 1e6) / 7 + i / 3,
      }));
      expect(await store.write('t', written)).toEqual({ accepted: 97, rejected: [] });
      for (const stepSeconds of [1, 60, 300, 3600]) {
        for (const aggregation of ['avg', 'min', 'max', 'sum', 'count', 'p95'] as const) {
          const q = range(t0, {
            metric: 'latency',
            fromMs: t0,
            toMs: t0 + 2_400_000,
            stepSeconds,
            aggregation,
          });
          const expected = ['/a', '/b'].map((route) => ({
            metric: 'latency',
            dimensions: { route },
            points: shapePoints(
              written
                .filter((s) => s.dimensions['route'] === route)
                .map((s): Point => [s.timestampMs, s.value]),
              q,
            ),
          }));
          expect(await store.query('t', q), `${aggregation} step ${stepSeconds}`).toEqual(expected);
        }
      }
    });

    it('does not mix metrics whose names share a prefix, nor filter values that share one', async () => {
      const store = await makeStore();
      const t0 = Math.floor(baseMs() / 60_000) * 60_000;
      await store.write('t', [
        ...series(t0, 'cpu', { host: 'a' }, [1]),
        ...series(t0, 'cpu_total', { host: 'a' }, [2]),
        ...series(t0, 'cpu', { host: 'ab' }, [3]),
      ]);
      expect(await store.query('t', range(t0, { filters: { host: 'a' } }))).toEqual([
        { metric: 'cpu', dimensions: { host: 'a' }, points: [[t0, 1]] },
      ]);
    });
  });
}
