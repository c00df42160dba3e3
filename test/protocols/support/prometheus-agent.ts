/**
 * A real Prometheus (Debian's /usr/bin/prometheus) as a collector: it scrapes one target every second
 * and remote-writes to a URL with a bearer token. Temp config and TSDB directory, ephemeral port,
 * stopped (by its own pid) and cleaned up by `stop`. Fails loudly when the binary is missing.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../support/free-port';
import { PROMETHEUS_BINARY, requirePrometheusBinary } from '../../support/prometheus';

export interface ScrapingPrometheus {
  /** Everything Prometheus logged, for failure messages. */
  log(): string;
  stop(): Promise<void>;
}

export async function startScrapingPrometheus(options: {
  readonly target: string;
  readonly remoteWriteUrl: string;
  readonly bearerToken: string;
}): Promise<ScrapingPrometheus> {
  requirePrometheusBinary();
  const dir = mkdtempSync(join(tmpdir(), 'prometheus-agent-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 900ms',
      'scrape_configs:',
      '  - job_name: shop',
      '    static_configs:',
      `      - targets: ['${options.target}']`,
      '        labels: {env: test}',
      'remote_write:',
      `  - url: ${options.remoteWriteUrl}`,
      '    authorization:',
      '      type: Bearer',
      `      credentials: ${options.bearerToken}`,
      '    queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 500ms}',
      '    metadata_config: {send: true, send_interval: 2s}',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS_BINARY,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=info',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise((resolve) => setTimeout(resolve, 200));
  if (child.exitCode !== null) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`prometheus exited at start (${child.exitCode}):\n${output}`);
  }
  return {
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
