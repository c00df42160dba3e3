/**
 * `npm run load`: drives the local platform (`npm start` as a child process, loopback only) at a
 * fixed request rate for LOAD_SECONDS (default 60) with many tenants and collectors sending all
 * three ingest formats, plus queries; reports p50/p99 latency, errors and the server's RSS over time.
 * Open loop: requests start on schedule whether or not earlier ones finished (in flight is capped,
 * and a request that cannot start counts as an error), so a slow server shows up as latency.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { typicalNative, typicalOtlpJson, typicalRemoteWriteBody } from '../lib/payloads';
import { onboard, startLocalPlatform } from '../lib/processes';
import { fmt, markdownTable, RESULTS_DIR } from '../lib/results';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 60);
const RPS = Number(process.env.LOAD_RPS ?? 50);
const TENANTS = Number(process.env.LOAD_TENANTS ?? 20);
const COLLECTORS_PER_TENANT = Number(process.env.LOAD_COLLECTORS ?? 5);
const MAX_IN_FLIGHT = 256;
const WINDOW_S = 10;

interface Sample {
  readonly at: number;
  readonly ms: number;
  readonly status: number | 'error';
  readonly kind: string;
}

const quantile = (sorted: readonly number[], q: number) =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

async function main() {
  const platform = await startLocalPlatform();
  const rss: { at: number; kib: number }[] = [];
  try {
    const tenants = [];
    for (let t = 0; t < TENANTS; t++)
      tenants.push(await onboard(platform.url, COLLECTORS_PER_TENANT, `load-${t}`));
    const collectors = tenants.flatMap((t) => t.ingestKeys.map((key) => ({ key, admin: t.adminToken })));
    const samples: Sample[] = [];
    let inFlight = 0;
    let overloaded = 0;
    let sent = 0;
    const started = performance.now();
    const startedS = Math.floor(Date.now() / 1000);

    const request = (i: number) => {
      const collector = collectors[i % collectors.length] as (typeof collectors)[number];
      const kind = i % 20 === 19 ? 'query' : (['native', 'otlp', 'remote-write'][i % 3] as string);
      // Each request brings new points: a per-request offset in the last 20 minutes.
      const offsetS = i % 1200;
      const host = `host-${i % collectors.length}`;
      let init: RequestInit & { headers: Record<string, string> };
      let path: string;
      if (kind === 'native') {
        path = '/v1/ingest';
        init = {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(typicalNative(startedS - offsetS, host, i)),
        };
      } else if (kind === 'otlp') {
        path = '/v1/metrics';
        init = {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(typicalOtlpJson((startedS - offsetS) * 1000, host, i)),
        };
      } else if (kind === 'remote-write') {
        path = '/api/v1/write';
        init = {
          method: 'POST',
          headers: { ...REMOTE_WRITE_HEADERS },
          body: typicalRemoteWriteBody((startedS - offsetS) * 1000, {
            series: 100,
            instance: `${host}:9100`,
            seed: i,
          }),
        };
      } else {
        path = `/v1/metrics/query?metric=busy&from=${(startedS - 1800) * 1000}&to=${Date.now()}&step=60&agg=avg`;
        init = { method: 'GET', headers: {} };
      }
      init.headers.authorization = `Bearer ${kind === 'query' ? collector.admin : collector.key}`;
      return { path, init, kind };
    };

    const fire = (i: number) => {
      const { path, init, kind } = request(i);
      const at = performance.now();
      if (inFlight >= MAX_IN_FLIGHT) {
        samples.push({ at: (at - started) / 1000, ms: 0, status: 'error', kind: 'overload' });
        overloaded++;
        return;
      }
      inFlight++;
      fetch(`${platform.url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) })
        .then(async (response) => {
          await response.arrayBuffer();
          samples.push({
            at: (at - started) / 1000,
            ms: performance.now() - at,
            status: response.status,
            kind,
          });
        })
        .catch(() =>
          samples.push({ at: (at - started) / 1000, ms: performance.now() - at, status: 'error', kind }),
        )
        .finally(() => {
          inFlight--;
        });
    };

    const rssTimer = setInterval(
      () => rss.push({ at: (performance.now() - started) / 1000, kib: platform.rssKiB() }),
      1000,
    );
    // Fixed rate: every 10 ms, start as many requests as the schedule says are due.
    await new Promise<void>((resolve) => {
      const tick = setInterval(() => {
        const elapsed = (performance.now() - started) / 1000;
        if (elapsed >= SECONDS) {
          clearInterval(tick);
          resolve();
          return;
        }
        const due = Math.floor(elapsed * RPS);
        while (sent < due) fire(sent++);
      }, 10);
    });
    const drainDeadline = Date.now() + 30_000;
    while (inFlight > 0 && Date.now() < drainDeadline) await new Promise((r) => setTimeout(r, 50));
    clearInterval(rssTimer);

    // Per-window latency, errors and RSS: memory must stay flat.
    const windows: string[][] = [];
    for (let w = 0; w < Math.ceil(SECONDS / WINDOW_S); w++) {
      const inWindow = samples.filter((s) => s.at >= w * WINDOW_S && s.at < (w + 1) * WINDOW_S);
      const ms = inWindow
        .filter((s) => s.status !== 'error')
        .map((s) => s.ms)
        .sort((a, b) => a - b);
      const errors = inWindow.filter(
        (s) => s.status === 'error' || s.status >= 500 || s.status === 429,
      ).length;
      const rssIn = rss.filter((r) => r.at >= w * WINDOW_S && r.at < (w + 1) * WINDOW_S).map((r) => r.kib);
      windows.push([
        `${w * WINDOW_S}–${(w + 1) * WINDOW_S} s`,
        String(inWindow.length),
        fmt(quantile(ms, 0.5), 1),
        fmt(quantile(ms, 0.99), 1),
        String(errors),
        rssIn.length ? fmt(Math.max(...rssIn) / 1024, 0) : '—',
      ]);
    }
    const ok = samples
      .filter((s) => s.status !== 'error')
      .map((s) => s.ms)
      .sort((a, b) => a - b);
    const statuses: Record<string, number> = {};
    for (const s of samples) statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
    const errors = samples.filter((s) => s.status === 'error' || s.status >= 500 || s.status === 429).length;
    const clientErrors = samples.filter(
      (s) => typeof s.status === 'number' && s.status >= 400 && s.status < 500 && s.status !== 429,
    ).length;
    // Flat memory: RSS of the last third against the second third (after warm-up).
    const third = Math.floor(rss.length / 3);
    const mean = (xs: { kib: number }[]) => xs.reduce((n, r) => n + r.kib, 0) / Math.max(1, xs.length);
    const middle = mean(rss.slice(third, 2 * third));
    const last = mean(rss.slice(2 * third));
    const growth = (last - middle) / Math.max(1, middle);
    const flat = growth < 0.1 || last - middle < 20 * 1024;

    const table = markdownTable(
      ['window', 'requests', 'p50 ms', 'p99 ms', 'errors (5xx/429/net)', 'server RSS MiB (max)'],
      windows,
    );
    const summary = [
      `load: ${SECONDS} s at ${RPS} req/s, ${TENANTS} tenants × ${COLLECTORS_PER_TENANT} collectors, mix native/OTLP/remote write (100 series) + 5% queries`,
      `requests ${samples.length} (of ${sent} scheduled), statuses ${JSON.stringify(statuses)}`,
      `latency p50 ${fmt(quantile(ok, 0.5), 1)} ms, p99 ${fmt(quantile(ok, 0.99), 1)} ms, max ${fmt(ok[ok.length - 1] ?? 0, 1)} ms`,
      `errors (5xx, 429, network, overload) ${errors}, of which not started because ${MAX_IN_FLIGHT} were in flight: ${overloaded}; client errors (4xx) ${clientErrors}`,
      `server RSS: second third ${fmt(middle / 1024, 1)} MiB → last third ${fmt(last / 1024, 1)} MiB (${fmt(growth * 100, 1)} %): ${flat ? 'flat' : 'GROWING'}`,
    ];
    console.log(table);
    console.log(summary.join('\n'));
    const dir = join(RESULTS_DIR, 'load');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'report.json'),
      JSON.stringify(
        { at: new Date().toISOString(), flat, errors, summary, windows, rss, statuses },
        null,
        2,
      ),
    );
    if (errors > 0 || !flat) process.exitCode = 1;
  } finally {
    await platform.stop();
  }
}

const guard = setTimeout(
  () => {
    console.error('load run exceeded its time bound');
    process.exit(2);
  },
  (SECONDS + 120) * 1000,
);
guard.unref();
await main();
