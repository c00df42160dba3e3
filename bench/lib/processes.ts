/** Child processes for benchmarks: the local platform as `npm start` runs it, and a real Prometheus. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

export async function waitUntil(
  what: string,
  ok: () => Promise<boolean>,
  child: ChildProcess,
  timeoutMs = 30_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if (await ok()) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Service {
  readonly url: string;
  readonly child: ChildProcess;
  /** The process' data directory (removed by stop unless the caller named it). */
  readonly dataDir: string;
  /** Peak RSS of the process in KiB (from /proc), sampled by `sampleRss`. */
  rssKiB(): number;
  /** CPU time (user + system) the process has used so far, in ms (from /proc). */
  cpuMs(): number;
  stop(): Promise<void>;
}

export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    // Fields after the command name: utime and stime are the 12th and 13th, in clock ticks (100/s).
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

export function rssOf(pid: number | undefined): number {
  return statusKiBOf(pid, 'VmRSS');
}

/** One `kB` field of /proc/<pid>/status (VmRSS, VmHWM, RssAnon, RssFile, …); 0 when unreadable. */
export function statusKiBOf(pid: number | undefined, field: string): number {
  if (pid === undefined) return 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

function stopper(child: ChildProcess, dir: string, keep: boolean) {
  return async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([
        new Promise((r) => child.once('exit', r)),
        new Promise((r) => setTimeout(r, 5000)),
      ]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (!keep) rmSync(dir, { recursive: true, force: true });
  };
}

export const PROVIDER_TOKEN = 'bench-provider-token';

/**
 * `npm start` in one Node process (tsx as a loader), with its own DATA_DIR, on a free loopback port.
 * `keptDir`: that DATA_DIR instead of a fresh one, left in place by stop (a bench reusing its data).
 */
export async function startLocalPlatform(
  extraEnv: Record<string, string> = {},
  keptDir?: string,
): Promise<Service> {
  const dir = keptDir ?? mkdtempSync(join(tmpdir(), 'obs-bench-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dir,
      PROVIDER_ADMIN_TOKEN: PROVIDER_TOKEN,
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      NODE_NO_WARNINGS: '1',
      ...extraEnv,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  // Keep the child's stderr for a failure report only (Powertools prints notices there).
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr = (stderr + String(chunk)).slice(-4000);
  });
  child.once('exit', (code) => {
    if (code !== 0 && code !== null) console.error(`local platform exited with ${code}:\n${stderr}`);
  });
  const url = `http://127.0.0.1:${port}`;
  await waitUntil('local platform', async () => (await fetch(`${url}/healthz`)).ok, child);
  return service(url, child, dir, keptDir !== undefined);
}

function service(url: string, child: ChildProcess, dir: string, keep = false): Service {
  return {
    url,
    child,
    dataDir: dir,
    rssKiB: () => rssOf(child.pid),
    cpuMs: () => cpuMsOf(child.pid),
    stop: stopper(child, dir, keep),
  };
}

/**
 * Prometheus 2.42 (Debian package) as a remote-write receiver, out-of-order window open. `keptDir`:
 * its config and TSDB there instead of a fresh directory, left in place by stop.
 */
export async function startPrometheus(binary = '/usr/bin/prometheus', keptDir?: string): Promise<Service> {
  const dir = keptDir ?? mkdtempSync(join(tmpdir(), 'prom-bench-'));
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    'global:\n  scrape_interval: 1h\nstorage:\n  tsdb:\n    out_of_order_time_window: 2h\n',
  );
  const child = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
  const url = `http://127.0.0.1:${port}`;
  // A kept TSDB replays its write-ahead log before it is ready (tens of millions of samples: minutes).
  const readyMs = keptDir ? 900_000 : 30_000;
  await waitUntil('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, child, readyMs);
  return service(url, child, dir, keptDir !== undefined);
}

/** Onboards a tenant and `collectors` collectors on a running platform, through its public API. */
export async function onboard(url: string, collectors = 1, name = 'bench') {
  const post = async (path: string, token: string, body: unknown) => {
    const response = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json() as Promise<Record<string, string>>;
  };
  const tenant = await post('/admin/v1/tenants', PROVIDER_TOKEN, { name });
  const keys: string[] = [];
  for (let i = 0; i < collectors; i++)
    keys.push(
      (await post('/v1/collectors', tenant.adminToken as string, { name: `c${i}` })).ingestKey as string,
    );
  return { tenantId: tenant.tenantId as string, adminToken: tenant.adminToken as string, ingestKeys: keys };
}

/** Sets a tenant's limit overrides through the provider's limits API (PUT, unconditional). */
export async function raiseLimits(url: string, tenantId: string, overrides: Record<string, number>) {
  const response = await fetch(`${url}/admin/v1/tenants/${tenantId}/limits`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${PROVIDER_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(overrides),
  });
  if (response.status !== 200) throw new Error(`limits: ${response.status} ${await response.text()}`);
}
