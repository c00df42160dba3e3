/**
 * `npm run load`: finds the knee of the local platform (`npm start` as a child process, loopback
 * only). The offered rate starts at LOAD_START_RPS (default 50 req/s) and grows ×LOAD_FACTOR (1.5)
 * every LOAD_STEP_SECONDS (10 s), with many well-behaved tenants and one noisy tenant sending
 * NOISY_FACTOR times a well-behaved tenant's rate against low limits of its own. Each step mixes
 * native/OTLP/remote write ingest (100 series) and 5% queries. The run stops at the first step where
 * the well-behaved tenants' p99 passes LOAD_P99_MS (100 ms) or any error appears (5xx, network error
 * or timeout, a request that could not start, a 4xx other than the noisy tenant's 429s), or after
 * LOAD_MAX_STEPS; it reports the last step that held: requests/s and samples/s, per core, with the
 * server's CPU time (/proc) and RSS. The noisy tenant's 429s are expected and counted apart.
 * Open loop: requests start on schedule whether or not earlier ones finished, so a slow server shows
 * up as latency; between steps the run waits for the requests in flight.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { typicalNative, typicalOtlpJson, typicalRemoteWriteBody } from '../lib/payloads';
import { onboard, raiseLimits, startLocalPlatform } from '../lib/processes';
import { fmt, markdownTable, RESULTS_DIR } from '../lib/results';

const START_RPS = Number(process.env.LOAD_START_RPS ?? 50);
const FACTOR = Number(process.env.LOAD_FACTOR ?? 1.5);
const STEP_SECONDS = Number(process.env.LOAD_STEP_SECONDS ?? 10);
/** Before the first step, unreported: JIT, SQLite page cache and connection pools warm up. */
const WARMUP_SECONDS = Number(process.env.LOAD_WARMUP_SECONDS ?? 5);
const MAX_STEPS = Number(process.env.LOAD_MAX_STEPS ?? 14);
const P99_LIMIT_MS = Number(process.env.LOAD_P99_MS ?? 100);
const TENANTS = Number(process.env.LOAD_TENANTS ?? 20);
const COLLECTORS_PER_TENANT = Number(process.env.LOAD_COLLECTORS ?? 5);
const NOISY_FACTOR = Number(process.env.LOAD_NOISY_FACTOR ?? 5);
/** The noisy tenant's own limits: low, so it is throttled from the first step. */
const NOISY_LIMITS = { requestRate: 5, requestBurstSize: 10, ingestionRate: 500, ingestionBurstSize: 1000 };
/** The well-behaved tenants' limits: out of the way, so only the server can make them fail. */
const OPEN_LIMITS = {
  requestRate: 100_000,
  requestBurstSize: 1_000_000,
  ingestionRate: 1_000_000,
  ingestionBurstSize: 10_000_000,
};
const MAX_IN_FLIGHT = 512;
const TIMEOUT_MS = 10_000;
/** Distinct bodies per ingest format, built before the run so the client spends its CPU on sending. */
const POOL = 600;
const SAMPLES = { native: 40, otlp: 40, 'remote-write': 100, query: 0 } as const;
type Kind = keyof typeof SAMPLES;

