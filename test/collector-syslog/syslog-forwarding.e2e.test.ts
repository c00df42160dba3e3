/**
 * Syslog end to end: Debian's rsyslogd (started here, never the system one) forwards what `logger`
 * writes to the built collector's syslog port (a child process, `collector run --syslog-port`) over
 * TCP with octet counting (RFC 5424), TCP with newline framing (RFC 3164) and UDP; the collector puts
 * each message in its disk queue and delivers it to the local platform's log ingest; the lines come
 * back through the log search API, once each, also when the platform was down and the collector was
 * killed with SIGKILL meanwhile. Fails loudly without rsyslog.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCollector } from '../../collector/build';
import { writeIdentity } from '../../collector/identity';
import { freePort } from '../support/free-port';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { type Rsyslog, startRsyslog } from './support/rsyslog';

let rsyslog: Rsyslog;

let dir: string;
let platform: TestPlatform;
let admin: string;
const children: ChildProcess[] = [];
let collectorLog = '';
let collector: ChildProcess;
let startCollector: () => void;
/** The collector talks to the platform through this proxy, which can answer 503 (an outage). */
let refuse = false;
let proxy: Server;

async function until<T>(what: string, find: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = await find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; collector said:\n${collectorLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syslog-e2e-'));
  platform = await startTestPlatform();
  admin = (await platform.createTenant('syslog')).adminToken;
  const { collectorId, ingestKey } = await platform.createCollector(admin, 'syslog-collector');

  proxy = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    if (refuse) return void res.writeHead(503).end();
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'connection', 'content-length'].includes(k)),
    ) as Record<string, string>;
    const answer = await fetch(`${platform.url}${req.url}`, {
      method: req.method ?? 'GET',
      headers,
      ...(chunks.length ? { body: Buffer.concat(chunks) } : {}),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((v, k) => {
      if (
        !['content-encoding', 'content-length', 'transfer-encoding', 'connection', 'keep-alive'].includes(k)
      )
        out[k] = v;
    });
    res.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
  const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;

  const bundle = await buildCollector(join(dir, 'collector.cjs'));
  const stateDir = join(dir, 'state');
  writeIdentity(stateDir, { url: proxyUrl, key: ingestKey, collectorId, name: 'syslog-collector' });
  const port = await freePort();
  startCollector = () => {
    readyAfter = collectorLog.split('syslog receiver listening').length;
    collector = spawn(
      process.execPath,
      [
        bundle,
        'run',
        '--state-dir',
        stateDir,
        '--no-host',
        '--syslog-port',
        String(port),
        '--log-level',
        'debug',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    children.push(collector);
    collector.stderr?.on('data', (c) => {
      collectorLog += String(c);
    });
  };
  startCollector();
  await listening();

  rsyslog = await startRsyslog(dir, { tcp: port, udp: port });
  children.push(rsyslog.process);
}, 60_000);

afterAll(async () => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  proxy?.close();
  await platform?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

let readyAfter = 0;
const listening = () =>
  until('the collector’s syslog receiver', async () =>
    collectorLog.split('syslog receiver listening').length > readyAfter ? true : undefined,
  );

interface Found {
  message: string;
  severity: string;
  resource: Record<string, string>;
  attributes: Record<string, string>;
}
const search = async (q: string) => {
  const r = await platform.request(`/v1/logs/search?q=${encodeURIComponent(q)}`, { token: admin });
  expect(r.status).toBe(200);
  return ((await r.json()) as { items: Found[] }).items;
};

describe('syslog through the collector’s queue to the platform', () => {
  it.each([
    ['TCP octet counting, RFC 5424', 'via-tcp5424', 'rfc5424'],
    ['TCP newline framing, RFC 3164', 'via-tcp3164', 'rfc3164'],
    ['UDP, RFC 3164', 'via-udp', 'rfc3164'],
  ])('%s: logger → rsyslog → collector → log search', async (_name, route, protocol) => {
    const marker = `${route}-${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++)
      rsyslog.log('local0.err', 'netmon', `interface ge-0/0/${i} link down ${marker}`);
    const found = await until(marker, async () => {
      const items = await search(`"${marker}"`);
      return items.length >= 3 ? items : undefined;
    });
    // A moment more: nothing arrives twice.
    await new Promise((r) => setTimeout(r, 500));
    const all = await search(`"${marker}"`);
    expect(all.map((r) => r.message).sort()).toEqual(
      [0, 1, 2].map((i) => `interface ge-0/0/${i} link down ${marker}`),
    );
    expect(found[0]).toMatchObject({
      severity: 'error',
      attributes: { 'syslog.facility': 'local0', 'syslog.appname': 'netmon', 'syslog.protocol': protocol },
    });
    expect(found[0]?.resource['host.name']).toBeTruthy();
    // Searchable by its attributes too, as any log line.
    expect((await search(`syslog.appname:netmon "${marker}"`)).length).toBe(3);
  });

  it('keeps what it received across a platform outage and a kill -9, and delivers it once', {
    timeout: 60_000,
  }, async () => {
    refuse = true; // the platform answers 503 from now on
    const marker = `outage-${Date.now().toString(36)}`;
    for (let i = 0; i < 3; i++) rsyslog.log('user.warning', 'ups', `on battery ${i} via-tcp5424 ${marker}`);
    await until('the collector buffering', async () =>
      collectorLog.includes('delivery buffering') ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 300)); // all three on disk (each append is fsync'd first)
    collector.kill('SIGKILL');
    await new Promise((r) => collector.once('exit', r));
    expect(await search(`"${marker}"`)).toHaveLength(0);
    refuse = false;
    startCollector(); // the same state directory: its queue holds the three lines
    await listening();
    const found = await until(marker, async () => {
      const items = await search(`"${marker}"`);
      return items.length >= 3 ? items : undefined;
    });
    await new Promise((r) => setTimeout(r, 500));
    expect((await search(`"${marker}"`)).map((r) => r.message).sort()).toEqual(
      [0, 1, 2].map((i) => `on battery ${i} via-tcp5424 ${marker}`),
    );
    expect(found[0]?.severity).toBe('warn');
  });
});
