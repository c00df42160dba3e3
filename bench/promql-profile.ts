/**
 * The PromQL query path in one process, for a profiler (`node --cpu-prof --import tsx
 * bench/promql-profile.ts`): one metric's 1,000 series and 50 bucket series over 24 h at 15 s in a
 * SQLite store (the per-query read of the 10 k × 24 h query bench), then the bench's queries through
 * the store's reader, the engine and Prometheus' JSON, each timed. PROFILE_DIR keeps the store between
 * runs (it is written once). With BENCH_PROMQL_DATA_DIR naming the query bench's kept data
 * (bench/promql-query.ts), the bench's own store, tenant, range and queries instead.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { DEFAULT_QUERY_LIMITS, QueryBudget } from '#domain/query-limits';
import { evaluateRange } from '#promql/engine';
import { queryAnswer } from '../functions/query/format';
import { statusKiBOf } from './lib/processes';

const DIR = process.env.PROFILE_DIR ?? '/tmp/promql-profile';
const SERIES = 1_000;
const SCRAPE_MS = 15_000;
const POINTS = (24 * 3_600_000) / SCRAPE_MS;
const END_MS = 1_765_000_000_000 - (1_765_000_000_000 % SCRAPE_MS);
const START_MS = END_MS - POINTS * SCRAPE_MS;
const LE = ['0.1', '0.5', '1', '5', '+Inf'];
const TENANT = 'tenant-profile';
const ROUNDS = Number(process.env.PROFILE_ROUNDS ?? 3);
const kib = (field: string) => statusKiBOf(process.pid, field);

const QUERIES = [
  'sum(rate(bench_requests_0[5m]))',
  'sum by (code) (rate(bench_requests_0[5m]))',
  'topk(5, rate(bench_requests_0[5m]))',
  'max_over_time(bench_requests_0[10m])',
  'histogram_quantile(0.9, sum by (le) (rate(bench_latency_bucket[5m])))',
];

async function fill(store: SqliteMetricStore): Promise<void> {
  const series = [
    ...Array.from({ length: SERIES }, (_, i) => ({
      metric: 'bench_requests_0',
      dimensions: {
        code: String(200 + (i % 5)),
        instance: `10.0.${Math.floor(i / 250)}.${i % 250}:9100`,
        job: 'bench',
      },
      rate: (i % 7) + 1,
    })),
    ...Array.from({ length: 50 }, (_, i) => ({
      metric: 'bench_latency_bucket',
      dimensions: { instance: `i${Math.floor(i / LE.length)}`, job: 'bench', le: LE[i % LE.length]! },
      rate: (i % LE.length) + 1,
    })),
  ];
  for (let p = 0; p < POINTS; p++) {
    const t = START_MS + p * SCRAPE_MS;
    await store.write(
      TENANT,
      series.map((s) => ({ metric: s.metric, dimensions: s.dimensions, timestampMs: t, value: p * s.rate })),
    );
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const benchDir = process.env.BENCH_PROMQL_DATA_DIR;
const bench = benchDir
  ? (JSON.parse(readFileSync(join(benchDir, 'manifest.json'), 'utf8')) as {
      tenantId: string;
      startMs: number;
      endMs: number;
    })
  : undefined;
const file = benchDir ? join(benchDir, 'platform', 'metrics.sqlite') : join(DIR, 'metrics.sqlite');
const fresh = !existsSync(file);
if (!benchDir) mkdirSync(DIR, { recursive: true });
const store = new SqliteMetricStore(file, { checkpointSamples: 2_000_000 });
if (fresh) await fill(store);
const tenant = bench?.tenantId ?? TENANT;
const endMs = bench?.endMs ?? END_MS;
const startMs = (bench?.startMs ?? START_MS) + 600_000;
const queries = bench ? QUERIES.map((q, i) => q.replace('bench_requests_0', `bench_requests_${i}`)) : QUERIES;
const limits = { ...DEFAULT_QUERY_LIMITS, timeoutMs: 600_000 };
for (let round = 0; round < ROUNDS; round++)
  for (const query of queries) {
    const t0 = performance.now();
    const reader = store.seriesReader(tenant, new QueryBudget(limits));
    const answer = await evaluateRange({
      query,
      startMs,
      endMs,
      stepMs: 60_000,
      select: reader.select,
      stream: reader.stream,
      limits,
    });
    const t1 = performance.now();
    const body = queryAnswer(answer).body as string;
    const t2 = performance.now();
    console.log(
      `${query.padEnd(72)} engine ${(t1 - t0).toFixed(0).padStart(6)} ms  json ${(t2 - t1).toFixed(0).padStart(5)} ms  ${(body.length / 1e6).toFixed(1)} MB  ` +
        `RssAnon ${(kib('RssAnon') / 1024).toFixed(0)} MiB, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MiB, buffers ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(0)} MiB`,
    );
  }
// Resident memory by kind: mapped store pages are RssFile, the heap and buffers RssAnon.
const status = readFileSync('/proc/self/status', 'utf8');
console.log(
  status
    .split('\n')
    .filter((l) => /^(VmHWM|VmRSS|RssAnon|RssFile)/.test(l))
    .join('  '),
);
store.close();
