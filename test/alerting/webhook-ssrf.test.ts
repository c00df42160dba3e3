/**
 * Webhooks never reach the platform's own network and never cost unbounded memory or time: https only
 * in AWS; loopback, link-local, private, CGNAT, multicast and reserved addresses (and IPv6 equivalents)
 * refused whether written as a literal or resolved from a name, checked in the connection's own lookup;
 * no redirects; at most 1 MiB of the response read; a total timeout per attempt. The local platform's
 * explicit loopback setting lets tests use a receiver on 127.0.0.1.
 */
import type { LookupAddress } from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DeliveryFailedError, guardedLookup, WebhookNotifier } from '#adapters/webhook/webhook-notifier';
import { escalationChainInputSchema } from '#domain/alerting/escalation';
import { ipAllowed, webhookUrlProblem } from '#domain/alerting/webhook-address';
import { callApi } from '../support/api-call';
import { startTestPlatform } from '../support/platform';
import { notificationRequested } from './support/notifications';

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function serve(
  handler: Parameters<typeof createServer>[1],
): Promise<{ port: number; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    handler?.(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { port: (server.address() as AddressInfo).port, hits: () => hits };
}

const delivery = (address: string) => ({
  deliveryId: 'd1',
  recipient: { type: 'webhook' as const, address },
  detail: notificationRequested('a1', 'web-1'),
});

const fastRetries = { retryDelayMs: () => 1, maxAttempts: 2 };

describe('webhook destinations', () => {
  it('refuses loopback, link-local, private, CGNAT, multicast and reserved addresses, v4 and v6', () => {
    const policy = { allowLoopback: false };
    for (const ip of [
      '127.0.0.1',
      '127.9.9.9',
      '0.0.0.0',
      '10.0.0.1',
      '100.64.0.1',
      '169.254.169.254',
      '172.16.0.1',
      '172.31.255.255',
      '192.168.1.1',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:a9fe:a9fe',
      '64:ff9b::a9fe:a9fe',
      '2002:0a00:0001::1',
    ])
      expect(ipAllowed(ip, policy), ip).toBe(false);
    for (const ip of ['93.184.216.34', '8.8.8.8', '172.32.0.1', '2606:4700::1111', '64:ff9b::808:808'])
      expect(ipAllowed(ip, policy), ip).toBe(true);
    expect(ipAllowed('127.0.0.1', { allowLoopback: true })).toBe(true);
    expect(ipAllowed('10.0.0.1', { allowLoopback: true })).toBe(false);
  });

  it('in AWS: https only, no IP literal of a refused range, no localhost, no credentials in the URL', () => {
    const aws = { allowLoopback: false };
    for (const url of [
      'http://hooks.example.com/x',
      'http://127.0.0.1:8080/',
      'http://localhost/',
      'https://127.0.0.1/',
      'https://[::1]/',
      'https://localhost:8443/',
      'https://metadata.localhost/',
      'https://169.254.169.254/latest/meta-data/',
      'https://10.0.0.1/',
      'https://[::ffff:10.0.0.1]/',
      'https://user:pass@hooks.example.com/',
      'ftp://hooks.example.com/',
    ])
      expect(webhookUrlProblem(url, aws), url).toBeDefined();
    expect(webhookUrlProblem('https://hooks.example.com/x', aws)).toBeUndefined();
    expect(webhookUrlProblem('https://93.184.216.34/x', aws)).toBeUndefined();
    const local = { allowLoopback: true };
    expect(webhookUrlProblem('http://127.0.0.1:8080/', local)).toBeUndefined();
    expect(webhookUrlProblem('http://10.0.0.1/', local)).toBeDefined();
  });

  it('refuses a name whose resolution includes a refused address, at connect time', async () => {
    const resolving = (...addresses: string[]) =>
      ((_host: string, _options: unknown, callback: (e: null, a: LookupAddress[]) => void) =>
        callback(
          null,
          addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
        )) as never;
    const lookup = (addresses: string[]) =>
      new Promise<unknown>((resolve) =>
        guardedLookup({ allowLoopback: false }, resolving(...addresses))(
          'hooks.example.com',
          {},
          (error, address) => resolve(error ?? address),
        ),
      );
    expect(await lookup(['93.184.216.34'])).toBe('93.184.216.34');
    expect(await lookup(['93.184.216.34', '10.0.0.7'])).toBeInstanceOf(Error);
    expect(await lookup(['fd00::7'])).toBeInstanceOf(Error);
    // The notifier uses that lookup for the connection itself: a name that resolves to loopback is
    // refused, permanently, and nothing is sent.
    const target = await serve((_req, res) => res.writeHead(204).end());
    const notifier = new WebhookNotifier({
      ...fastRetries,
      resolve: resolving('127.0.0.1'),
    });
    const refused = await notifier
      .deliver(delivery(`https://rebinding.example.com:${target.port}/hook`))
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DeliveryFailedError);
    expect((refused as DeliveryFailedError).permanent).toBe(true);
    expect((refused as Error).message).toMatch(/may not reach/);
    expect(target.hits()).toBe(0);
  });

  it('in AWS mode sends nothing to a loopback receiver, even over plain http', async () => {
    const target = await serve((_req, res) => res.writeHead(204).end());
    const notifier = new WebhookNotifier(fastRetries);
    for (const address of [`http://127.0.0.1:${target.port}/`, `https://localhost:${target.port}/`]) {
      const error = await notifier.deliver(delivery(address)).catch((e: unknown) => e);
      expect(error, address).toBeInstanceOf(DeliveryFailedError);
      expect((error as DeliveryFailedError).permanent).toBe(true);
    }
    expect(target.hits()).toBe(0);
  });

  it('does not follow a redirect', async () => {
    const internal = await serve((_req, res) => res.writeHead(204).end());
    const target = await serve((_req, res) =>
      res.writeHead(307, { location: `http://127.0.0.1:${internal.port}/` }).end(),
    );
    const notifier = new WebhookNotifier({ ...fastRetries, allowLoopback: true });
    const error = await notifier
      .deliver(delivery(`http://127.0.0.1:${target.port}/`))
      .catch((e: unknown) => e);
    expect((error as DeliveryFailedError).permanent).toBe(true);
    expect(target.hits()).toBe(1);
    expect(internal.hits()).toBe(0);
  });

  it('reads at most 1 MiB of a response', async () => {
    const total = 64 * 1024 * 1024;
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const target = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => {
        written = Math.min(written, total);
      });
      pump();
    });
    const notifier = new WebhookNotifier({ ...fastRetries, allowLoopback: true });
    await notifier.deliver(delivery(`http://127.0.0.1:${target.port}/`));
    await new Promise((r) => setTimeout(r, 100));
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  it('gives up an attempt that outlasts the total timeout, however slowly the answer trickles', async () => {
    const target = await serve((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 50);
      res.on('close', () => clearInterval(timer));
    });
    const notifier = new WebhookNotifier({ maxAttempts: 1, timeoutMs: 300, allowLoopback: true });
    const started = Date.now();
    await notifier.deliver(delivery(`http://127.0.0.1:${target.port}/`)).catch(() => undefined);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});

describe('webhook addresses at the API', () => {
  it('the chain schema is only the syntax; the local platform without the loopback setting refuses loopback and private targets with a 422', async () => {
    expect(() =>
      escalationChainInputSchema.parse({
        name: 'x',
        stages: [{ recipients: [{ type: 'webhook', address: 'https://10.0.0.1/' }] }],
      }),
    ).not.toThrow();
    const platform = await startTestPlatform({ alerting: { tickIntervalMs: 0 } });
    try {
      const { adminToken } = await platform.createTenant('ssrf');
      for (const address of ['http://127.0.0.1:9/', 'https://169.254.169.254/', 'https://[::1]/']) {
        const body = await callApi(platform, '/v1/escalation-chains', {
          token: adminToken,
          method: 'POST',
          body: { name: 'x', stages: [{ recipients: [{ type: 'webhook', address }] }] },
          status: 422,
        });
        expect(JSON.stringify(body)).toContain('stages[0].recipients[0].address');
      }
    } finally {
      await platform.destroy();
    }
  });
});
