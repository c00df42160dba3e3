/**
 * A real Prometheus (Debian's /usr/bin/prometheus) standing in for Amazon Managed Service for
 * Prometheus: the remote-write receiver on, an ephemeral port, a temporary TSDB directory removed on
 * stop. Fails loudly when the binary is missing (CI installs the `prometheus` apt package).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export const PROMETHEUS_BINARY = process.env['PROMETHEUS_BINARY'] ?? '/usr/bin/prometheus';

/** Fails loudly, naming the fix, when the Prometheus binary is missing. */
export function requirePrometheusBinary(): void {
  if (!existsSync(PROMETHEUS_BINARY)) {
    throw new Error(
      `${PROMETHEUS_BINARY} not found: install the Debian package \`prometheus\` (see .ci/run) or set PROMETHEUS_BINARY`,
    );
  }
}

export interface RunningPrometheus {
  /** Base URL; remote write goes to `${url}/api/v1/remote_write`, queries to `${url}/api/v1/…`. */
  readonly url: string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** The admin API (delete_series), which AMP does not expose; off unless a test needs it. */
  readonly adminApi?: boolean;
}

/** A Prometheus process started by a test: its API base URL, what it logged, and how to stop it. */
export interface LaunchedPrometheus {
  readonly url: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts the real binary with `config` (YAML, or a function of its port, for a Prometheus that scrapes
 * itself) and `flags` on an ephemeral port with a temporary TSDB directory, and resolves once
 * `/-/ready` answers; fails loudly (with its log) when it cannot start.
 */
export async function launchPrometheus(
  config: string | ((port: number) => string),
  flags: readonly string[] = [],
): Promise<LaunchedPrometheus> {
  requirePrometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const configFile = join(dir, 'prometheus.yml');
  const port = await freePort();
  writeFileSync(configFile, typeof config === 'string' ? config : config(port));
  const args = [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    ...flags,
  ];
  const child: ChildProcess = spawn(PROMETHEUS_BINARY, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (e) => reject(new Error(`cannot start ${PROMETHEUS_BINARY}: ${e.message}`)));
    child.once('exit', (code) => {
      exited = true;
      reject(new Error(`prometheus exited with ${code}: ${output.slice(-2000)}`));
    });
  });
  failed.catch(() => undefined);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  const ready = (async () => {
    for (;;) {
      try {
        const response = await fetch(`${url}/-/ready`);
        if (response.ok) return;
      } catch {
        // Not listening yet.
      }
      if (exited) return;
      if (Date.now() > deadline)
        throw new Error(`prometheus was not ready within 30 s: ${output.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  try {
    await Promise.race([ready, failed]);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  return {
    url,
    log: () => output,
    stop: async () => {
      if (!exited) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Prometheus standing in for AMP: it only receives remote writes and answers queries. */
export async function startPrometheus(options: PrometheusOptions = {}): Promise<RunningPrometheus> {
  // No scraping. AMP accepts samples up to 60 s out of order by default; the same window here keeps
  // the twin's acceptance rules close to AMP's.
  const { url, stop } = await launchPrometheus(
    'global:\n  evaluation_interval: 1h\nstorage:\n  tsdb:\n    out_of_order_time_window: 60s\nscrape_configs: []\n',
    [
      '--web.enable-remote-write-receiver',
      // AMP ingests and queries native histograms; so does its twin.
      '--enable-feature=native-histograms',
      '--storage.tsdb.retention.time=7d',
      '--log.level=warn',
      ...(options.adminApi ? ['--web.enable-admin-api'] : []),
    ],
  );
  return { url, stop };
}

/**
 * prometheus.yml for a Prometheus scraping itself every second (`port` is its own), optionally
 * remote-writing what it scrapes to `remoteWrite` with a bearer token, plus `extraScrapeConfigs`
 * (YAML lines under scrape_configs).
 */
export function selfScrapeConfig(
  port: number,
  options: { remoteWrite?: { url: string; token: string }; extraScrapeConfigs?: readonly string[] } = {},
): string {
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 900ms',
    '  evaluation_interval: 1m',
    'scrape_configs:',
    '  - job_name: prometheus',
    '    static_configs:',
    `      - targets: ['127.0.0.1:${port}']`,
    ...(options.extraScrapeConfigs ?? []),
    ...(options.remoteWrite
      ? [
          'remote_write:',
          `  - url: ${options.remoteWrite.url}`,
          '    authorization:',
          '      type: Bearer',
          `      credentials: ${options.remoteWrite.token}`,
          '    queue_config: {batch_send_deadline: 1s}',
        ]
      : []),
    '',
  ].join('\n');
}

/** A counter from a Prometheus server's own /metrics (what it says of itself), summed over its label sets. */
export async function selfMetric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n'))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.split(' ').at(-1));
  return total;
}
