import { describe, expect, it, vi } from 'vitest';
import type { RawSeries, SeriesSelection } from '#ports/series-source';
import { evaluateInstant, evaluateRange } from '#promql/engine';
import { BadQueryError, QueryCanceledError, QueryExecutionError } from '#promql/errors';
import { DEFAULT_QUERY_LIMITS, QueryLimitError } from '#promql/limits';
import { memorySelect } from './testdata-format';

const MIN = 60_000;
const limits = { maxSamples: 1_000_000, timeoutMs: 10_000 };

/** `count` series `name{i="…"}`, one sample a minute for an hour, value i * minute index. */
function counters(name: string, count: number): RawSeries[] {
  return Array.from({ length: count }, (_, i) => ({
    labels: { __name__: name, i: String(i) },
    timestampsMs: Array.from({ length: 61 }, (_, m) => m * MIN),
    values: Array.from({ length: 61 }, (_, m) => i * m),
  }));
}

describe('evaluateInstant / evaluateRange', () => {
  it('reads each distinct selector once, over the range the whole query needs', async () => {
    const selections: SeriesSelection[] = [];
    const data = memorySelect(counters('c', 2));
    const select = async (s: SeriesSelection) => {
      selections.push(s);
      return data(s);
    };
    await evaluateRange({
      query: 'rate(c[5m]) + c offset 10m + max_over_time(c[10m:1m] offset 5m) + c{i="1"} @ 60',
      startMs: 30 * MIN,
      endMs: 40 * MIN,
      stepMs: MIN,
      select,
      limits,
    });
    expect(selections).toHaveLength(2);
    // c: rate needs [25m, 40m]; offset 10m [15m (lookback 5m), 30m]; the subquery's steps [15m, 35m] with
    // their lookback, [10m, 35m].
    expect(selections[0]).toMatchObject({ startMs: 10 * MIN, endMs: 40 * MIN });
    // c{i="1"} @ 60: at 1m, with the lookback.
    expect(selections[1]).toMatchObject({ startMs: 60_000 - 5 * MIN, endMs: 60_000 });
  });

  it('answers a range query as a matrix sorted by labels, and a scalar as one series', async () => {
    const select = memorySelect(counters('c', 3));
    const r = await evaluateRange({
      query: 'sum by (i) (c)',
      startMs: 0,
      endMs: 2 * MIN,
      stepMs: MIN,
      select,
      limits,
    });
    expect(r).toEqual({
      resultType: 'matrix',
      result: [
        { metric: { i: '0' }, timestampsMs: [0, MIN, 2 * MIN], values: [0, 0, 0] },
        { metric: { i: '1' }, timestampsMs: [0, MIN, 2 * MIN], values: [0, 1, 2] },
        { metric: { i: '2' }, timestampsMs: [0, MIN, 2 * MIN], values: [0, 2, 4] },
      ],
      warnings: [],
    });
    const t = await evaluateRange({ query: 'time()', startMs: 0, endMs: MIN, stepMs: MIN, select, limits });
    expect(t.result).toEqual([{ metric: {}, timestampsMs: [0, MIN], values: [0, 60] }]);
  });

  it('ends a series at a stale marker (a flag, the value being NaN)', async () => {
    const select = memorySelect([
      {
        labels: { __name__: 'g' },
        timestampsMs: [0, MIN, 2 * MIN],
        values: [1, Number.NaN, Number.NaN],
        stale: Uint8Array.from([0, 1, 0]),
      },
    ]);
    const at = async (timeMs: number) =>
      (await evaluateInstant({ query: 'g', timeMs, select, limits })).result as { value: number }[];
    expect(await at(30_000)).toEqual([expect.objectContaining({ value: 1 })]);
    expect(await at(MIN + 1)).toEqual([]);
    // A NaN that is not the marker is a value.
    expect((await at(2 * MIN))[0]?.value).toBeNaN();
  });

  it('refuses with typed errors: bad queries, execution errors', async () => {
    const select = memorySelect([...counters('a', 1), ...counters('b', 1)]);
    await expect(
      evaluateRange({ query: 'a[5m]', startMs: 0, endMs: MIN, stepMs: MIN, select, limits }),
    ).rejects.toThrow(
      new BadQueryError(
        'invalid expression type "range vector" for range query, must be Scalar or instant Vector',
      ),
    );
    await expect(
      evaluateRange({ query: 'a', startMs: 0, endMs: MIN, stepMs: 0, select, limits }),
    ).rejects.toThrow(BadQueryError);
    await expect(
      evaluateInstant({ query: 'rate({__name__=~"a|b"}[5m])', timeMs: 10 * MIN, select, limits }),
    ).rejects.toThrow(new QueryExecutionError('vector cannot contain metrics with the same labelset'));
    await expect(
      evaluateInstant({ query: 'holt_winters(a[5m], 2, 0.5)', timeMs: 10 * MIN, select, limits }),
    ).rejects.toThrow(QueryExecutionError);
  });

  it('refuses a query that would hold more than max_samples at once, naming the limit', async () => {
    const select = memorySelect(counters('c', 100));
    const run = (maxSamples: number) =>
      evaluateRange({
        query: 'sum(c)',
        startMs: 0,
        endMs: 60 * MIN,
        stepMs: MIN,
        select,
        limits: { ...limits, maxSamples },
      });
    await expect(run(6_200)).resolves.toMatchObject({ resultType: 'matrix' });
    const refused = await run(6_000).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(QueryLimitError);
    expect((refused as QueryLimitError).limit).toBe('max_samples');
    expect((refused as Error).message).toContain('query processing would load too many samples into memory');
  });

  it('refuses a query reading more series than max series', async () => {
    const select = memorySelect([...counters('a', 3), ...counters('b', 3)]);
    const refused = await evaluateInstant({
      query: 'a + on(i) b',
      timeMs: MIN,
      select,
      limits: { ...limits, maxSeries: 5 },
    }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'QueryLimitError', limit: 'max_fetched_series_per_query' });
  });

  it('stops at the timeout and when the caller aborts', async () => {
    const select = memorySelect(counters('c', 50));
    const long = { query: 'sum(rate(c[5m]))', startMs: 0, endMs: 60 * MIN, stepMs: 1000, select };
    vi.spyOn(Date, 'now').mockReturnValueOnce(0).mockReturnValue(1_000_000);
    await expect(evaluateRange({ ...long, limits: { ...limits, timeoutMs: 1000 } })).rejects.toMatchObject({
      limit: 'query_timeout',
    });
    vi.restoreAllMocks();
    const controller = new AbortController();
    controller.abort();
    await expect(evaluateRange({ ...long, limits, signal: controller.signal })).rejects.toThrow(
      QueryCanceledError,
    );
  });

  it('exports Mimir-like defaults for the API', () => {
    expect(DEFAULT_QUERY_LIMITS).toMatchObject({
      maxSamples: 50_000_000,
      timeoutMs: 120_000,
      maxResolutionPoints: 11_000,
    });
  });
});
