/**
 * Noisy neighbour: tenant A pushes at ten times its ingestion rate while tenant B ingests. B must
 * keep a 100 % success rate and its p99 latency within 1.5× of its solo runs. Both solo runs (before
 * and after the flood) happen in the same test run on the same platform, so the comparison does not
 * depend on how fast this machine is; the numbers are printed for the record.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { push, seriesPayload, tenantWithLimits } from './support';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.destroy();
});

const A_RATE = 200;
const A_SAMPLES_PER_REQUEST = 100;
/** 20 requests/s × 100 samples = 2 000 samples/s: ten times A's limit. */
const A_INTERVAL_MS = (1000 * A_SAMPLES_PER_REQUEST) / (A_RATE * 10);
const ROUNDS = 10;
const B_REQUESTS_PER_ROUND = 100;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};

let sequence = 0;
const bFailures = new Map<number, number>();
async function runB(ingestKey: string, requests: number): Promise<{ latencies: number[]; ok: number }> {
  const latencies: number[] = [];
  let ok = 0;
  for (let i = 0; i < requests; i++) {
    const t = Math.floor(Date.now() / 1000);
    // Every body differs (values), so no request is an idempotent replay of another.
    const payload = seriesPayload(t, { series: 20, metric: 'b_load', values: { [t]: sequence++ } });
    const started = performance.now();
    const response = await push(platform, ingestKey, payload);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
    if (response.status === 202) ok++;
    else bFailures.set(response.status, (bFailures.get(response.status) ?? 0) + 1);
  }
  return { latencies, ok };
}

/**
 * Tenant A's flood runs in its own process, started once, as a real neighbour's collectors would:
 * only the platform is shared, not the test's event loop. On `start` it posts 100-sample requests
 * every A_INTERVAL_MS; on `stop` it waits for answers and reports the samples sent, the seconds it
 * flooded and the statuses it got.
 */
interface FloodReport {
  sent: number;
  seconds: number;
  statuses: Record<string, number>;
}

function startFloodProcess(ingestKey: string) {
  const script = `
    const [url, key, interval, perRequest] = process.argv.slice(1);
    let value = 0, timer, inFlight = new Set(), report;
    // One series, perRequest values (the last perRequest seconds): a collector flushing a backlog.
    const body = (t) => JSON.stringify({ resourceName: 'host-1', resourceIds: { 'system.hostname': 'host-1' },
      dataSource: 'Guard', instances: [{ instanceName: 'i0', dataPoints: [{ dataPointName: 'a_flood',
        values: Object.fromEntries(Array.from({ length: Number(perRequest) }, (_, i) => [t - i, value])) }] }] });
    const send = () => {
      const p = fetch(url, { method: 'POST', headers: { authorization: 'Bearer ' + key,
        'content-type': 'application/json' }, body: body(Math.floor(Date.now() / 1000)) })
        .then(async (r) => { await r.arrayBuffer(); report.statuses[r.status] = (report.statuses[r.status] ?? 0) + 1; })
        .catch(() => { report.statuses.error = (report.statuses.error ?? 0) + 1; });
      value++; report.sent += Number(perRequest);
      inFlight.add(p); p.finally(() => inFlight.delete(p));
    };
    // Catch up when timers run late (a busy machine), so the average stays at the target rate.
    const tick = () => {
      const due = Math.floor((performance.now() - report.started) / Number(interval)) + 1;
      while (report.sent / Number(perRequest) < due) send();
    };
    process.on('message', async (command) => {
      if (command === 'start') {
        report = { sent: 0, seconds: 0, statuses: {}, started: performance.now() };
        tick();
        timer = setInterval(tick, Number(interval) / 2);
        process.send('started');
      } else if (command === 'stop') {
        clearInterval(timer);
        report.seconds = (performance.now() - report.started) / 1000;
        await Promise.all([...inFlight]);
        process.send(report);
      } else process.exit(0);
    });
    process.send('ready');
  `;
  const child = spawn(
    process.execPath,
    [
      '-e',
      script,
      `${platform.url}/v1/ingest`,
      ingestKey,
      String(A_INTERVAL_MS),
      String(A_SAMPLES_PER_REQUEST),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
  );
  const next = <T>() =>
    new Promise<T>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`flood process exited with ${code}`));
      child.once('exit', onExit);
      child.once('message', (m) => {
        child.off('exit', onExit);
        resolve(m as T);
      });
    });
  const ready = next<string>();
  return {
    ready,
    start: async () => {
      const started = next<string>();
      child.send('start');
      await started;
    },
    stop: async () => {
      const report = next<FloodReport>();
      child.send('stop');
      return report;
    },
    close: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.send('exit');
      await exited;
    },
  };
}

