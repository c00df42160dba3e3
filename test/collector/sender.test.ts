/**
 * The sender against the local platform through a proxy that loses answers: the platform stores a
 * batch, the answer never reaches the collector, the collector retries with the same Idempotency-Key,
 * and every datapoint is stored exactly once. Also: 429/503 with Retry-After are waited out.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../collector/log';
import { backoffDelayMs, retryAfterMs, Sender } from '../../collector/sender';
import { WriteAheadQueue } from '../../collector/wal';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const read = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
};

/** Forwards to the platform; `plan` says per request what to do with it. */
function proxy(
  target: string,
  plan: (n: number) => 'lose-answer' | '503' | 'pass',
): Promise<{ url: string; server: Server; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer(async (req, res) => {
    const body = await read(req);
    const action = plan(seen.length);
    seen.push(`${action} ${req.headers['idempotency-key']}`);
    if (action === '503') {
      res.writeHead(503, { 'retry-after': '1' }).end('{"error":{"code":"unavailable"}}');
      return;
    }
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'content-encoding', 'idempotency-key']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body });
    const text = await answer.text();
    if (action === 'lose-answer') {
      req.socket.destroy(); // stored, but the collector never hears so
      return;
    }
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen }),
    ),
  );
}

describe('sender', () => {
  let platform: TestPlatform;
  let admin: string;
  let key: string;
  const dirs: string[] = [];
  beforeAll(async () => {
    platform = await startTestPlatform();
    admin = (await platform.createTenant('sender')).adminToken;
    key = (await platform.createCollector(admin, 'c1')).ingestKey;
  });
  afterAll(async () => {
    await platform?.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('stores each datapoint once when answers are lost and 503s are waited out', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sender-'));
    dirs.push(dir);
    // Requests 0 and 2 are stored but their answers lost; request 3 is a 503 with Retry-After: 1.
    const p = await proxy(platform.url, (n) =>
      n === 0 || n === 2 ? 'lose-answer' : n === 3 ? '503' : 'pass',
    );
    const queue = new WriteAheadQueue({ dir });
    const lines: string[] = [];
    const sender = new Sender({
      url: p.url,
      key,
      queue,
      logger: jsonLogger((l) => lines.push(l), 'debug'),
      batchRecords: 5,
      backoffBaseMs: 20,
      backoffCapMs: 100,
    });
    const nowS = Math.floor(Date.now() / 1000) - 100;
    const records = Array.from({ length: 20 }, (_, i) => ({
      kind: 'metrics',
      payload: {
        resourceName: 'sender-host',
        resourceIds: { 'system.hostname': 'sender-host' },
        dataSource: 'SenderTest',
        instances: [
          { instanceName: 'only', dataPoints: [{ dataPointName: 'seq', values: { [nowS + i]: i } }] },
        ],
      },
    }));
    await queue.append(records.map((r) => Buffer.from(JSON.stringify(r))));
    const running = sender.run();
    const started = Date.now();
    while (queue.depth > 0 && Date.now() - started < 20_000) await new Promise((r) => setTimeout(r, 20));
    sender.stop();
    await running;
    p.server.close();
    expect(queue.depth).toBe(0);
    // The resend after a lost answer carried the same key as the first try.
    expect(p.seen[1]?.split(' ')[1]).toBe(p.seen[0]?.split(' ')[1]);
    expect(p.seen.filter((s) => s.startsWith('503')).length).toBe(1);
    const after503 = p.seen.findIndex((s) => s.startsWith('503'));
    expect(p.seen[after503 + 1]?.split(' ')[1]).toBe(p.seen[after503]?.split(' ')[1]);

    const response = await platform.request(
      `/v1/metrics/query?metric=seq&from=${(nowS - 1) * 1000}&to=${(nowS + 30) * 1000}`,
      { token: admin },
    );
    const { series } = (await response.json()) as { series: { points: [number, number][] }[] };
    const points = series.flatMap((s) => s.points);
    expect(points).toEqual(Array.from({ length: 20 }, (_, i) => [(nowS + i) * 1000, i]));
    expect(lines.some((l) => l.includes('"delivery buffering"'))).toBe(true);
    expect(lines.some((l) => l.includes('"delivery draining"') || l.includes('"delivery connected"'))).toBe(
      true,
    );
  });

  it('backs off exponentially with full jitter, capped, and reads Retry-After in both forms', () => {
    expect(backoffDelayMs(0, 500, 60_000, () => 0.999)).toBe(499);
    expect(backoffDelayMs(3, 500, 60_000, () => 0.5)).toBe(2000);
    expect(backoffDelayMs(20, 500, 60_000, () => 0.5)).toBe(30_000);
    expect(backoffDelayMs(5, 500, 60_000, () => 0)).toBe(0);
    expect(retryAfterMs('7')).toBe(7000);
    expect(retryAfterMs(new Date(10_000 + 3000).toUTCString(), 10_000)).toBe(3000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});
