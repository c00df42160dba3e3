/**
 * PromQL query_range latency: the local platform (`npm start`: SQLite store, the query function's
 * engine) against a real Prometheus 2.42 holding the same samples, both fed by the same remote-write
 * bodies (time-major, so Prometheus' head accepts them in order), both asked the same queries over
 * HTTP with the same parameters. Each query runs ROUNDS times per system, alternating; p50 and p99
 * over all runs of the wall time and of each server's CPU time per query (/proc/<pid>/stat before and
 * after: on a shared machine the CPU-time ratio holds where wall time does not), and each server's
 * peak RSS while querying.
 *
 * Size: BENCH_PROMQL_SERIES series (default 1,000) over BENCH_PROMQL_HOURS hours (default 6) at 15 s,
 * the issue's 10 k series × 24 h with BENCH_PROMQL_SERIES=10000 BENCH_PROMQL_HOURS=24
 * BENCH_PROMQL_LOAD=direct (the platform's store written in-process: remote-writing 55 M samples
 * twice takes the machine for most of an hour; Prometheus is still fed by remote write).
 * BENCH_PROMQL_DATA_DIR=<dir> keeps both systems' loaded data there: a later run of the same size only
 * queries (loading 10 k × 24 h takes ~10 minutes).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import {
  onboard,
  raiseLimits,
  type Service,
  startLocalPlatform,
  startPrometheus,
  statusKiBOf,
} from './lib/processes';
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
  /** Wall time of each query as the client saw it. */
  readonly ms: number[];
  /** CPU time (user + system) the server process spent on each query. */
  readonly cpuMs: number[];
  peakRssMiB: number;
  /** Each query's own peak RSS (VmHWM reset before it), and its file-backed part after it (mapped store pages). */
  readonly queryPeakMiB: number[];
  readonly fileMiB: number[];
  /** Each query's peak anonymous RSS (heap and buffers, not mapped files), sampled every 10 ms. */
  readonly anonPeakMiB: number[];
}

/** One query's wall time (client side) and the server's CPU time for it (from /proc, before/after). */
async function queryOnce(
  service: Service,
  query: string,
  startS: number,
  endS: number,
  token?: string,
): Promise<{ ms: number; cpuMs: number }> {
  const cpuBefore = service.cpuMs();
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
  const cpuMs = service.cpuMs() - cpuBefore;
  if (body.status !== 'success') throw new Error(`${query}: ${body.error}`);
  return { ms, cpuMs };
}

const percentile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
};

/**
 * BENCH_PROMQL_DATA_DIR keeps the loaded data between runs: the platform's DATA_DIR under
 * `platform/`, Prometheus' TSDB under `prometheus/`, and `manifest.json`, written once loading has
 * finished, naming what was loaded (size, load mode, time range, the tenant and its token). A run whose
 * size and load mode match the manifest only queries; anything else (or no manifest: an interrupted
 * load) starts from empty directories.
 */
interface Manifest {
  readonly version: 1;
  readonly series: number;
  readonly hours: number;
  readonly load: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly tenantId: string;
  readonly adminToken: string;
  readonly platformLoadS: number;
  readonly prometheusLoadS: number;
}

const DATA_DIR = process.env.BENCH_PROMQL_DATA_DIR;

function keptManifest(): Manifest | undefined {
  if (!DATA_DIR) return undefined;
  try {
    const m = JSON.parse(readFileSync(join(DATA_DIR, 'manifest.json'), 'utf8')) as Manifest;
    if (m.version === 1 && m.series === SERIES && m.hours === HOURS && m.load === LOAD) return m;
  } catch {
    // none yet
  }
  rmSync(DATA_DIR, { recursive: true, force: true });
  return undefined;
}

