import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCheck, httpCheckValues } from '#adapters/probes/http-check';
import { tcpCheck } from '../../collector/pollers/tcp-check';
import { freePort } from '../support/free-port';

/** A self-signed certificate for localhost valid for `days`, made with openssl. */
function selfSigned(dir: string, days: number): { key: Buffer; cert: Buffer } {
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  return { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) };
}

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );

describe('website and TCP checks against local servers', () => {
  let dir: string;
  let tls: { key: Buffer; cert: Buffer };
  let https: Server;
  let http: Server;
  let httpsPort: number;
  let httpPort: number;
  const handler = (req: { url?: string }, res: import('node:http').ServerResponse) => {
    if (req.url === '/missing') {
      res.writeHead(404).end('no');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to acme</body></html>');
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'checks-'));
    tls = selfSigned(dir, 3);
    https = createHttpsServer(tls, handler);
    http = createHttpServer(handler);
    httpsPort = await listen(https);
    httpPort = await listen(http);
  });
  afterAll(() => {
    https?.close();
    http?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('splits an HTTPS check into DNS, connect, TLS and first byte, and reads the certificate', async () => {
    const r = await httpCheck({ url: `https://localhost:${httpsPort}/`, expectContent: 'Welcome to acme' });
    expect(r.error).toBeUndefined();
    expect(r.up).toBe(true);
    expect(r.status).toBe(200);
    expect(r.contentMatched).toBe(true);
    for (const phase of [r.dnsMs, r.connectMs, r.tlsMs, r.firstByteMs])
      expect(phase).toBeGreaterThanOrEqual(0);
    expect((r.dnsMs ?? 0) + (r.connectMs ?? 0) + (r.tlsMs ?? 0) + (r.firstByteMs ?? 0)).toBeLessThanOrEqual(
      r.totalMs,
    );
    expect(r.certDaysToExpiry).toBeGreaterThan(2.99);
    expect(r.certDaysToExpiry).toBeLessThan(3.01);
    expect(r.certValid).toBe(false); // self-signed, not trusted
    const trusted = await httpCheck({ url: `https://localhost:${httpsPort}/`, ca: tls.cert });
    expect(trusted.certValid).toBe(true);
    expect(httpCheckValues(r)).toMatchObject({ Up: 1, StatusCode: 200, ContentMatched: 1, CertValid: 0 });
  });

  it('is down on a content mismatch, on a 404 and on a refused connection', async () => {
    const mismatch = await httpCheck({
      url: `http://127.0.0.1:${httpPort}/`,
      expectContent: 'Welcome to globex',
    });
    expect(mismatch).toMatchObject({ up: false, status: 200, contentMatched: false });
    expect(mismatch.tlsMs).toBeUndefined();
    expect(mismatch.dnsMs).toBeUndefined(); // an IP: no lookup
    const missing = await httpCheck({ url: `http://127.0.0.1:${httpPort}/missing` });
    expect(missing).toMatchObject({ up: false, status: 404 });
    const refused = await httpCheck({ url: `http://127.0.0.1:${await freePort()}/` });
    expect(refused.up).toBe(false);
    expect(refused.error).toMatch(/ECONNREFUSED/);
    expect(httpCheckValues(refused).Up).toBe(0);
  });

  it('times a TCP connect, and reports a closed port as down', async () => {
    const server = createTcpServer((s) => s.end());
    const port = await listen(server as unknown as Server);
    const open = await tcpCheck('127.0.0.1', port);
    expect(open.up).toBe(true);
    expect(open.connectMs).toBeGreaterThanOrEqual(0);
    server.close();
    const closed = await tcpCheck('127.0.0.1', await freePort());
    expect(closed).toMatchObject({ up: false });
    expect(closed.error).toMatch(/ECONNREFUSED/);
  });
});
