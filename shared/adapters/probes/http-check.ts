/**
 * One HTTP(S) website check: status, the latency split (DNS, connect, TLS, first byte, total), an
 * optional content match, and the certificate's days to expiry. A fresh connection per check, so
 * every phase is measured. The certificate is inspected, not trusted blindly: CertValid says whether
 * it chains to a trusted root for the name, so an expired or self-signed one shows rather than
 * failing the whole check.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

export interface HttpCheckOptions {
  readonly url: string;
  readonly method?: 'GET' | 'HEAD';
  /** Substring the body must contain (first 1 MiB read). */
  readonly expectContent?: string;
  /** Statuses counted as up; default 200–399. */
  readonly expectStatus?: (status: number) => boolean;
  readonly timeoutMs?: number;
  readonly headers?: Record<string, string>;
  /** Extra CAs to trust (a private PKI); the system roots otherwise. */
  readonly ca?: string | Buffer;
  /**
   * Name resolution for the connection (default dns.lookup). The platform's checker passes a guarded
   * lookup so a tenant's URL never reaches the platform's own network.
   */
  readonly lookup?: LookupFunction;
  /** The whole check, body included, ends by then (the idle `timeoutMs` alone lets a trickle run on). */
  readonly deadlineMs?: number;
  readonly userAgent?: string;
}

export interface HttpCheckResult {
  readonly up: boolean;
  readonly status?: number;
  readonly error?: string;
  readonly dnsMs?: number;
  readonly connectMs?: number;
  readonly tlsMs?: number;
  readonly firstByteMs?: number;
  readonly totalMs: number;
  readonly contentMatched?: boolean;
  readonly certDaysToExpiry?: number;
  readonly certValid?: boolean;
}

const BODY_LIMIT = 1024 * 1024;

export function httpCheck(options: HttpCheckOptions): Promise<HttpCheckResult> {
  const url = new URL(options.url);
  const secure = url.protocol === 'https:';
  const started = performance.now();
  const since = () => performance.now() - started;
  let dnsMs: number | undefined;
  let connectMs: number | undefined;
  let tlsMs: number | undefined;
  let firstByteMs: number | undefined;
  let certDaysToExpiry: number | undefined;
  let certValid: boolean | undefined;

  return new Promise((resolve) => {
    let settled = false;
    const finish = (
      result: Omit<HttpCheckResult, 'totalMs' | 'dnsMs' | 'connectMs' | 'tlsMs' | 'firstByteMs'>,
    ) => {
      if (settled) return;
      settled = true;
      resolve({
        ...result,
        dnsMs,
        connectMs,
        tlsMs,
        firstByteMs,
        totalMs: since(),
        certDaysToExpiry,
        certValid,
      });
    };
    const resolveName = (options.lookup ?? dnsLookup) as typeof dnsLookup;
    const lookup = (
      hostname: string,
      opts: object,
      callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
    ) => {
      resolveName(hostname, opts, (err, address, family) => {
        dnsMs = since();
        (callback as (e: Error | null, a: unknown, f?: number) => void)(err, address, family);
      });
    };
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: { 'user-agent': options.userAgent ?? 'obs-collector/0.1', ...options.headers },
      timeout: options.timeoutMs ?? 10_000,
      ...(isIP(url.hostname.replace(/^\[|\]$/g, '')) ? {} : { lookup }),
      ...(secure ? { rejectUnauthorized: false, ...(options.ca ? { ca: options.ca } : {}) } : {}),
    });
    req.on('socket', (socket: Socket) => {
      socket.once('connect', () => {
        connectMs = since() - (dnsMs ?? 0);
      });
      socket.once('secureConnect', () => {
        tlsMs = since() - (dnsMs ?? 0) - (connectMs ?? 0);
        const tls = socket as TLSSocket;
        certValid = tls.authorized;
        const cert = tls.getPeerCertificate();
        if (cert?.valid_to) certDaysToExpiry = (Date.parse(cert.valid_to) - Date.now()) / 86_400_000;
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs ?? 10_000} ms`)));
    if (options.deadlineMs !== undefined) {
      const deadline = setTimeout(
        () => req.destroy(new Error(`not complete within ${options.deadlineMs} ms`)),
        options.deadlineMs,
      );
      deadline.unref();
      req.once('close', () => clearTimeout(deadline));
    }
    req.on('error', (error) => finish({ up: false, error: error.message }));
    req.on('response', (response: IncomingMessage) => {
      firstByteMs = since() - (dnsMs ?? 0) - (connectMs ?? 0) - (tlsMs ?? 0);
      const status = response.statusCode ?? 0;
      const statusOk = (options.expectStatus ?? ((s) => s >= 200 && s < 400))(status);
      const chunks: Buffer[] = [];
      let size = 0;
      const judge = () => {
        const contentMatched =
          options.expectContent === undefined
            ? undefined
            : Buffer.concat(chunks).subarray(0, BODY_LIMIT).toString('utf8').includes(options.expectContent);
        finish({ up: statusOk && contentMatched !== false, status, contentMatched });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        // Enough read to judge the content: judge now and stop downloading the rest.
        if (size >= BODY_LIMIT) {
          judge();
          response.destroy();
        }
      });
      response.on('error', (error) => finish({ up: false, status, error: error.message }));
      response.on('end', judge);
    });
    req.end();
  });
}

/** The check as datapoints (LM's website check names). */
export function httpCheckValues(r: HttpCheckResult): Record<string, number | undefined> {
  return {
    Up: r.up ? 1 : 0,
    StatusCode: r.status,
    DNSTimeMs: r.dnsMs,
    ConnectTimeMs: r.connectMs,
    TLSTimeMs: r.tlsMs,
    FirstByteTimeMs: r.firstByteMs,
    ResponseTimeMs: r.totalMs,
    ContentMatched: r.contentMatched === undefined ? undefined : r.contentMatched ? 1 : 0,
    CertDaysToExpiry: r.certDaysToExpiry,
    CertValid: r.certValid === undefined ? undefined : r.certValid ? 1 : 0,
  };
}
