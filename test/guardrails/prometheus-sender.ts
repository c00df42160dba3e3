/**
 * Real Prometheus servers (Debian's /usr/bin/prometheus 2.42) as remote-write senders for guardrail
 * tests: each scrapes a target, carries external labels (HA `cluster` / `__replica__`), and
 * remote-writes to the platform with a bearer token and a chosen queue config (e.g.
 * retry_on_http_429). Its own TSDB answers PromQL, so a test can compare what Prometheus scraped
 * with what the platform stored. Ephemeral ports, temp dirs; stopped by its own pid. Fails loudly
 * when the binary is missing.
 */
import { createServer, type Server } from 'node:http';
import { launchPrometheus } from '../support/prometheus';

export interface ScrapeTarget {
  /** host:port */
  readonly address: string;
  /** Scrapes served so far. */
  scrapes(): number;
  /** Stops answering (scrapes fail; Prometheus then writes only its own `up` series). */
  pause(): void;
  close(): Promise<void>;
}

/** An exposition endpoint with `series` gauges `guard_gauge{i="…"}` whose value is the scrape count. */
export async function startScrapeTarget(series: number): Promise<ScrapeTarget> {
  let count = 0;
  let paused = false;
  const server: Server = createServer((req, res) => {
    if (paused || req.url !== '/metrics') {
      res.statusCode = paused ? 503 : 404;
      res.end();
      return;
    }
    count++;
    const lines = ['# TYPE guard_gauge gauge'];
    for (let i = 0; i < series; i++) lines.push(`guard_gauge{i="${i}"} ${count}`);
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    res.end(`${lines.join('\n')}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    scrapes: () => count,
    pause: () => {
      paused = true;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface SenderOptions {
  readonly target: string;
  readonly remoteWriteUrl: string;
  readonly bearerToken: string;
  readonly externalLabels?: Record<string, string>;
  /** Lines under `queue_config:` (YAML flow map body), e.g. `retry_on_http_429: true`. */
  readonly queueConfig?: Record<string, string | number | boolean>;
  readonly scrapeInterval?: string;
}

export interface PrometheusSender {
  readonly url: string;
  /** PromQL instant query against the sender's own TSDB. */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Raw samples of a range selector, e.g. `guard_gauge[5m]`, per series. */
  samples(selector: string): Promise<{ metric: Record<string, string>; values: [number, string][] }[]>;
  log(): string;
  stop(): Promise<void>;
}

export async function startPrometheusSender(options: SenderOptions): Promise<PrometheusSender> {
  const labels = Object.entries(options.externalLabels ?? {})
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join(', ');
  const queue = Object.entries({ batch_send_deadline: '200ms', ...(options.queueConfig ?? {}) })
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  const prometheus = await launchPrometheus(
    [
      'global:',
      `  scrape_interval: ${options.scrapeInterval ?? '1s'}`,
      '  scrape_timeout: 900ms',
      `  external_labels: {${labels}}`,
      'scrape_configs:',
      '  - job_name: guard',
      '    static_configs:',
      `      - targets: ['${options.target}']`,
      'remote_write:',
      `  - url: ${options.remoteWriteUrl}`,
      '    authorization:',
      '      type: Bearer',
      `      credentials: ${options.bearerToken}`,
      `    queue_config: {${queue}}`,
      '    metadata_config: {send: false}',
      '',
    ].join('\n'),
    ['--log.level=info'],
  );
  const { url } = prometheus;
  const api = async (promql: string) => {
    const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as { status: string; data: { result: unknown[] }; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus query ${promql}: ${body.error}`);
    return body.data.result;
  };
  return {
    url,
    query: async (promql) =>
      (await api(promql)) as { metric: Record<string, string>; value: [number, string] }[],
    samples: async (selector) =>
      (await api(selector)) as { metric: Record<string, string>; values: [number, string][] }[],
    log: prometheus.log,
    stop: prometheus.stop,
  };
}
