/**
 * Aggregations folded series by series as the store streams them (shared/promql/engine.ts fold)
 * against the same aggregation over held series. Parentheses around the aggregated expression keep
 * the held path (`sum((rate(m[5m])))`), so each query is evaluated both ways over the same data and
 * every value must be the same float, bit for bit, and every refusal the same refusal.
 */
import { describe, expect, it } from 'vitest';
import type { RawSeries, SeriesSelection, StreamSeries } from '#ports/series-source';
import { evaluateInstant, evaluateRange, type QueryResult } from '#promql/engine';
import { QueryExecutionError } from '#promql/errors';
import { RANGE_FUNCTIONS } from '#promql/functions';
import { QueryLimitError } from '#promql/limits';
import { memorySelect } from './testdata-format';

const SCRAPE_MS = 15_000;
const POINTS = 480;
const limits = { maxSamples: 10_000_000, timeoutMs: 30_000 };

/** A deterministic pseudo-random sequence (an LCG), so the data is the same every run. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

/**
 * 40 series of `m` (code × instance), counters with fractional increments, resets, gaps, NaN values
 * and stale markers; and `other`, whose series collide with `m`'s once the metric name is dropped.
 */
function dataset(): RawSeries[] {
  const next = random(7);
  const series: RawSeries[] = [];
  for (let i = 0; i < 40; i++) {
    const timestampsMs: number[] = [];
    const values: number[] = [];
    const stale: number[] = [];
    let v = next() * 1000;
    for (let p = 0; p < POINTS; p++) {
      if (next() < 0.05) continue;
      timestampsMs.push(p * SCRAPE_MS + Math.floor(next() * 1000));
      const r = next();
      if (r < 0.01) {
        values.push(Number.NaN);
        stale.push(1);
        continue;
      }
      v = r < 0.02 ? next() : v + next() * 10.3;
      values.push(r < 0.025 ? Number.NaN : v);
      stale.push(0);
    }
    // Every eighth series is `other` with the labels of the `m` series before it.
    const twin = i % 8 === 7 ? i - 1 : i;
    series.push({
      labels: { __name__: twin === i ? 'm' : 'other', code: String(200 + (twin % 3)), instance: `i${twin}` },
      timestampsMs,
      values,
      stale: Uint8Array.from(stale),
    });
  }
  return series;
}

const data = dataset();
const select = memorySelect(data);

/** A stream as a store would give it (label order), recording the selections it was asked for. */
function recordingStream(streamed: SeriesSelection[]): StreamSeries {
  return async function* (selection) {
    streamed.push(selection);
    const series = [...(await select(selection))];
    const key = (s: RawSeries) =>
      Object.keys(s.labels)
        .sort()
        .map((n) => `${n}\u0000${s.labels[n]}\u0000`)
        .join('');
    series.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    yield* series;
  };
}

/**
 * A stream that decodes every series into the same two buffers, as the SQLite store does: a consumer
 * that kept a series past the next one would read another series' samples.
 */
function reusingStream(): StreamSeries {
  const inner = recordingStream([]);
  return async function* (selection) {
    const timestamps = new Float64Array(POINTS);
    const values = new Float64Array(POINTS);
    for await (const s of inner(selection)) {
      timestamps.fill(-1);
      values.fill(-1);
      timestamps.set(Array.from(s.timestampsMs));
      values.set(Array.from(s.values));
      yield {
        labels: s.labels,
        timestampsMs: timestamps.subarray(0, s.timestampsMs.length),
        values: values.subarray(0, s.values.length),
        ...(s.stale ? { stale: s.stale } : {}),
      };
    }
  };
}

const START_MS = 20 * 60_000;
const END_MS = (POINTS - 1) * SCRAPE_MS;

async function both(
  query: string,
  stream: StreamSeries,
  options: { instant?: boolean; maxSamples?: number; onlyRanges?: boolean } = {},
): Promise<[QueryResult | Error, QueryResult | Error]> {
  const run = async (q: string, withStream: boolean) => {
    const common = {
      query: q,
      select,
      ...(withStream ? { stream } : {}),
      limits: { ...limits, maxSamples: options.maxSamples ?? limits.maxSamples },
    };
    try {
      return options.instant
        ? await evaluateInstant({ ...common, timeMs: END_MS - 30_000 })
        : await evaluateRange({ ...common, startMs: START_MS, endMs: END_MS, stepMs: 60_000 });
    } catch (error) {
      return error as Error;
    }
  };
  const held = heldForm(query, !options.onlyRanges);
  expect(held).not.toBe(query);
  return [await run(query, true), await run(held, false)];
}

