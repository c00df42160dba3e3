/**
 * The collector's HTTP client for the platform, on node:http/https. Not `fetch`: loading undici
 * costs an idle process about 30 MB of RSS (75 MB against 46 MB for the same request loop on
 * node:http, measured in BENCHMARKS.md), a third of the collector's footprint goal. Keep-alive
 * agents, a whole-request timeout and a bound on the answer's size.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

export interface HttpAnswer {
  readonly status: number;
  header(name: string): string | undefined;
  readonly body: string;
}

export interface HttpRequestOptions {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly timeoutMs?: number;
  /** Answers longer than this are cut off with an error (default 32 MiB). */
  readonly maxAnswerBytes?: number;
}

const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 4 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 4 }),
};

export function httpCall(url: URL, options: HttpRequestOptions = {}): Promise<HttpAnswer> {
  const max = options.maxAnswerBytes ?? 32 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: options.method ?? 'GET',
        headers: {
          ...options.headers,
          ...(options.body === undefined
            ? {}
            : { 'content-length': String(Buffer.byteLength(options.body)) }),
        },
        agent: agents[url.protocol as 'http:' | 'https:'],
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
          if (bytes > max) return void req.destroy(new Error(`answer larger than ${max} bytes`));
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            header: (name) => {
              const v = res.headers[name.toLowerCase()];
              return Array.isArray(v) ? v.join(', ') : v;
            },
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    // The whole exchange, not an idle gap: a platform trickling bytes cannot hold the sender.
    const timer = setTimeout(() => req.destroy(new Error('timed out')), options.timeoutMs ?? 15_000);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(options.body);
  });
}