describe('noisy neighbour', () => {
  it('keeps tenant B at 100 % success and p99 within 1.5× of solo while tenant A floods at 10× its limit', async () => {
    const a = await tenantWithLimits(platform, { ingestionRate: A_RATE, ingestionBurstSize: A_RATE });
    // B sends back to back (hundreds of requests/s): its own request limit is off, this measures A's effect.
    const b = await tenantWithLimits(platform, { requestRate: 0 });
    const flood = startFloodProcess(a.ingestKey);
    await flood.ready;
    // Warm-up (JIT, SQLite caches), with one flood so A's process is warm too.
    await runB(b.ingestKey, 50);
    await flood.start();
    await runB(b.ingestKey, 20);
    await flood.stop();

    // Solo and flooded runs alternate, so a slow patch of the (shared) machine hits both alike.
    const solo: number[] = [];
    const noisy: number[] = [];
    let soloOk = 0;
    let noisyOk = 0;
    const aStatuses = new Map<number, number>();
    let aSent = 0;
    let floodSeconds = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const alone = await runB(b.ingestKey, B_REQUESTS_PER_ROUND);
      solo.push(...alone.latencies);
      soloOk += alone.ok;

      await flood.start();
      const flooded = await runB(b.ingestKey, B_REQUESTS_PER_ROUND);
      const report = await flood.stop();
      floodSeconds += report.seconds;
      aSent += report.sent;
      for (const [status, n] of Object.entries(report.statuses))
        aStatuses.set(Number(status), (aStatuses.get(Number(status)) ?? 0) + n);
      noisy.push(...flooded.latencies);
      noisyOk += flooded.ok;
    }

    await flood.close();
    const total = ROUNDS * B_REQUESTS_PER_ROUND;
    const soloP99 = percentile(solo, 99);
    const noisyP99 = percentile(noisy, 99);
    const aAccepted = (aStatuses.get(202) ?? 0) * A_SAMPLES_PER_REQUEST;
    console.info(
      `noisy neighbour: B success solo ${soloOk}/${total}, under flood ${noisyOk}/${total}; B p99 solo ${soloP99.toFixed(1)} ms, under flood ${noisyP99.toFixed(1)} ms (${(noisyP99 / soloP99).toFixed(2)}×); B p50 solo ${percentile(solo, 50).toFixed(1)} ms, under flood ${percentile(noisy, 50).toFixed(1)} ms; A sent ${aSent} samples in ${floodSeconds.toFixed(1)} s (${Math.round(aSent / floodSeconds)}/s against a limit of ${A_RATE}/s), A statuses ${JSON.stringify(Object.fromEntries(aStatuses))}, B failures ${JSON.stringify(Object.fromEntries(bFailures))}`,
    );

    expect(soloOk).toBe(total);
    expect(noisyOk).toBe(total);
    // A really was at ~10× its limit and was held to it (rate × time + one burst per round).
    expect(aSent / floodSeconds).toBeGreaterThan(A_RATE * 8);
    expect(aStatuses.get(429) ?? 0).toBeGreaterThan(0);
    expect(aAccepted).toBeLessThanOrEqual(A_RATE * floodSeconds + ROUNDS * (A_RATE + A_SAMPLES_PER_REQUEST));
    expect(noisyP99).toBeLessThanOrEqual(1.5 * soloP99);
  }, 120_000);
});
