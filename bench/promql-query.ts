/**
 * PromQL query_range latency: the local platform (`npm start`: SQLite store, the query function's
 * engine) against a real Prometheus 2.42 holding the same samples, both fed by the same remote-write
 * bodies (time-major, so Prometheus' head accepts them in order), both asked the same queries over
 * HTTP with the same parameters. Each query runs ROUNDS times per system, alternating; p50 and p99
 * over all runs, and the peak RSS of each server while querying.
 *
 * Size: BENCH_PROMQL_SERIES series (default 1,000) over BENCH_PROMQL_HOURS hours (default 6) at 15 s,
 * the issue's 10 k series × 24 h with BENCH_PROMQL_SERIES=10000 BENCH_PROMQL_HOURS=24
 * BENCH_PROMQL_LOAD=direct (the platform's store written in-process: remote-writing 55 M samples
 * twice takes the machine for most of an hour; Prometheus is still fed by remote write).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { onboard, raiseLimits, type Service, startLocalPlatform, startPrometheus } from './lib/processes';
import { type BenchRow, deadline, fmt, ratio, writeReport } from './lib/results';

const SERIES = Number(process.env.BENCH_PROMQL_SERIES ?? 1_000);
const HOURS = Number(process.env.BENCH_PROMQL_HOURS ?? 6);
const ROUNDS = Number(process.env.BENCH_PROMQL_ROUNDS ?? 10);
const SCRAPE_MS = 15_000;
const STEP_SECONDS = 60;
const METRICS = 10;
const SERIES_PER_BODY = 2_000;
const WINDOW_POINTS = 20;
/** `remote-write` (both fed over HTTP) or `direct` (the platform's store written in-process). */
const LOAD = process.env.BENCH_PROMQL_LOAD ?? 'remote-write';

const QUERIES = [
  'sum(rate(bench_requests_0[5m]))',
  'sum by (code) (rate(bench_requests_1[5m]))',
  'topk(5, rate(bench_requests_2[5m]))',
  'max_over_time(bench_requests_3[10m])',
  'histogram_quantile(0.9, sum by (le) (rate(bench_latency_bucket[5m])))',
];

const LE = ['0.1', '0.5', '1', '5', '+Inf'];

interface BenchSeries {
  readonly labels: { name: string; value: string }[];
  /** Counter increase per scrape; buckets cumulative in le. */
  readonly rate: number;
}

function benchSeries(): BenchSeries[] {
  return Array.from({ length: SERIES }, (_, i) => {
    if (i < SERIES - LE.length * 10)
      return {
        labels: [
          { name: '__name__', value: `bench_requests_${i % METRICS}` },
          { name: 'code', value: String(200 + (i % 5)) },
          { name: 'instance', value: `10.0.${Math.floor(i / 250)}.${i % 250}:9100` },
          { name: 'job', value: 'bench' },
        ],
        rate: (i % 7) + 1,
      };
    const le = LE[(SERIES - i - 1) % LE.length] as string;
    return {
      labels: [
        { name: '__name__', value: 'bench_latency_bucket' },
        { name: 'instance', value: `i${Math.floor((SERIES - i - 1) / LE.length)}` },
        { name: 'job', value: 'bench' },
        { name: 'le', value: le },
      ],
      rate: LE.indexOf(le) + 1,
    };
  });
}

/**
 * The remote-write bodies, built as they are sent (55 M samples do not fit in memory as bodies):
 * WINDOW_POINTS scrapes of SERIES_PER_BODY series each, windows in time order, so a Prometheus head
 * (2 h out-of-order window) accepts them.
 */
function* bodies(series: readonly BenchSeries[], startMs: number, points: number): Generator<Uint8Array> {
  for (let p0 = 0; p0 < points; p0 += WINDOW_POINTS)
    for (let from = 0; from < series.length; from += SERIES_PER_BODY) {
      const timeseries = series.slice(from, from + SERIES_PER_BODY).map((s) => {
        const samples = [];
        for (let p = p0; p < Math.min(points, p0 + WINDOW_POINTS); p++)
          samples.push({ value: p * s.rate, timestamp: startMs + p * SCRAPE_MS, stale: false });
        return { labels: s.labels, samples };
      });
      yield encodeRemoteWriteBody({ timeseries });
    }
}

