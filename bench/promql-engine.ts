/**
 * The PromQL engine alone (no store, no HTTP): 10,000 synthetic series (1,000 of them classic
 * histogram buckets), one sample every 15 s for an hour, read through an in-memory SelectSeries.
 * Measures a few query shapes as range queries (1 h, 60 s step, 61 points) and instant queries:
 * median and p99 wall time over repeated runs, and the heap a query leaves allocated at its peak.
 * `tsx bench/promql-engine.ts`; also run by `npm run bench` (about 30 s).
 */
import { compileMatchers } from '#domain/label-matchers';
import type { RawSeries, SelectSeries } from '#ports/series-source';
import { evaluateInstant, evaluateRange } from '#promql/engine';
import { DEFAULT_QUERY_LIMITS } from '#promql/limits';
import { fmt, writeReport } from './lib/results';

const SERIES = 10_000;
const BUCKET_SERIES = 1_000;
const INTERVAL_MS = 15_000;
const HOUR_MS = 3_600_000;
const END_MS = 1_700_000_000_000 - (1_700_000_000_000 % INTERVAL_MS);
const START_MS = END_MS - HOUR_MS;
const RUNS = Number(process.env.PROMQL_BENCH_RUNS ?? 5);

function synthetic(): RawSeries[] {
  const points = HOUR_MS / INTERVAL_MS + 1;
  const timestampsMs = Array.from({ length: points }, (_, i) => START_MS + i * INTERVAL_MS);
  const out: RawSeries[] = [];
  const counters = SERIES - BUCKET_SERIES;
  for (let s = 0; s < counters; s++) {
    const rate = 1 + (s % 17);
    out.push({
      labels: {
        __name__: 'http_requests_total',
        job: `job-${s % 10}`,
        instance: `host-${Math.floor(s / 10) % 100}:9100`,
        path: `/api/${s % 9}`,
        shard: String(Math.floor(s / 1000)),
      },
      timestampsMs,
      values: timestampsMs.map((_, i) => i * rate * 15 + (s % 5)),
    });
  }
  const les = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (let s = 0; s < BUCKET_SERIES; s++) {
    const le = les[s % les.length]!;
    const share = (s % les.length) + 1;
    out.push({
      labels: {
        __name__: 'http_request_duration_seconds_bucket',
        job: `job-${Math.floor(s / les.length) % 10}`,
        instance: `host-${Math.floor(s / les.length)}:9100`,
        le,
      },
      timestampsMs,
      values: timestampsMs.map((_, i) => i * share * 3),
    });
  }
  return out;
}

const QUERIES = [
  { name: 'sum(rate(x[5m]))', query: 'sum(rate(http_requests_total[5m]))' },
  { name: 'sum by (job) (rate(x[5m]))', query: 'sum by (job) (rate(http_requests_total[5m]))' },
  {
    name: 'histogram_quantile(0.9, sum by (le) (rate(b[5m])))',
    query: 'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))',
  },
  { name: 'topk(10, x)', query: 'topk(10, http_requests_total)' },
  {
    name: 'x / on(instance, job, path, shard) x offset 10m',
    query: 'http_requests_total / on(instance, job, path, shard) http_requests_total offset 10m',
  },
  {
    name: 'max_over_time(rate(x[1m])[10m:1m])',
    query: 'max_over_time(rate(http_requests_total{job="job-1"}[1m])[10m:1m])',
  },
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;
}

async function main(): Promise<void> {
  // A store that has exactly the hour queried: matchers applied, samples handed over as they are, so
  // the figures are the engine's own.
  const all = synthetic();
  const select: SelectSeries = async ({ matchers }) => {
    const matches = compileMatchers(matchers);
    return all.filter((s) => matches(s.labels));
  };
  const limits = { maxSamples: DEFAULT_QUERY_LIMITS.maxSamples, timeoutMs: 60_000 };
  const rows = [];
  for (const { name, query } of QUERIES) {
    for (const kind of ['range', 'instant'] as const) {
      const run = () =>
        kind === 'range'
          ? evaluateRange({ query, startMs: START_MS, endMs: END_MS, stepMs: 60_000, select, limits })
          : evaluateInstant({ query, timeMs: END_MS, select, limits });
      await run(); // warm-up
      const times: number[] = [];
      let peakHeap = 0;
      for (let i = 0; i < RUNS; i++) {
        globalThis.gc?.();
        const before = process.memoryUsage().heapUsed;
        const t0 = performance.now();
        const result = await run();
        times.push(performance.now() - t0);
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed - before);
        if (result.resultType !== 'matrix' && result.resultType !== 'vector')
          throw new Error('unexpected result');
        if (result.result.length === 0) throw new Error(`${name}: empty result`);
      }
      times.sort((a, b) => a - b);
      const p50 = percentile(times, 0.5);
      const p99 = percentile(times, 0.99);
      console.log(
        `${kind.padEnd(7)} ${name.padEnd(52)} p50 ${fmt(p50, 1).padStart(8)} ms  p99 ${fmt(p99, 1).padStart(8)} ms  heap +${fmt(peakHeap / 1e6, 1)} MB`,
      );
      rows.push({
        figure: `PromQL engine, ${kind}: ${name} over ${fmt(SERIES)} series`,
        measured: `p50 ${fmt(p50, 1)} ms, p99 ${fmt(p99, 1)} ms, heap +${fmt(peakHeap / 1e6, 1)} MB`,
        baseline: '—',
        ratio: '—',
        goal: 'info',
        verdict: 'info' as const,
      });
    }
  }
  writeReport('promql-engine', {
    section: 'PromQL engine',
    rows,
    notes: [
      `${fmt(SERIES)} synthetic series (${fmt(BUCKET_SERIES)} histogram buckets), 15 s samples over 1 h, in memory; range queries 1 h at a 60 s step (61 points), instant at the end.`,
      `Median and p99 of ${RUNS} runs after a warm-up; heap is the growth during a run (indicative; run with --expose-gc for steadier figures). The select hands over in-memory series: the store's read time is not included (the query API benchmark measures the whole path against Prometheus).`,
    ],
  });
}

await main();
