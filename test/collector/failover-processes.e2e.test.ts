/**
 * Failover with two running collectors (child processes of the built collector) against the local
 * platform on a clock the test moves: A polls a device, A is killed with SIGKILL, the platform's
 * clock passes 3 minutes, B takes A's resource over within one configuration interval (the bound:
 * 3 min + one interval of silence), and the collector-down alert opens. A restarts: its backlog
 * drains, the alert clears, the resource goes back to it (failback auto). No poll either queued is
 * missing from the query API.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COLLECTOR_DOWN_RULE_ID } from '#domain/collector-down';
import { buildCollector } from '../../collector/build';
import { writeIdentity } from '../../collector/identity';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const INTERVAL_S = 1; // configuration, heartbeat and poll interval of both collectors

let root: string;
let platform: TestPlatform;
let offsetMs = 0; // the platform's clock runs this far ahead of the collectors'
let admin: string;
let bundle: string;
let device: Server;
const children: ChildProcess[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

/** A running collector's log lines, across its restarts. */
class Collector {
  log = '';
  child: ChildProcess | undefined;
  constructor(
    readonly collectorId: string,
    readonly stateDir: string,
  ) {}
  start(): void {
    this.child = spawn(
      process.execPath,
      [
        bundle,
        'run',
        '--state-dir',
        this.stateDir,
        '--no-host',
        '--host-interval',
        String(INTERVAL_S),
        '--config-interval',
        String(INTERVAL_S),
        '--log-level',
        'debug',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(this.child);
    this.child.stderr?.on('data', (c) => {
      this.log += String(c);
    });
  }
  lines(): Record<string, unknown>[] {
    return this.log
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }
  /** Second timestamps of the device's TCP polls this collector made durable in its queue. */
  polls(): number[] {
    return this.lines()
      .filter((l) => l.message === 'queued' && l.dataSource === 'TCP_Port')
      .map((l) => Number(l.at));
  }
  async kill(): Promise<void> {
    const child = this.child as ChildProcess;
    child.kill('SIGKILL');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
  }
}

const call = <T = Record<string, unknown>>(path: string, method = 'GET', body?: unknown) =>
  callApi<T>(platform, path, { token: admin, method, body, status: '2xx' });
const collectorDownAlerts = async (status: string, collectorId: string) =>
  (
    await call<{ alerts: { ruleId: string; dimensions: Record<string, string> }[] }>(
      `/v1/alerts?status=${status}`,
    )
  ).alerts.filter((a) => a.ruleId === COLLECTOR_DOWN_RULE_ID && a.dimensions.collectorId === collectorId);

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'failover-e2e-'));
  platform = await startTestPlatform({
    clock: { now: () => new Date(Date.now() + offsetMs) },
    alerting: { tickIntervalMs: 0 },
  });
  admin = (await platform.createTenant('failover-processes')).adminToken;
  bundle = await buildCollector(join(root, 'collector.cjs'));
  device = createServer((socket) => socket.end());
  await new Promise<void>((r) => device.listen(0, '127.0.0.1', () => r()));
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  device?.close();
  await platform?.destroy();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('failover between two running collectors', () => {
  it('moves a killed collector’s device to its failover within 3 min + one interval, and back; nothing lost', {
    timeout: 90_000,
  }, async () => {
    const make = async (name: string, settings: Record<string, string> = {}) => {
      const created = await call<{ collectorId: string; ingestKey: string }>('/v1/collectors', 'POST', {
        name,
        ...settings,
      });
      const stateDir = join(root, name);
      writeIdentity(stateDir, {
        url: platform.url,
        key: created.ingestKey,
        collectorId: created.collectorId,
        name,
      });
      return new Collector(created.collectorId, stateDir);
    };
    const b = await make('b');
    const a = await make('a', { failoverCollectorId: b.collectorId, failback: 'auto' });
    const port = (device.address() as { port: number }).port;
    await call('/v1/resources', 'POST', {
      type: 'device',
      name: 'edge-router',
      address: '127.0.0.1',
      collectorId: a.collectorId,
      poll: { intervalSeconds: INTERVAL_S, tcpPorts: [port] },
    });
    a.start();
    b.start();
    await waitFor('A polling the device', () => a.polls().length >= 3);
    expect(b.polls()).toEqual([]);

    await a.kill();
    const lastBeat = (await call<{ lastHeartbeat: { at: string } }>(`/v1/collectors/${a.collectorId}`))
      .lastHeartbeat;
    offsetMs += 181_000; // the platform's clock passes A's 3 minutes of silence
    const downSince = Math.max(Date.parse(lastBeat.at) + 180_000, Date.now() + offsetMs);
    await platform.alerting.tick();
    expect(await collectorDownAlerts('open', a.collectorId)).toHaveLength(1);

    await waitFor('B polling the device', () => b.polls().length >= 1);
    // From the moment A counts as down (3 minutes without a heartbeat): one interval for B's next
    // configuration read, one for its first poll's boundary, and a second of slack for a loaded machine.
    const takeoverMs = Date.now() + offsetMs - downSince;
    expect(takeoverMs).toBeLessThanOrEqual(2 * INTERVAL_S * 1000 + 1000);
    const moved = await call<{ collectorId: string; primaryCollectorId: string }>(
      `/v1/resources?limit=10`,
    ).then(
      (r) => (r as unknown as { items: { collectorId: string; primaryCollectorId?: string }[] }).items[0],
    );
    expect(moved).toMatchObject({ collectorId: b.collectorId, primaryCollectorId: a.collectorId });

    // A comes back with its backlog on disk: the alert clears on its heartbeat, the device returns.
    const polledByABefore = a.polls().length;
    // A minute later on the platform's clock (the alert's evaluation period has turned: a return
    // within the minute the alert opened clears at the next evaluator pass instead).
    offsetMs += 60_000;
    a.start();
    await waitFor('A polling the device again', () => a.polls().length >= polledByABefore + 2);
    expect(await collectorDownAlerts('open', a.collectorId)).toHaveLength(0);
    expect(await collectorDownAlerts('cleared', a.collectorId)).toHaveLength(1);
    const bPolls = b.polls().length;
    await sleep(2500);
    expect(b.polls().length - bPolls).toBeLessThanOrEqual(1); // B let go within an interval

    // Every poll either collector queued reaches the platform, once.
    const expected = [...new Set([...a.polls(), ...b.polls()])].sort((x, y) => x - y);
    const from = ((expected[0] as number) - 1) * 1000;
    const to = ((expected.at(-1) as number) + 1) * 1000;
    let stored: number[] = [];
    await waitFor('every queued poll stored', async () => {
      const { series } = await call<{ series: { points: [number, number][] }[] }>(
        `/v1/metrics/query?metric=ConnectTimeMs&from=${from}&to=${to}`,
      );
      stored = series.flatMap((s) => s.points.map(([t]) => t / 1000)).sort((x, y) => x - y);
      return expected.every((t) => stored.includes(t));
    });
    expect(new Set(stored).size).toBe(stored.length);
    expect(expected.length).toBeGreaterThanOrEqual(6);
  });
});
