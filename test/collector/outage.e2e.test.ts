/**
 * The collector as a user runs it (the built one-file package, a child process) against the local
 * platform (`npm start`, a child process): register, poll host metrics every second, platform
 * killed, collector keeps polling into its queue, collector killed with SIGKILL and restarted,
 * platform restarted — every datapoint the collector queued is in the query API exactly once.
 * Also: the identity file is 0600 and neither it, the queue nor the logs hold a device secret.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCollector } from '../../collector/build';
import { freePort } from '../support/free-port';

const PROVIDER_TOKEN = 'collector-outage-provider-token';
const PLANTED = 'planted-community-5d41402abc4b2a76';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, condition: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('collector across a platform outage and a kill -9', () => {
  const children: ChildProcess[] = [];
  const root = mkdtempSync(join(tmpdir(), 'collector-e2e-'));
  afterAll(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
  });

  async function startPlatform(port: number): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
      env: {
        ...process.env,
        PORT: String(port),
        DATA_DIR: join(root, 'platform'),
        PROVIDER_ADMIN_TOKEN: PROVIDER_TOKEN,
        POWERTOOLS_LOG_LEVEL: 'SILENT',
        NODE_NO_WARNINGS: '1',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    children.push(child);
    let stderr = '';
    child.stderr?.on('data', (c) => {
      stderr += String(c);
    });
    await waitFor('platform up', async () => {
      if (child.exitCode !== null) throw new Error(`platform exited: ${stderr}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    });
    return child;
  }

  const logs: string[] = [];
  function startCollector(bundle: string, stateDir: string): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        bundle,
        'run',
        '--state-dir',
        stateDir,
        '--host-interval',
        '1',
        '--config-interval',
        '1',
        '--log-level',
        'debug',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(child);
    const index = logs.push('') - 1;
    child.stderr?.on('data', (c) => {
      logs[index] += String(c);
    });
    return child;
  }
  const logLines = () =>
    logs
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  /** Second timestamps of every HostLoad poll the collector reported durable in its queue. */
  const queuedLoad = () =>
    new Set(
      logLines()
        .filter((l) => l.message === 'queued' && l.dataSource === 'HostLoad')
        .map((l) => Number(l.at)),
    );

  it('delivers every queued datapoint exactly once', { timeout: 120_000 }, async () => {
    const bundle = await buildCollector(join(root, 'collector.cjs'));
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const call = async (path: string, token: string, body?: unknown) => {
      const r = await fetch(`${base}${path}`, {
        method: body === undefined ? 'GET' : 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
      return (await r.json()) as Record<string, string>;
    };

    let platform = await startPlatform(port);
    const admin = (await call('/admin/v1/tenants', PROVIDER_TOKEN, { name: 'e2e' })).adminToken as string;
    const collector = await call('/v1/collectors', admin, { name: 'dc1' });
    // A device with an SNMP credential: the secret reaches the collector, and must go nowhere else.
    const credential = await call('/v1/device-credentials', admin, {
      name: 'lab',
      type: 'snmp-v2c',
      secrets: { community: PLANTED },
    });
    await call('/v1/resources', admin, {
      type: 'device',
      name: 'silent-switch',
      address: '127.0.0.1',
      collectorId: collector.collectorId,
      credentialIds: [credential.deviceCredentialId],
      poll: { intervalSeconds: 1, snmp: { port: await freePort() } }, // nothing answers there
    });

    const stateDir = join(root, 'state');
    execFileSync(
      process.execPath,
      [bundle, 'register', '--url', base, '--key', '-', '--state-dir', stateDir],
      {
        input: collector.ingestKey,
      },
    );
    expect(statSync(join(stateDir, 'identity.json')).mode & 0o777).toBe(0o600);

    let agent = startCollector(bundle, stateDir);
    await waitFor('configuration applied', () =>
      logLines().some((l) => l.message === 'configuration applied'),
    );
    await waitFor('three polls queued', () => queuedLoad().size >= 3);

    platform.kill('SIGKILL'); // outage
    await new Promise((r) => platform.once('exit', r));
    const before = queuedLoad().size;
    await waitFor('buffering', () => logLines().some((l) => l.message === 'delivery buffering'));
    await waitFor('polling on during the outage', () => queuedLoad().size >= before + 3);

    agent.kill('SIGKILL'); // crash, with a backlog on disk
    await new Promise((r) => agent.once('exit', r));
    agent = startCollector(bundle, stateDir);
    await waitFor('polling after the restart', () => queuedLoad().size >= before + 5);

    platform = await startPlatform(port);
    await waitFor('drained', () =>
      logLines().some(
        (l, i, all) =>
          l.message === 'delivery draining' && all.slice(i).some((m) => m.message === 'delivery connected'),
      ),
    );
    agent.kill('SIGTERM');
    await new Promise((r) => agent.once('exit', r));

    const expected = [...queuedLoad()].sort((a, b) => a - b);
    const from = ((expected[0] as number) - 1) * 1000;
    const to = ((expected.at(-1) as number) + 1) * 1000;
    const { series } = (await call(
      `/v1/metrics/query?metric=Load1&from=${from}&to=${to}`,
      admin,
    )) as unknown as {
      series: { dimensions: Record<string, string>; points: [number, number][] }[];
    };
    const stored = series.flatMap((s) => s.points.map(([t]) => t / 1000)).sort((a, b) => a - b);
    // Exactly once: nothing queued is missing, nothing is there twice; at most the poll in flight
    // when the collector was killed is stored without its log line.
    expect(new Set(stored).size).toBe(stored.length);
    for (const t of expected) expect(stored, `Load1 at ${t}`).toContain(t);
    expect(stored.length - expected.length).toBeLessThanOrEqual(1);
    expect(expected.length).toBeGreaterThanOrEqual(8);

    const states = logLines()
      .filter((l) => typeof l.message === 'string' && (l.message as string).startsWith('delivery '))
      .map((l) => l.message);
    expect(states).toContain('delivery buffering');
    expect(states).toContain('delivery draining');

    // The device secret arrived (the SNMP poll was tried), yet is in no file and no log line.
    expect(logLines().some((l) => l.message === 'SNMP poll failed')).toBe(true);
    expect(logs.join('')).not.toContain(PLANTED);
    expect(logs.join('')).not.toContain(collector.ingestKey);
    for (const file of filesUnder(stateDir))
      expect(readFileSync(file, 'latin1'), file).not.toContain(PLANTED);
  });
});