interface Outcome {
  readonly ms: number;
  readonly status: number | 'error';
  readonly noisy: boolean;
  readonly kind: Kind;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

/** An error for a well-behaved tenant: anything but a 2xx. For the noisy one: anything but 2xx or 429. */
const isError = (o: Outcome) =>
  o.status === 'error' || o.status >= 500 || (o.status >= 400 && !(o.noisy && o.status === 429));

async function main() {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg();
  const cores = cpus().length;
  const platform = await startLocalPlatform();
  try {
    type Collector = { key: string; admin: string };
    const withCollectors = (t: Awaited<ReturnType<typeof onboard>>) => ({
      ...t,
      collectors: t.ingestKeys.map((key): Collector => ({ key, admin: t.adminToken })),
    });
    const good: ReturnType<typeof withCollectors>[] = [];
    for (let t = 0; t < TENANTS; t++) {
      const tenant = await onboard(platform.url, COLLECTORS_PER_TENANT, `load-${t}`);
      await raiseLimits(platform.url, tenant.tenantId, OPEN_LIMITS);
      good.push(withCollectors(tenant));
    }
    const noisy = withCollectors(await onboard(platform.url, COLLECTORS_PER_TENANT, 'load-noisy'));
    await raiseLimits(platform.url, noisy.tenantId, NOISY_LIMITS);
    // Out of every TENANTS + NOISY_FACTOR requests, NOISY_FACTOR go to the noisy tenant.
    const cycle = TENANTS + NOISY_FACTOR;

    const nowS = Math.floor(Date.now() / 1000);
    const bodies = {
      // Each body brings other points: an offset in the last 20 minutes, its own host and values.
      native: Array.from({ length: POOL }, (_, i) =>
        JSON.stringify(typicalNative(nowS - 2 * i, `host-${i % 100}`, i)),
      ),
      otlp: Array.from({ length: POOL }, (_, i) =>
        JSON.stringify(typicalOtlpJson((nowS - 2 * i) * 1000, `svc-${i % 100}`, i)),
      ),
      'remote-write': Array.from({ length: POOL }, (_, i) =>
        typicalRemoteWriteBody((nowS - 2 * i) * 1000, {
          series: 100,
          instance: `host-${i % 100}:9100`,
          seed: i,
        }),
      ),
    };

    let inFlight = 0;
    const send = (i: number, outcomes: Outcome[]) => {
      const isNoisy = i % cycle >= TENANTS;
      // Round robin over the tenants of each kind, then over each tenant's collectors.
      const round = Math.floor(i / cycle);
      const collector = isNoisy
        ? (noisy.collectors[
            (round * NOISY_FACTOR + (i % cycle) - TENANTS) % COLLECTORS_PER_TENANT
          ] as Collector)
        : (() => {
            const j = round * TENANTS + (i % cycle);
            return (good[j % TENANTS] as (typeof good)[number]).collectors[
              Math.floor(j / TENANTS) % COLLECTORS_PER_TENANT
            ] as Collector;
          })();
      const kind: Kind =
        i % 20 === 19 ? 'query' : ((['native', 'otlp', 'remote-write'] as const)[i % 3] as Kind);
      const body = i % POOL;
      const [path, init]: [string, RequestInit & { headers: Record<string, string> }] =
        kind === 'native'
          ? [
              '/v1/ingest',
              { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.native[body] },
            ]
          : kind === 'otlp'
            ? [
                '/v1/metrics',
                { method: 'POST', headers: { 'content-type': 'application/json' }, body: bodies.otlp[body] },
              ]
            : kind === 'remote-write'
              ? [
                  '/api/v1/write',
                  {
                    method: 'POST',
                    headers: { ...REMOTE_WRITE_HEADERS },
                    body: bodies['remote-write'][body],
                  },
                ]
              : [
                  `/v1/metrics/query?metric=busy&from=${(nowS - 1800) * 1000}&to=${Date.now()}&step=60&agg=avg`,
                  { method: 'GET', headers: {} },
                ];
      init.headers.authorization = `Bearer ${kind === 'query' ? collector.admin : collector.key}`;
      if (inFlight >= MAX_IN_FLIGHT) {
        outcomes.push({ ms: 0, status: 'error', noisy: isNoisy, kind });
        return;
      }
      inFlight++;
      const at = performance.now();
      fetch(`${platform.url}${path}`, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) })
        .then(async (response) => {
          await response.arrayBuffer();
          outcomes.push({ ms: performance.now() - at, status: response.status, noisy: isNoisy, kind });
        })
        .catch(() => outcomes.push({ ms: performance.now() - at, status: 'error', noisy: isNoisy, kind }))
        .finally(() => {
          inFlight--;
        });
    };

