/**
 * The console's static files (web/dist, built by `npm run build:web`, which `npm start` runs first)
 * with the same security headers as the CloudFront distribution in AWS
 * (infra/constructs/console-site.ts): one CSP for both, allowing this origin only.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleCsp } from '#http/console-csp';

/** Locally the sign-in twin and the API share the console's origin: connect-src 'self' only. */
export const CONSOLE_CSP = consoleCsp();

export const CONSOLE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../web/dist', import.meta.url));

export interface ConsoleSite {
  /** True when it answered: a GET for `/`, `/index.html`, `/config.json` or `/assets/…`. */
  serve(method: string, pathname: string, res: ServerResponse): boolean;
}

/** `config` is what the console reads at /config.json: where to sign in, where the API is. */
export function consoleSite(config: Record<string, string>, dir = DEFAULT_CONSOLE_DIR): ConsoleSite {
  const root = resolve(dir);
  const send = (res: ServerResponse, status: number, type: string, body: Buffer | string, cache: string) => {
    res.writeHead(status, {
      ...CONSOLE_SECURITY_HEADERS,
      'content-type': type,
      'cache-control': cache,
      'content-length': String(Buffer.byteLength(body)),
    });
    res.end(body);
  };
  return {
    serve(method, pathname, res) {
      if (method !== 'GET' && method !== 'HEAD') return false;
      if (pathname === '/config.json') {
        send(res, 200, TYPES['.json'] as string, JSON.stringify(config), 'no-store');
        return true;
      }
      if (pathname !== '/' && pathname !== '/index.html' && !pathname.startsWith('/assets/')) return false;
      const file = normalize(join(root, pathname === '/' ? 'index.html' : pathname));
      if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
        if (pathname === '/' || pathname === '/index.html') {
          send(
            res,
            503,
            'text/plain; charset=utf-8',
            'The console is not built: run `npm run build:web` (npm start does it first).\n',
            'no-store',
          );
        } else send(res, 404, 'text/plain; charset=utf-8', 'not found\n', 'no-store');
        return true;
      }
      // Hashed asset names never change content; the page itself is always revalidated.
      const cache = pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', readFileSync(file), cache);
      return true;
    },
  };
}
