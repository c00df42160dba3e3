/**
 * A recording HTTP proxy for the real-client tests: the client talks to it, it forwards each request
 * unchanged to the platform and keeps the exact request bytes and the platform's answer, so a test
 * can decode what the client really sent and compare it with what the query API returns.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface CapturedExchange {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly status: number;
  readonly responseHeaders: Record<string, string>;
  readonly responseBody: Buffer;
}

export interface CaptureProxy {
  readonly url: string;
  readonly exchanges: CapturedExchange[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

export async function startCaptureProxy(targetUrl: string): Promise<CaptureProxy> {
  const exchanges: CapturedExchange[] = [];
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers))
      if (!HOP_BY_HOP.has(name) && value !== undefined)
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
    try {
      const response = await fetch(`${targetUrl}${req.url}`, {
        method: req.method ?? 'POST',
        headers,
        ...(body.length > 0 ? { body } : {}),
      });
      const responseBody = Buffer.from(await response.arrayBuffer());
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') responseHeaders[name] = value;
      });
      exchanges.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        status: response.status,
        responseHeaders,
        responseBody,
      });
      res.writeHead(response.status, { ...responseHeaders, 'content-length': String(responseBody.length) });
      res.end(responseBody);
    } catch (error) {
      res.writeHead(502);
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
