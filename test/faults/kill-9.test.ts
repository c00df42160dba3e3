import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../support/free-port';
import { tempDataDir } from '../support/platform';
import { expectQueryableExactlyOnce, waitFor } from './support/assertions';
import { type ExpectedPoint, nativeBatch } from './support/payloads';

const PROVIDER_TOKEN = 'kill-9-provider-token';

/** `npm start` as a child process: one node process (tsx as a loader), so SIGKILL hits the server itself. */
async function startServer(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: process.cwd(),
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dataDir,
      PROVIDER_ADMIN_TOKEN: PROVIDER_TOKEN,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      NODE_NO_WARNINGS: '1',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderr}`);
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    } catch {
      return false;
    }
  }, 30_000);
  return child;
}

describe('kill -9 of the local server mid-ingest', () => {
  const children: ChildProcess[] = [];
  const dirs: string[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged datapoint, exactly once, after a restart on the same DATA_DIR', async () => {
    const dataDir = tempDataDir('obs-kill9-');
    dirs.push(dataDir);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const request = (path: string, init: RequestInit & { token: string }) =>
      fetch(`${base}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${init.token}`, 'content-type': 'application/json' },
      });

    const server = await startServer(dataDir, port);
    children.push(server);
    const tenant = (await (
      await request('/admin/v1/tenants', { method: 'POST', token: PROVIDER_TOKEN, body: '{"name":"k9"}' })
    ).json()) as { adminToken: string };
    const collector = (await (
      await request('/v1/collectors', { method: 'POST', token: tenant.adminToken, body: '{"name":"c"}' })
    ).json()) as { ingestKey: string };

    // Four collectors push distinct batches back to back; the server is killed while they are busy.
    const nowS = Math.floor(Date.now() / 1000);
    const acknowledged: ExpectedPoint[] = [];
    const statuses = new Map<string, number>();
    let seed = 0;
    let stop = false;
    const worker = async () => {
      while (!stop) {
        const batch = nativeBatch(nowS, { instances: 4, dataPoints: 5, values: 5 }, seed++);
        try {
          const response = await request('/v1/ingest', {
            method: 'POST',
            token: collector.ingestKey,
            body: JSON.stringify(batch.body),
          });
          statuses.set(String(response.status), (statuses.get(String(response.status)) ?? 0) + 1);
          if (response.status === 202) acknowledged.push(...batch.points);
          else expect([429, 503]).toContain(response.status);
        } catch {
          statuses.set('connection-error', (statuses.get('connection-error') ?? 0) + 1);
        }
      }
    };
    const workers = Array.from({ length: 4 }, worker);
    await waitFor(async () => acknowledged.length >= 40 * 100, 60_000);
    server.kill('SIGKILL');
    await new Promise((resolve) => server.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 200));
    stop = true;
    await Promise.all(workers);
    expect(statuses.get('202')).toBeGreaterThanOrEqual(40);

    const restarted = await startServer(dataDir, port);
    children.push(restarted);
    await expectQueryableExactlyOnce({ request }, tenant.adminToken, acknowledged);
  }, 120_000);
});
