import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { STREAM_BATCH_SERIES } from '#adapters/local/sqlite-series-reader';
import type { LabelMatcher } from '#domain/label-matchers';
import type { Sample } from '#domain/metrics';
import { QueryBudget, QueryLimitExceededError } from '#domain/query-limits';

const t0 = 1_700_000_000_000;
let store: SqliteMetricStore;
afterEach(() => store?.close());

const samples = (
  metric: string,
  dimensions: Record<string, string>,
  from: number,
  count: number,
  step = 15_000,
) =>
  Array.from(
    { length: count },
    (_, i): Sample => ({ metric, dimensions, timestampMs: t0 + (from + i) * step, value: from + i }),
  );

const budget = (maxSeries = 1_000, maxSamples = 1_000_000) => new QueryBudget({ maxSeries, maxSamples });
const eq = (name: string, value: string): LabelMatcher => ({ name, op: '=', value });
const re = (name: string, value: string): LabelMatcher => ({ name, op: '=~', value });

async function seeded() {
  store = new SqliteMetricStore(':memory:');
  await store.write('t1', [
    ...samples('cpu', { host: 'a' }, 0, 300),
    ...samples('cpu', { host: 'b' }, 0, 300),
    ...samples('cpu', { host: 'c' }, 0, 300),
    ...samples('mem', { host: 'a' }, 0, 10),
  ]);
  await store.write('t2', samples('cpu', { host: 'secret' }, 0, 300));
  store.checkpoint();
  // Newer points stay in the head: reads merge both.
  await store.write('t1', samples('cpu', { host: 'a' }, 300, 20));
  return store;
}

