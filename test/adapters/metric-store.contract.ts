import { describe, expect, it } from 'vitest';
import type { Sample } from '../../shared/domain/metrics';
import type { MetricQuery } from '../../shared/domain/query';
import type { MetricStore } from '../../shared/ports/metric-store';

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
  });
}
