/**
 * The AMP adapter on a self-run Prometheus (the remote-write receiver enabled): the wire-compatible
 * twin of AMP for `npm start` and the end-to-end tests. Same class, unsigned requests, Prometheus'
 * receiver path, and real erasure when the admin API is on.
 */
import { AmpMetricStore, PROMETHEUS_REMOTE_WRITE_PATH } from './amp-metric-store';
import { unsignedRequests } from './amp-sigv4';

export function prometheusMetricStore(url: string, options: { adminApi?: boolean } = {}): AmpMetricStore {
  return new AmpMetricStore({
    workspaceUrl: url,
    sign: unsignedRequests,
    remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
    erasure: options.adminApi ? 'prometheus-admin-api' : 'retention',
  });
}

/**
 * `npm start` with METRIC_STORE=prometheus and PROMETHEUS_URL (a Prometheus started with
 * --web.enable-remote-write-receiver; PROMETHEUS_ADMIN_API=true if also --web.enable-admin-api):
 * the local platform then stores metrics the way an AMP region does. Undefined otherwise (SQLite).
 */
export function localMetricStoreFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): AmpMetricStore | undefined {
  const kind = env['METRIC_STORE'];
  if (kind === undefined || kind === '' || kind === 'sqlite') return undefined;
  if (kind !== 'prometheus')
    throw new Error(`METRIC_STORE must be sqlite or prometheus locally, not "${kind}"`);
  const url = env['PROMETHEUS_URL'];
  if (!url) throw new Error('METRIC_STORE=prometheus needs PROMETHEUS_URL (e.g. http://127.0.0.1:9090)');
  return prometheusMetricStore(url, { adminApi: env['PROMETHEUS_ADMIN_API'] === 'true' });
}