    /** One step: RPS for STEP_SECONDS on a 10 ms schedule, then wait for what is in flight. */
    let next = 0;
    const runStep = async (rps: number, seconds = STEP_SECONDS) => {
      const outcomes: Outcome[] = [];
      const cpuBefore = platform.cpuMs();
      const clientCpuBefore = process.cpuUsage();
      let rssMax = 0;
      const started = performance.now();
      let sent = 0;
      await new Promise<void>((resolve) => {
        const tick = setInterval(() => {
          rssMax = Math.max(rssMax, platform.rssKiB());
          const elapsed = (performance.now() - started) / 1000;
          const due = Math.floor(Math.min(elapsed, seconds) * rps);
          while (sent < due) {
            send(next++, outcomes);
            sent++;
          }
          if (elapsed >= seconds) {
            clearInterval(tick);
            resolve();
          }
        }, 10);
      });
      const drainDeadline = Date.now() + TIMEOUT_MS + 1000;
      while (inFlight > 0 && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 20));
      const wallS = (performance.now() - started) / 1000;
      const serverCores = (platform.cpuMs() - cpuBefore) / 1000 / wallS;
      const clientCpu = process.cpuUsage(clientCpuBefore);
      const clientCores = (clientCpu.user + clientCpu.system) / 1e6 / wallS;
      const goodMs = outcomes
        .filter((o) => !o.noisy && o.status !== 'error')
        .map((o) => o.ms)
        .sort((a, b) => a - b);
      const stored = outcomes.filter((o) => typeof o.status === 'number' && o.status < 300);
      const samples = stored.reduce((n, o) => n + SAMPLES[o.kind], 0);
      const errors = outcomes.filter(isError);
      const statuses: Record<string, number> = {};
      for (const o of errors) statuses[String(o.status)] = (statuses[String(o.status)] ?? 0) + 1;
      const p99 = quantile(goodMs, 0.99);
      return {
        rps,
        sent,
        completed: outcomes.length,
        achievedRps: stored.length / seconds,
        samplesPerS: samples / seconds,
        p50: quantile(goodMs, 0.5),
        p99,
        max: goodMs[goodMs.length - 1] ?? Number.NaN,
        noisy: outcomes.filter((o) => o.noisy).length,
        noisy429: outcomes.filter((o) => o.noisy && o.status === 429).length,
        errors: errors.length,
        errorStatuses: statuses,
        serverCores,
        clientCores,
        rssMiB: rssMax / 1024,
        held: errors.length === 0 && outcomes.length === sent && p99 <= P99_LIMIT_MS,
      };
    };

    if (WARMUP_SECONDS > 0) await runStep(START_RPS, WARMUP_SECONDS);
    const steps: Awaited<ReturnType<typeof runStep>>[] = [];
    for (let s = 0; s < MAX_STEPS; s++) {
      const step = await runStep(Math.round(START_RPS * FACTOR ** s));
      steps.push(step);
      console.log(
        `step ${s + 1}: ${step.rps} req/s offered, p99 ${fmt(step.p99, 1)} ms, errors ${step.errors}, noisy 429 ${step.noisy429}, server ${fmt(step.serverCores, 2)} cores`,
      );
      if (!step.held) break;
    }
    const knee = [...steps].reverse().find((s) => s.held);
    const broke = steps.find((s) => !s.held);
    const loadAtEnd = loadavg();

    const table = markdownTable(
      [
        'offered req/s',
        'served req/s (2xx)',
        'samples/s',
        'p50 ms',
        'p99 ms (well-behaved)',
        'noisy requests / 429',
        'errors',
        'server CPU (cores)',
        'client CPU (cores)',
        'server RSS MiB (max)',
        'held',
      ],
      steps.map((s) => [
        String(s.rps),
        fmt(s.achievedRps, 1),
        fmt(s.samplesPerS, 0),
        fmt(s.p50, 1),
        fmt(s.p99, 1),
        `${s.noisy} / ${s.noisy429}`,
        s.errors === 0 ? '0' : `${s.errors} ${JSON.stringify(s.errorStatuses)}`,
        fmt(s.serverCores, 2),
        fmt(s.clientCores, 2),
        fmt(s.rssMiB, 0),
        s.held ? 'yes' : 'NO',
      ]),
    );
    const perCore = (x: number, s: { serverCores: number }) =>
      `${fmt(x / cores, 0)} per machine core (${cores} cores), ${fmt(x / Math.max(0.01, s.serverCores), 0)} per core of server CPU time`;
    const summary = [
      `load (knee): ${START_RPS} req/s ×${FACTOR} every ${STEP_SECONDS} s until the well-behaved p99 passes ${P99_LIMIT_MS} ms or an error appears (at most ${MAX_STEPS} steps, after ${WARMUP_SECONDS} s of unreported warm-up at ${START_RPS} req/s); ${TENANTS} well-behaved tenants × ${COLLECTORS_PER_TENANT} collectors + 1 noisy tenant at ${NOISY_FACTOR}× a well-behaved tenant's rate against its limits (${NOISY_LIMITS.requestRate} req/s, ${NOISY_LIMITS.ingestionRate} samples/s: its 429s are expected, not errors); mix native/OTLP/remote write (100 series) + 5% queries`,
      knee
        ? `last rate that held: ${knee.rps} req/s offered, ${fmt(knee.achievedRps, 1)} req/s served (${perCore(knee.achievedRps, knee)}), ${fmt(knee.samplesPerS, 0)} samples/s (${perCore(knee.samplesPerS, knee)}); p50 ${fmt(knee.p50, 1)} ms, p99 ${fmt(knee.p99, 1)} ms; server CPU ${fmt(knee.serverCores, 2)} cores, load generator ${fmt(knee.clientCores, 2)} cores on the same machine; server RSS ${fmt(knee.rssMiB, 0)} MiB`
        : `no step held (first step: p99 ${fmt(steps[0]?.p99 ?? Number.NaN, 1)} ms, errors ${steps[0]?.errors})`,
      broke
        ? `broke at ${broke.rps} req/s: p99 ${fmt(broke.p99, 1)} ms, errors ${broke.errors} ${JSON.stringify(broke.errorStatuses)}${broke.completed < broke.sent ? `, ${broke.sent - broke.completed} still in flight after the drain` : ''}`
        : `did not break within ${MAX_STEPS} steps`,
      `noisy tenant: ${steps.reduce((n, s) => n + s.noisy429, 0)} of ${steps.reduce((n, s) => n + s.noisy, 0)} requests throttled (429)`,
      `load average ${loadAtStart.map((l) => fmt(l, 2)).join(' / ')} at the start, ${loadAtEnd.map((l) => fmt(l, 2)).join(' / ')} at the end (1/5/15 min, ${cores} cores; other processes may be running)`,
    ];
    console.log(table);
    console.log(summary.join('\n'));
    const dir = join(RESULTS_DIR, 'load');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'report.json'),
      JSON.stringify({ at: startedAt, cores, loadAtStart, loadAtEnd, knee, summary, table, steps }, null, 2),
    );
    if (!knee) process.exitCode = 1;
  } finally {
    await platform.stop();
  }
}

const guard = setTimeout(
  () => {
    console.error('load run exceeded its time bound');
    process.exit(2);
  },
  (WARMUP_SECONDS + MAX_STEPS * (STEP_SECONDS + TIMEOUT_MS / 1000 + 2) + 180) * 1000,
);
guard.unref();
await main();
