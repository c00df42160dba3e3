/**
 * A real Prometheus (Debian's /usr/bin/prometheus) as a collector: it scrapes one target every second
 * and remote-writes to a URL with a bearer token. Temp config and TSDB directory, ephemeral port,
 * stopped (by its own pid) and cleaned up by `stop`. Fails loudly when the binary is missing.
 */
import { launchPrometheus } from '../../support/prometheus';

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
  const prometheus = await launchPrometheus(
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
    ['--log.level=info'],
  );
  return { log: prometheus.log, stop: prometheus.stop };
}