async function write(url: string, all: Iterator<Uint8Array>, token?: string): Promise<void> {
  const headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS };
  if (token) headers.authorization = `Bearer ${token}`;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let next = all.next(); !next.done; next = all.next()) {
        const response = await fetch(url, { method: 'POST', headers, body: next.value });
        if (!response.ok)
          throw new Error(`remote write to ${url}: ${response.status} ${await response.text()}`);
      }
    }),
  );
}

/**
 * The same samples written straight into the platform's SQLite store (the fastest load: no HTTP, no
 * decoding), one scrape of every series per write, while the platform serves reads from that file.
 */
async function writeStore(
  dataDir: string,
  tenantId: string,
  series: readonly BenchSeries[],
  startMs: number,
  points: number,
): Promise<void> {
  const store = new SqliteMetricStore(join(dataDir, 'metrics.sqlite'), { checkpointSamples: 2_000_000 });
  const named = series.map((s) => ({
    metric: s.labels[0]!.value,
    dimensions: Object.fromEntries(s.labels.slice(1).map((l) => [l.name, l.value])),
    rate: s.rate,
  }));
  try {
    for (let p = 0; p < points; p++) {
      const t = startMs + p * SCRAPE_MS;
      await store.write(
        tenantId,
        named.map((s) => ({ metric: s.metric, dimensions: s.dimensions, timestampMs: t, value: p * s.rate })),
      );
      // The store checkpoints its head on setImmediate: let it, or the head grows without bound.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    store.close();
  }
}

interface Timing {
  readonly ms: number[];
  peakRssMiB: number;
}

async function queryOnce(
  service: Service,
  query: string,
  startS: number,
  endS: number,
  token?: string,
): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${service.url}/api/v1/query_range`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: new URLSearchParams({
      query,
      start: String(startS),
      end: String(endS),
      step: String(STEP_SECONDS),
    }),
  });
  const body = (await response.json()) as { status: string; error?: string };
  const ms = performance.now() - started;
  if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
  return ms;
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

async function main(): Promise<void> {
  const endMs = Math.floor(Date.now() / SCRAPE_MS) * SCRAPE_MS - 60_000;
  const points = Math.floor((HOURS * 3_600_000) / SCRAPE_MS);
  const startMs = endMs - points * SCRAPE_MS;
  const series = benchSeries();
  const platform = await startLocalPlatform();
  const prometheus = await startPrometheus();
  try {
    const { tenantId, adminToken, ingestKeys } = await onboard(platform.url);
    await raiseLimits(platform.url, tenantId, {
      ingestionRate: 1_000_000,
      ingestionBurstSize: 10_000_000,
      requestRate: 100_000,
      requestBurstSize: 100_000,
      maxActiveSeries: SERIES * 2,
      maxActiveSeriesPerMetric: SERIES * 2,
    });
    const loadStarted = performance.now();
    if (LOAD === 'direct') await writeStore(platform.dataDir, tenantId, series, startMs, points);
    else await write(`${platform.url}/api/v1/write`, bodies(series, startMs, points), ingestKeys[0]);
    const platformLoadS = (performance.now() - loadStarted) / 1000;
    await write(`${prometheus.url}/api/v1/write`, bodies(series, startMs, points));
    const prometheusLoadS = (performance.now() - loadStarted) / 1000 - platformLoadS;
    console.info(
      `loaded: platform ${fmt(platformLoadS, 1)} s (${LOAD}), Prometheus ${fmt(prometheusLoadS, 1)} s`,
    );
    const endS = endMs / 1000;
    const startS = endS - HOURS * 3600 + 600;
    const ours: Timing = { ms: [], peakRssMiB: 0 };
    const theirs: Timing = { ms: [], peakRssMiB: 0 };
    // One untimed pass each: the first query compiles V8's code and warms Prometheus' caches.
    for (const q of QUERIES) {
      await queryOnce(platform, q, startS, endS, adminToken);
      await queryOnce(prometheus, q, startS, endS);
    }
    // The kernel's high-water mark restarts here, so it is the peak while querying (not loading).
    for (const s of [platform, prometheus]) resetPeakRss(s);
    for (let round = 0; round < ROUNDS; round++)
      for (const q of QUERIES) {
        ours.ms.push(await queryOnce(platform, q, startS, endS, adminToken));
        ours.peakRssMiB = Math.max(ours.peakRssMiB, platform.rssKiB() / 1024);
        theirs.ms.push(await queryOnce(prometheus, q, startS, endS));
        theirs.peakRssMiB = Math.max(theirs.peakRssMiB, prometheus.rssKiB() / 1024);
      }
    const ourHwmMiB = peakRssKiB(platform) / 1024;
    const theirHwmMiB = peakRssKiB(prometheus) / 1024;
    const row = (figure: string, a: number, b: number, unit: string): BenchRow => ({
      figure,
      measured: `${fmt(a, 1)} ${unit}`,
      baseline: `${fmt(b, 1)} ${unit} (Prometheus 2.42)`,
      ratio: ratio(a, b),
      goal: '≤ 1.0×',
      verdict: a <= b ? 'met' : 'missed',
    });
    writeReport('promql-query', {
      section: 'PromQL query_range',
      rows: [
        row('query_range p50', percentile(ours.ms, 0.5), percentile(theirs.ms, 0.5), 'ms'),
        row('query_range p99', percentile(ours.ms, 0.99), percentile(theirs.ms, 0.99), 'ms'),
        {
          ...row('peak RSS while querying', ours.peakRssMiB, theirs.peakRssMiB, 'MiB'),
          goal: '—',
          verdict: 'info',
        },
        {
          ...row('peak RSS during queries (kernel high-water mark)', ourHwmMiB, theirHwmMiB, 'MiB'),
          goal: '—',
          verdict: 'info',
        },
      ],
      notes: [
        `${fmt(SERIES)} series × ${HOURS} h at 15 s (${fmt(SERIES * points)} samples), written by remote write to Prometheus ` +
          `(${fmt(prometheusLoadS, 1)} s) and ${LOAD === 'direct' ? 'straight into the platform’s SQLite store' : 'by remote write to the platform'} (${fmt(platformLoadS, 1)} s); ` +
          `${QUERIES.length} queries × ${ROUNDS} rounds, range ${HOURS} h minus 10 min, step ${STEP_SECONDS} s, over HTTP on loopback.`,
        `Queries: ${QUERIES.map((q) => `\`${q}\``).join(', ')}.`,
      ],
    });
    console.info(
      `PromQL query_range: p50 ${fmt(percentile(ours.ms, 0.5), 1)} ms vs ${fmt(percentile(theirs.ms, 0.5), 1)} ms, ` +
        `p99 ${fmt(percentile(ours.ms, 0.99), 1)} ms vs ${fmt(percentile(theirs.ms, 0.99), 1)} ms, ` +
        `RSS ${fmt(ours.peakRssMiB)} MiB vs ${fmt(theirs.peakRssMiB)} MiB, ` +
        `high-water ${fmt(ourHwmMiB)} MiB vs ${fmt(theirHwmMiB)} MiB`,
    );
  } finally {
    await platform.stop();
    await prometheus.stop();
  }
}

/**
 * RSS sampled between queries misses what a query holds while it runs (and a map it drops at the
 * end): the kernel's VmHWM does not, once reset after loading (clear_refs 5, Linux ≥ 4.0).
 */
function resetPeakRss(service: Service): void {
  writeFileSync(`/proc/${service.child.pid}/clear_refs`, '5');
}

function peakRssKiB(service: Service): number {
  const status = readFileSync(`/proc/${service.child.pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
}

const limit = deadline(Number(process.env.BENCH_PROMQL_TIMEOUT_MS ?? 540_000), 'promql-query bench');
await Promise.race([main(), limit.promise]).finally(() => limit.clear());