/**
 * The same query evaluated on held series: an aggregated expression and a range selector in
 * parentheses are not streamed (`sum((rate((m[5m]))))`).
 */
function heldForm(query: string, aggregation: boolean): string {
  return (
    aggregation ? query.replace(/^(\w+(?: (?:by|without) \([^)]*\))? )\((.*)\)$/, '$1(($2))') : query
  ).replace(/(m\[\w+\](?: offset \w+)?)/g, '($1)');
}

/** Every value as its bits, so -0, NaN and the last digit count. */
function bits(r: QueryResult | Error): unknown {
  if (r instanceof Error) return { error: r.constructor.name, message: r.message };
  const f = (v: number) => (Object.is(v, -0) ? '-0' : Number.isNaN(v) ? 'NaN' : v.toString(16));
  if (r.resultType === 'matrix')
    return r.result.map((s) => ({ metric: s.metric, t: s.timestampsMs, v: s.values.map(f) }));
  if (r.resultType === 'vector') return r.result.map((s) => ({ metric: s.metric, v: f(s.value) }));
  return r;
}

const OPS = ['sum', 'avg', 'min', 'max', 'count', 'group', 'stddev', 'stdvar'];
const FUNCTIONS = [
  'rate(m[5m])',
  'increase(m[10m])',
  'irate(m[1m])',
  'max_over_time(m[3m])',
  'avg_over_time(m[5m])',
  'sum_over_time(m[2m])',
  'last_over_time(m[5m])',
  'deriv(m[5m])',
  'changes(m[5m] offset 2m)',
  'm',
  'm offset 1m',
];
const GROUPINGS = ['', ' by (code)', ' without (instance)'];