async function main(): Promise<void> {
  const kept = keptManifest();
  const points = Math.floor((HOURS * 3_600_000) / SCRAPE_MS);
  const endMs = kept?.endMs ?? Math.floor(Date.now() / SCRAPE_MS) * SCRAPE_MS - 60_000;
  const startMs = endMs - points * SCRAPE_MS;
  const series = benchSeries();
  const platform = await startLocalPlatform({}, DATA_DIR && join(DATA_DIR, 'platform'));
  const prometheus = await startPrometheus(undefined, DATA_DIR && join(DATA_DIR, 'prometheus'));
  try {
    let manifest: Manifest;
    if (kept) {
      manifest = kept;
      console.info(`reusing the data loaded in ${DATA_DIR} (${new Date(kept.endMs).toISOString()})`);
    } else {
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
      manifest = {
        version: 1,
        series: SERIES,
        hours: HOURS,
        load: LOAD,
        startMs,
        endMs,
        tenantId,
        adminToken,
        platformLoadS,
        prometheusLoadS,
      };
      if (DATA_DIR) writeFileSync(join(DATA_DIR, 'manifest.json'), JSON.stringify(manifest, null, 2));
    }
    const { adminToken, platformLoadS, prometheusLoadS } = manifest;
    console.info(
      `loaded: platform ${fmt(platformLoadS, 1)} s (${LOAD}), Prometheus ${fmt(prometheusLoadS, 1)} s`,
    );
    const endS = endMs / 1000;
    const startS = endS - HOURS * 3600 + 600;
    const emptyTiming = (): Timing => ({
      ms: [],
      cpuMs: [],
      peakRssMiB: 0,
      queryPeakMiB: [],
      fileMiB: [],
      anonPeakMiB: [],
    });
    const ours = emptyTiming();
    const theirs = emptyTiming();
    // What each server holds before its first query (what a query's peak adds to).
    const idleAnonMiB = [platform, prometheus].map((s) => statusKiB(s, 'RssAnon') / 1024);
    // One untimed pass each: the first query compiles V8's code and warms Prometheus' caches.
    for (const q of QUERIES) {
      await queryOnce(platform, q, startS, endS, adminToken);
      await queryOnce(prometheus, q, startS, endS);
    }
    const loadAverages: number[] = [];
    const measure = async (timing: Timing, service: Service, q: string, token?: string) => {
      // The kernel's high-water mark restarts before each query: its peak, not loading's.
      resetPeakRss(service);
      let anonPeakKiB = statusKiB(service, 'RssAnon');
      const sampler = setInterval(() => {
        anonPeakKiB = Math.max(anonPeakKiB, statusKiB(service, 'RssAnon'));
      }, 10);
      const { ms, cpuMs } = await queryOnce(service, q, startS, endS, token).finally(() =>
        clearInterval(sampler),
      );
      timing.anonPeakMiB.push(Math.max(anonPeakKiB, statusKiB(service, 'RssAnon')) / 1024);
      timing.queryPeakMiB.push(peakRssKiB(service) / 1024);
      timing.fileMiB.push(statusKiB(service, 'RssFile') / 1024);
      timing.ms.push(ms);
      timing.cpuMs.push(cpuMs);
      timing.peakRssMiB = Math.max(timing.peakRssMiB, service.rssKiB() / 1024);
    };
    for (let round = 0; round < ROUNDS; round++)
      for (const q of QUERIES) {
        await measure(ours, platform, q, adminToken);
        await measure(theirs, prometheus, q);
        loadAverages.push(loadavg()[0] as number);
      }
    const ourHwmMiB = Math.max(...ours.queryPeakMiB);
    const theirHwmMiB = Math.max(...theirs.queryPeakMiB);
    const row = (figure: string, a: number, b: number, unit: string): BenchRow => ({
      figure,
      measured: `${fmt(a, 1)} ${unit}`,
      baseline: `${fmt(b, 1)} ${unit} (Prometheus 2.42)`,
      ratio: ratio(a, b),
      goal: '≤ 1.0×',
      verdict: a <= b ? 'met' : 'missed',
    });
    const load = { min: Math.min(...loadAverages), max: Math.max(...loadAverages) };
    writeReport('promql-query', {
      section: 'PromQL query_range',
      rows: [
        row('query_range p50 (wall)', percentile(ours.ms, 0.5), percentile(theirs.ms, 0.5), 'ms'),
        row('query_range p99 (wall)', percentile(ours.ms, 0.99), percentile(theirs.ms, 0.99), 'ms'),
        row('query_range p50 (server CPU)', percentile(ours.cpuMs, 0.5), percentile(theirs.cpuMs, 0.5), 'ms'),
        row(
          'query_range p99 (server CPU)',
          percentile(ours.cpuMs, 0.99),
          percentile(theirs.cpuMs, 0.99),
          'ms',
        ),
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
        {
          ...row(
            'peak anonymous RSS during queries (heap, not mapped files)',
            Math.max(...ours.anonPeakMiB),
            Math.max(...theirs.anonPeakMiB),
            'MiB',
          ),
          goal: '—',
          verdict: 'info',
        },
      ],
      notes: [
        `${fmt(SERIES)} series × ${HOURS} h at 15 s (${fmt(SERIES * points)} samples), written by remote write to Prometheus ` +
          `(${fmt(prometheusLoadS, 1)} s) and ${LOAD === 'direct' ? 'straight into the platform’s SQLite store' : 'by remote write to the platform'} (${fmt(platformLoadS, 1)} s)` +
          `${kept ? `, loaded by an earlier run (kept in ${DATA_DIR})` : ''}; ` +
          `${QUERIES.length} queries × ${ROUNDS} rounds, range ${HOURS} h minus 10 min, step ${STEP_SECONDS} s, over HTTP on loopback.`,
        `Queries: ${QUERIES.map((q) => `\`${q}\``).join(', ')}.`,
        `1-minute load average while querying: ${fmt(load.min, 1)}–${fmt(load.max, 1)} (${cpus().length} cores).`,
        `Anonymous RSS before the first query: platform ${fmt(idleAnonMiB[0]!)} MiB, Prometheus ${fmt(idleAnonMiB[1]!)} MiB.`,
      ],
    });
    const figure = (name: string, a: number[], b: number[]) =>
      `${name} p50 ${fmt(percentile(a, 0.5), 1)} ms vs ${fmt(percentile(b, 0.5), 1)} ms (${ratio(percentile(a, 0.5), percentile(b, 0.5))}), ` +
      `p99 ${fmt(percentile(a, 0.99), 1)} ms vs ${fmt(percentile(b, 0.99), 1)} ms (${ratio(percentile(a, 0.99), percentile(b, 0.99))})`;
    console.info(
      `PromQL query_range: ${figure('wall', ours.ms, theirs.ms)}; ${figure('CPU', ours.cpuMs, theirs.cpuMs)}; ` +
        `RSS ${fmt(ours.peakRssMiB)} MiB vs ${fmt(theirs.peakRssMiB)} MiB, ` +
        `high-water ${fmt(ourHwmMiB)} MiB vs ${fmt(theirHwmMiB)} MiB (${ratio(ourHwmMiB, theirHwmMiB)}); ` +
        `anonymous RSS before the first query ${fmt(idleAnonMiB[0]!)} vs ${fmt(idleAnonMiB[1]!)} MiB; ` +
        `load average ${fmt(load.min, 1)}–${fmt(load.max, 1)}`,
    );
    for (const [i, q] of QUERIES.entries()) {
      const of = (t: Timing, k: 'ms' | 'cpuMs' | 'queryPeakMiB' | 'fileMiB' | 'anonPeakMiB') =>
        percentile(
          t[k].filter((_, j) => j % QUERIES.length === i),
          0.5,
        );
      console.info(
        `  ${q}: wall median ${fmt(of(ours, 'ms'))} vs ${fmt(of(theirs, 'ms'))} ms, ` +
          `CPU median ${fmt(of(ours, 'cpuMs'))} vs ${fmt(of(theirs, 'cpuMs'))} ms, ` +
          `peak RSS median ${fmt(of(ours, 'queryPeakMiB'))} vs ${fmt(of(theirs, 'queryPeakMiB'))} MiB ` +
          `(file-backed after it ${fmt(of(ours, 'fileMiB'))} vs ${fmt(of(theirs, 'fileMiB'))} MiB; ` +
          `anonymous peak ${fmt(of(ours, 'anonPeakMiB'))} vs ${fmt(of(theirs, 'anonPeakMiB'))} MiB)`,
      );
    }
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
  return statusKiB(service, 'VmHWM');
}

function statusKiB(service: Service, field: string): number {
  return statusKiBOf(service.child.pid, field);
}

const limit = deadline(Number(process.env.BENCH_PROMQL_TIMEOUT_MS ?? 540_000), 'promql-query bench');
await Promise.race([main(), limit.promise]).finally(() => limit.clear());