describe('SQLite SelectSeries', () => {
  it('pushes the metric name and time range down and checks the other matchers on the labels', async () => {
    await seeded();
    const { select } = store.seriesReader('t1', budget());
    const series = await select({
      matchers: [eq('__name__', 'cpu'), re('host', 'a|b')],
      startMs: t0 + 290 * 15_000,
      endMs: t0 + 305 * 15_000,
    });
    expect(series.map((s) => s.labels)).toEqual([
      { __name__: 'cpu', host: 'a' },
      { __name__: 'cpu', host: 'b' },
    ]);
    const a = series[0]!;
    // 290..299 from chunks, 300..305 from the head, ascending, nothing outside the range.
    expect(Array.from(a.timestampsMs)).toEqual(Array.from({ length: 16 }, (_, i) => t0 + (290 + i) * 15_000));
    expect(Array.from(a.values)).toEqual(Array.from({ length: 16 }, (_, i) => 290 + i));
    expect(a.stale).toBeUndefined();
    expect(Array.from(series[1]!.timestampsMs)).toHaveLength(10);
  });

  it('matches metric names by regex and never reads another tenant', async () => {
    await seeded();
    const { select } = store.seriesReader('t1', budget());
    const all = await select({ matchers: [re('__name__', '.+')], startMs: t0, endMs: t0 + 10 * 86_400_000 });
    expect(all.map((s) => `${s.labels.__name__}/${s.labels.host}`).sort()).toEqual([
      'cpu/a',
      'cpu/b',
      'cpu/c',
      'mem/a',
    ]);
    const other = await select({ matchers: [eq('host', 'secret')], startMs: t0, endMs: t0 + 86_400_000 });
    expect(other).toEqual([]);
    const named = await select({ matchers: [re('__name__', 'me.')], startMs: t0, endMs: t0 + 86_400_000 });
    expect(named.map((s) => s.labels.__name__)).toEqual(['mem']);
  });

  it('a point written again in the head replaces the checkpointed one', async () => {
    await seeded();
    await store.write('t1', [
      { metric: 'cpu', dimensions: { host: 'b' }, timestampMs: t0 + 15_000, value: 42 },
    ]);
    const [b] = await store.seriesReader('t1', budget()).select({
      matchers: [eq('__name__', 'cpu'), eq('host', 'b')],
      startMs: t0,
      endMs: t0 + 2 * 15_000,
    });
    expect(Array.from(b!.values)).toEqual([0, 42, 2]);
  });

  it('carries stale markers as flags, from the head and from checkpointed chunks, and NaN as a value', async () => {
    store = new SqliteMetricStore(':memory:');
    const at = (i: number, value: number, stale?: true): Sample => ({
      metric: 'up',
      dimensions: {},
      timestampMs: t0 + i * 15_000,
      value,
      ...(stale ? { stale } : {}),
    });
    await store.write('t1', [at(0, 1), at(1, Number.NaN), at(2, Number.NaN, true)]);
    const read = async () =>
      (
        await store
          .seriesReader('t1', budget())
          .select({ matchers: [eq('__name__', 'up')], startMs: t0, endMs: t0 + 60_000 })
      )[0]!;
    for (const where of ['head', 'chunks']) {
      const series = await read();
      expect(Array.from(series.stale ?? []), where).toEqual([0, 0, 1]);
      expect(Number.isNaN(series.values[1]), where).toBe(true);
      store.checkpoint();
    }
  });

  it('stops reading at the sample limit, charging chunk by chunk', async () => {
    await seeded();
    const limited = budget(1_000, 500);
    const { select } = store.seriesReader('t1', limited);
    const read = select({ matchers: [eq('__name__', 'cpu')], startMs: t0, endMs: t0 + 86_400_000 });
    await expect(read).rejects.toThrow(QueryLimitExceededError);
    await expect(read).rejects.toMatchObject({ limit: 'max_samples', status: 422 });
    // Three series of 300+ samples: it stopped within one chunk (240 points) past the limit.
    expect(limited.samplesRead).toBeLessThanOrEqual(500 + 240);
  });

  it('refuses more series than the limit, the limit named', async () => {
    await seeded();
    const read = store
      .seriesReader('t1', budget(2))
      .select({ matchers: [eq('__name__', 'cpu')], startMs: t0, endMs: t0 + 86_400_000 });
    await expect(read).rejects.toMatchObject({ limit: 'max_fetched_series_per_query' });
  });

  it('streams a selector in label order across statement batches, each series as select reads it', async () => {
    store = new SqliteMetricStore(':memory:');
    // More series than one batch reads, written in an order that is not their label order; half
    // of them checkpointed, then newer points for every one in the head.
    const hosts = Array.from({ length: STREAM_BATCH_SERIES * 2 + 7 }, (_, i) => `h${(i * 37) % 1000}`);
    for (const host of hosts) await store.write('t1', samples('cpu', { host, zone: 'z' }, 0, 250));
    store.checkpoint();
    for (const host of hosts.slice(0, 60))
      await store.write('t1', samples('cpu', { host, zone: 'z' }, 250, 5));
    const selection = {
      matchers: [eq('__name__', 'cpu')],
      startMs: t0 + 10 * 15_000,
      endMs: t0 + 300 * 15_000,
    };
    const reader = store.seriesReader('t1', budget());
    const held = await reader.select(selection);
    const streamed: { labels: unknown; timestamps: number[]; values: number[] }[] = [];
    // Copied as they come: the store reuses its decode buffer from one batch to the next.
    for await (const s of reader.stream(selection))
      streamed.push({
        labels: s.labels,
        timestamps: Array.from(s.timestampsMs),
        values: Array.from(s.values),
      });
    const sortedHosts = [...hosts].sort();
    expect(streamed.map((s) => s.labels)).toEqual(
      sortedHosts.map((host) => ({ __name__: 'cpu', host, zone: 'z' })),
    );
    expect(streamed).toEqual(
      held.map((s) => ({
        labels: s.labels,
        timestamps: Array.from(s.timestampsMs),
        values: Array.from(s.values),
      })),
    );
    const withHead = streamed.find((s) => (s.labels as { host: string }).host === hosts[0])!;
    expect(withHead.values).toEqual(Array.from({ length: 245 }, (_, i) => 10 + i));
    const checkpointedOnly = streamed.find((s) => (s.labels as { host: string }).host === hosts[100])!;
    expect(checkpointedOnly.values).toEqual(Array.from({ length: 240 }, (_, i) => 10 + i));
  });

  it('lists series with samples in the range, labels only', async () => {
    await seeded();
    const { listSeries } = store.seriesReader('t1', budget());
    expect(
      await listSeries({
        matchers: [re('__name__', '.+')],
        startMs: t0 + 200 * 15_000,
        endMs: t0 + 86_400_000,
      }),
    ).toHaveLength(3);
    expect(
      await listSeries({
        matchers: [eq('__name__', 'cpu'), eq('host', 'a')],
        startMs: t0 + 305 * 15_000,
        endMs: t0 + 86_400_000,
      }),
    ).toEqual([{ __name__: 'cpu', host: 'a' }]);
  });
});