describe('aggregations folded as series stream in', () => {
  it('answer every op × function × grouping bit for bit as the held path does, range and instant', async () => {
    const streamed: SeriesSelection[] = [];
    const stream = recordingStream(streamed);
    let compared = 0;
    for (const op of OPS)
      for (const fn of FUNCTIONS)
        for (const grouping of GROUPINGS)
          for (const instant of [false, true]) {
            const query = `${op}${grouping} (${fn})`;
            const before = streamed.length;
            const [folded, held] = await both(query, stream, { instant });
            expect(streamed.length, `${query} was folded`).toBe(before + 1);
            expect(folded, query).not.toBeInstanceOf(Error);
            expect(bits(folded), query).toEqual(bits(held));
            compared++;
          }
    expect(compared).toBe(OPS.length * FUNCTIONS.length * GROUPINGS.length * 2);
  });

  it('computes a range function series by series, bit for bit, under topk, comparisons and alone', async () => {
    const streamed: SeriesSelection[] = [];
    const stream = recordingStream(streamed);
    const queries = [
      ...FUNCTIONS.filter((fn) => fn.includes('[')),
      'topk(3, rate(m[5m]))',
      'bottomk by (code) (2, max_over_time(m[3m]))',
      'rate(m[5m]) > 0.3',
      'histogram_quantile(0.5, rate(m[5m]))',
      'quantile by (code) (0.9, irate(m[1m]))',
    ];
    for (const query of queries)
      for (const instant of [false, true]) {
        const before = streamed.length;
        const [folded, held] = await both(query, stream, { instant, onlyRanges: true });
        expect(streamed.length, `${query} streamed`).toBe(before + 1);
        expect(folded, query).not.toBeInstanceOf(Error);
        expect(bits(folded), query).toEqual(bits(held));
      }
  });

  it('reads each series before asking for the next (a store may reuse its buffers)', async () => {
    for (const query of [
      'sum by (code) (rate(m[5m]))',
      'max (m)',
      'avg without (instance) (deriv(m[5m]))',
      'topk(2, increase(m[10m]))',
    ]) {
      const [folded, held] = await both(query, reusingStream());
      expect(bits(folded), query).toEqual(bits(held));
    }
  });

  it('refuses what the held path refuses: max_samples at the same limits, a duplicate label set', async () => {
    // rate(m[5m]) over the 100 steps holds ~3,500 samples (35 series), its largest window 21 (the
    // window check), the sum ~300.
    const refused: boolean[] = [];
    for (const maxSamples of [20, 200, 3_000, 5_000]) {
      const [folded, held] = await both('sum by (code) (rate(m[5m]))', recordingStream([]), { maxSamples });
      expect(bits(folded), `max_samples ${maxSamples}`).toEqual(bits(held));
      refused.push(folded instanceof QueryLimitError);
    }
    expect(refused).toEqual([true, true, true, false]);
    for (const query of ['sum (rate({__name__=~"m|other"}[5m]))', 'rate({__name__=~"m|other"}[5m])']) {
      const streamed = await evaluateRange({
        query,
        startMs: START_MS,
        endMs: END_MS,
        stepMs: 60_000,
        select,
        stream: recordingStream([]),
        limits,
      }).catch((error: Error) => error);
      const unstreamed = await evaluateRange({
        query: query.replace(/(\{[^}]*\}\[5m\])/, '($1)').replace(/^sum \((.*)\)$/, 'sum (($1))'),
        startMs: START_MS,
        endMs: END_MS,
        stepMs: 60_000,
        select,
        limits,
      }).catch((error: Error) => error);
      expect(streamed, query).toBeInstanceOf(QueryExecutionError);
      expect(bits(streamed), query).toEqual(bits(unstreamed));
    }
  });

  it('fails loudly on a store that streams series out of label order', async () => {
    const reversed: StreamSeries = async function* (selection) {
      const all: RawSeries[] = [];
      for await (const s of recordingStream([])(selection)) all.push(s);
      yield* all.reverse();
    };
    await expect(
      evaluateRange({
        query: 'sum(rate(m[5m]))',
        startMs: START_MS,
        endMs: END_MS,
        stepMs: 60_000,
        select,
        stream: reversed,
        limits,
      }),
    ).rejects.toThrow('out of label order');
  });

  it('streams a selector once for all its folds, and not at all when another node holds it', async () => {
    const streamed: SeriesSelection[] = [];
    const r = await evaluateRange({
      query: 'sum(rate(m[5m])) / count(rate(m[5m])) + on() group_left max(m)',
      startMs: START_MS,
      endMs: END_MS,
      stepMs: 60_000,
      select,
      stream: recordingStream(streamed),
      limits,
    });
    // Three folds of m (max(m) too): one stream.
    expect(streamed).toHaveLength(1);
    expect(r.resultType).toBe('matrix');
    const mixed: SeriesSelection[] = [];
    await evaluateRange({
      query: 'sum(rate(m[5m])) + on() group_left topk(1, max_over_time(m[5m:1m]))',
      startMs: START_MS,
      endMs: END_MS,
      stepMs: 60_000,
      select,
      stream: recordingStream(mixed),
      limits,
    });
    // The subquery's m is read in its own frame (held), so the sum reads the held series too.
    expect(mixed).toHaveLength(0);
  });
});

describe('counter functions given the running count of resets', () => {
  it('answer every window exactly as the full walk does', () => {
    const next = random(11);
    const ts: number[] = [];
    const vs: number[] = [];
    let v = 0;
    for (let i = 0; i < 400; i++) {
      ts.push(i * SCRAPE_MS);
      const r = next();
      v = r < 0.05 ? next() * 3 : r < 0.07 ? Number.NaN : (Number.isNaN(v) ? 0 : v) + next() * 7.1;
      vs.push(v);
    }
    const resets = new Int32Array(vs.length);
    for (let k = 1; k < vs.length; k++) resets[k] = resets[k - 1]! + (vs[k]! < vs[k - 1]! ? 1 : 0);
    let withReset = 0;
    for (const name of ['rate', 'increase']) {
      const f = RANGE_FUNCTIONS[name]!;
      for (let lo = 0; lo < vs.length; lo += 3)
        for (const width of [1, 2, 5, 20, 41]) {
          const hi = Math.min(vs.length, lo + width);
          const window = {
            ts,
            vs,
            lo,
            hi,
            stepMs: ts[hi - 1]! + 5_000,
            startMs: ts[lo]! - 3_000,
            endMs: ts[hi - 1]! + 5_000,
            rangeMs: 300_000,
            args: [],
          };
          const walked = f(window);
          const skipped = f({ ...window, resets });
          expect(
            Object.is(skipped, walked) || (Number.isNaN(skipped) && Number.isNaN(walked)),
            `${name} [${lo}, ${hi})`,
          ).toBe(true);
          if (resets[hi - 1]! > resets[lo]!) withReset++;
        }
    }
    // Both kinds of window were checked.
    expect(withReset).toBeGreaterThan(100);
    expect(withReset).toBeLessThan(2 * 134 * 5);
  });
});
