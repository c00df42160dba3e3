/**
 * End-to-end remote-write throughput: the local platform (`npm start`, one Node process, SQLite)
 * against a real Prometheus 2.42 (/usr/bin/prometheus --web.enable-remote-write-receiver) on the same
 * machine, fed the same pre-encoded snappy WriteRequests by the same driver (a small Node client with
 * keep-alive and fixed concurrency). Samples/s counts samples acknowledged (2xx) and then verified
 * queryable by each system's own query API. Loopback only; bounded in time.
 *
 * What is measured is steady state: each system first takes the same warm-up traffic (other series,
 * earlier times, the same concurrency), as a server that has been up for a while has seen. Without it
 * a one-second run mostly measured V8 compiling the handlers (Go's binary has nothing to warm up).
 */
import { REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { typicalRemoteWriteBody } from './lib/payloads';
import { onboard, raiseLimits, type Service, startLocalPlatform, startPrometheus } from './lib/processes';
import { type BenchRow, deadline, fmt, ratio, writeReport } from './lib/results';

const BODIES = Number(process.env.BENCH_RW_BODIES ?? 5000);
/**
 * Requests of other series each system takes before the measured run. Node's cost per request was
 * still falling after a thousand requests (V8 keeps optimising the per-request code; 1.0 ms CPU in
 * the first thousand, 0.5-0.6 ms after several thousand), so the warm-up is a few seconds of traffic.
 * The warm-up itself is reported too, as the cold figure.
 */
const WARM_UP_BODIES = Number(process.env.BENCH_RW_WARM_UP_BODIES ?? 5000);
/** Each system runs this many times, alternating (ours, theirs, ours, …); the best run of each counts. */
const ROUNDS = Number(process.env.BENCH_RW_ROUNDS ?? 2);
const SERIES_PER_BODY = 500;
const METRICS = 10;
const CONCURRENCY = Number(process.env.BENCH_RW_CONCURRENCY ?? 8);
const STEP_MS = 1000;

interface RunResult {
  /** The warm-up run, from a cold start (samples acknowledged; not queried). */
  readonly cold: Omit<RunResult, 'queryable' | 'cold'>;
  readonly acknowledged: number;
  readonly seconds: number;
  readonly statuses: Record<string, number>;
  readonly queryable: number;
  readonly peakRssMiB: number;
  /** CPU time the receiving process used during the run. */
  readonly cpuMs: number;
}

async function drive(
  service: Service,
  url: string,
  bodies: readonly Uint8Array[],
  token?: string,
): Promise<Omit<RunResult, 'queryable' | 'cold'>> {
  let next = 0;
  let acknowledged = 0;
  let peak = 0;
  const statuses: Record<string, number> = {};
  const rssTimer = setInterval(() => {
    peak = Math.max(peak, service.rssKiB());
  }, 100);
  const headers: Record<string, string> = { ...REMOTE_WRITE_HEADERS };
  if (token) headers.authorization = `Bearer ${token}`;
  const cpuBefore = service.cpuMs();
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < bodies.length) {
        const body = bodies[next++] as Uint8Array;
        const response = await fetch(url, { method: 'POST', headers, body });
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        if (response.ok) acknowledged += SERIES_PER_BODY;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  clearInterval(rssTimer);
  return {
    acknowledged,
    seconds,
    statuses,
    peakRssMiB: Math.max(peak, service.rssKiB()) / 1024,
    cpuMs: service.cpuMs() - cpuBefore,
  };
}

/**
 * The warm-up: WARM_UP_BODIES requests of other series (instance warm:1) at earlier times, driven
 * like the measured run (JIT, SQLite pages, Go heap), as both systems get.
 */
function warmUpBodies(t0: number): Uint8Array[] {
  const start = t0 - (WARM_UP_BODIES + 60) * STEP_MS;
  return Array.from({ length: WARM_UP_BODIES }, (_, b) =>
    typicalRemoteWriteBody(start + b * STEP_MS, {
      series: SERIES_PER_BODY,
      metrics: METRICS,
      instance: 'warm:1',
      seed: b,
    }),
  );
}

async function warmUp(service: Service, url: string, bodies: readonly Uint8Array[], token?: string) {
  const run = await drive(service, url, bodies, token);
  if (run.acknowledged !== bodies.length * SERIES_PER_BODY)
    throw new Error(`warm-up was not accepted: ${JSON.stringify(run.statuses)}`);
  return run;
}

async function runPlatform(
  bodies: readonly Uint8Array[],
  warmUpRequests: readonly Uint8Array[],
  from: number,
  to: number,
): Promise<RunResult> {
  const platform = await startLocalPlatform();
  let ours: RunResult;
  try {
    const { tenantId, adminToken, ingestKeys } = await onboard(platform.url);
    // Prometheus enforces no limits: the tenant gets a large customer's limits, so what is measured is
    // the platform's throughput, not the default 10,000 samples/s a new tenant starts with.
    await raiseLimits(platform.url, tenantId, {
      ingestionRate: 1_000_000,
      ingestionBurstSize: 10_000_000,
      requestRate: 100_000,
      requestBurstSize: 100_000,
    });
    const cold = await warmUp(platform, `${platform.url}/api/v1/write`, warmUpRequests, ingestKeys[0]);
    const run = await drive(platform, `${platform.url}/api/v1/write`, bodies, ingestKeys[0]);
    let queryable = 0;
    for (let m = 0; m < METRICS; m++) {
      const response = await fetch(
        `${platform.url}/v1/metrics/query?metric=node_metric_${m}&from=${from}&to=${to}&instance=${encodeURIComponent('10.0.1.23:9100')}`,
        { headers: { authorization: `Bearer ${adminToken}` } },
      );
      const { series } = (await response.json()) as { series: { points: unknown[] }[] };
      for (const s of series) queryable += s.points.length;
    }
    ours = { ...run, queryable, cold };
  } finally {
    await platform.stop();
  }

  return ours;
}

async function runPrometheus(
  bodies: readonly Uint8Array[],
  warmUpRequests: readonly Uint8Array[],
  from: number,
  to: number,
): Promise<RunResult> {
  const prometheus = await startPrometheus();
  let theirs: RunResult;
  try {
    const cold = await warmUp(prometheus, `${prometheus.url}/api/v1/write`, warmUpRequests);
    const run = await drive(prometheus, `${prometheus.url}/api/v1/write`, bodies);
    // One query per metric name: count_over_time drops __name__, so names must not share a vector.
    let queryable = 0;
    for (let m = 0; m < METRICS; m++) {
      const query = encodeURIComponent(
        `sum(count_over_time(node_metric_${m}{job="node",instance="10.0.1.23:9100"}[${Math.ceil((to - from) / 1000)}s]))`,
      );
      const response = await fetch(`${prometheus.url}/api/v1/query?query=${query}&time=${to / 1000}`);
      const body = (await response.json()) as { data?: { result?: { value: [number, string] }[] } };
      queryable += Number(body.data?.result?.[0]?.value[1] ?? 0);
    }
    theirs = { ...run, queryable, cold };
  } finally {
    await prometheus.stop();
  }

  return theirs;
}

const rate = (r: RunResult) => Math.min(r.acknowledged, r.queryable) / r.seconds;
const coldRate = (r: RunResult) => r.cold.acknowledged / r.cold.seconds;
/** Per-core efficiency: Node serves on one thread, Prometheus on every core it can get. */
const perCpuSecond = (r: RunResult) => Math.min(r.acknowledged, r.queryable) / Math.max(r.cpuMs / 1000, 0.01);

async function main() {
  const t0 = Date.now() - BODIES * STEP_MS - 60_000;
  const bodies = Array.from({ length: BODIES }, (_, b) =>
    typicalRemoteWriteBody(t0 + b * STEP_MS, { series: SERIES_PER_BODY, metrics: METRICS, seed: b }),
  );
  const warmUpRequests = warmUpBodies(t0);
  const from = t0 - 1000;
  const to = t0 + BODIES * STEP_MS + 1000;

  const better = (a: RunResult | undefined, b: RunResult) => (a && rate(a) >= rate(b) ? a : b);
  let ours: RunResult | undefined;
  let theirs: RunResult | undefined;
  for (let round = 0; round < ROUNDS; round++) {
    ours = better(ours, await runPlatform(bodies, warmUpRequests, from, to));
    theirs = better(theirs, await runPrometheus(bodies, warmUpRequests, from, to));
  }
  if (!ours || !theirs) throw new Error('no rounds ran');
  const rows: BenchRow[] = [
    {
      figure: 'remote write end-to-end, steady state (after the warm-up): samples/s accepted and queryable',
      measured: `${fmt(rate(ours))} /s`,
      baseline: `${fmt(rate(theirs))} /s (Prometheus 2.42)`,
      ratio: ratio(rate(ours), rate(theirs)),
      goal: '≥ 1.00× Prometheus',
      verdict: rate(ours) >= rate(theirs) ? 'met' : 'missed',
    },
    {
      figure: `remote write, cold: the first ${WARM_UP_BODIES} requests after start (the warm-up), samples/s acknowledged`,
      measured: `${fmt(coldRate(ours))} /s`,
      baseline: `${fmt(coldRate(theirs))} /s (Prometheus 2.42)`,
      ratio: ratio(coldRate(ours), coldRate(theirs)),
      goal: '—',
      verdict: 'info',
    },
    {
      figure: 'remote write: samples per CPU-second of the receiving process',
      measured: `${fmt(perCpuSecond(ours))} /CPU-s (${fmt(ours.cpuMs / 1000 / ours.seconds, 2)} cores busy)`,
      baseline: `${fmt(perCpuSecond(theirs))} /CPU-s (${fmt(theirs.cpuMs / 1000 / theirs.seconds, 2)} cores busy)`,
      ratio: ratio(perCpuSecond(ours), perCpuSecond(theirs)),
      goal: '—',
      verdict: 'info',
    },
    {
      figure: 'remote write: peak RSS during the run',
      measured: `${fmt(ours.peakRssMiB)} MiB`,
      baseline: `${fmt(theirs.peakRssMiB)} MiB (Prometheus 2.42)`,
      ratio: ratio(ours.peakRssMiB, theirs.peakRssMiB),
      goal: '—',
      verdict: 'info',
    },
  ];
  const describe = (name: string, r: RunResult) =>
    `${name}: ${fmt(r.acknowledged)} samples acknowledged in ${fmt(r.seconds, 2)} s, ${fmt(r.queryable)} queryable, statuses ${JSON.stringify(r.statuses)}`;
  const notes = [
    `Best of ${ROUNDS} alternating runs each (a fresh process and data directory every run), each after the same ${WARM_UP_BODIES} warm-up requests of other series. ${BODIES} WriteRequests × ${SERIES_PER_BODY} series × 1 sample (node_exporter-like labels, ${METRICS} metric names), snappy protobuf, ${CONCURRENCY} concurrent keep-alive connections from one Node driver; Prometheus with storage.tsdb.out_of_order_time_window 2h so concurrent sends are not refused.`,
    describe('platform', ours),
    describe('prometheus', theirs),
  ];
  writeReport('remote-write-throughput', { section: 'Remote write throughput', rows, notes });
  for (const row of rows) console.log(`${row.figure}: ${row.measured} vs ${row.baseline} = ${row.ratio}`);
  for (const note of notes) console.log(`  ${note}`);
}

const limit = deadline(240_000, 'remote-write throughput bench');
await Promise.race([main(), limit.promise]).finally(() => limit.clear());
