/**
 * End to end with the store set to AMP: the local platform (same handlers as the Lambdas) on the AMP
 * adapter, a real Prometheus standing in for the workspace. Ingest in the three formats, then the
 * query API, must answer exactly as on the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusMetricStore } from '../../shared/adapters/aws/amp-prometheus';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS } from '../../shared/protocols/prometheus/remote-write';
import { nativePayload } from '../support/native-payload';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus';

describe('local platform with the metric store set to AMP (a real Prometheus)', () => {
  let prometheus: RunningPrometheus;
  let platform: TestPlatform;
  let tenant: { tenantId: string; adminToken: string };
  let ingestKey: string;
  const nowS = Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    prometheus = await startPrometheus();
    platform = await startTestPlatform({ metricStore: prometheusMetricStore(prometheus.url) });
    tenant = await platform.createTenant('acme');
    ingestKey = (await platform.createCollector(tenant.adminToken)).ingestKey;
  });
  afterAll(async () => {
    await platform?.destroy();
    await prometheus?.stop();
  });

  const query = (token: string, params: Record<string, string>) =>
    platform.request(`/v1/metrics/query?${new URLSearchParams(params)}`, { token });

  it('native JSON push → query answers the points, with the datasource and instance as dimensions', async () => {
    const response = await platform.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(nativePayload(nowS)),
    });
    expect(response.status).toBe(202);
    expect(await bodyOf(response)).toEqual({ accepted: 3, rejected: [] });
    const answer = await query(tenant.adminToken, {
      metric: 'busy',
      from: String((nowS - 3600) * 1000),
      to: String((nowS + 60) * 1000),
    });
    expect(await bodyOf(answer)).toEqual({
      series: [
        {
          metric: 'busy',
          dimensions: { 'system.hostname': 'web-01', datasource: 'LinuxCPU', instance: 'cpu0' },
          points: [
            [(nowS - 60) * 1000, 10],
            [nowS * 1000, 12.5],
          ],
        },
      ],
    });
  });

  it('Prometheus remote write → query with step and p95 aggregates in epoch-aligned buckets', async () => {
    const t0 = Math.floor(nowS / 60) * 60_000 - 120_000;
    const values = [1, 2, 3, 4, 5, 6];
    const body = encodeRemoteWriteBody({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'http_requests_in_flight' },
            { name: 'instance', value: 'web-01:9100' },
            { name: 'job', value: 'node' },
          ],
          samples: values.map((value, i) => ({ value, timestamp: t0 + i * 10_000, stale: false })),
        },
      ],
    });
    const response = await platform.request('/api/v1/write', {
      method: 'POST',
      token: ingestKey,
      headers: { ...REMOTE_WRITE_HEADERS },
      body,
    });
    expect(response.status).toBeLessThan(300);
    const answer = await query(tenant.adminToken, {
      metric: 'http_requests_in_flight',
      from: String(t0),
      to: String(t0 + 120_000),
      step: '60',
      agg: 'p95',
      job: 'node',
    });
    const series = (await bodyOf(answer)).series;
    expect(series).toHaveLength(1);
    expect(series[0].dimensions).toMatchObject({ instance: 'web-01:9100', job: 'node' });
    expect(series[0].points).toEqual([[t0, 5.75]]);
  });

  it('keeps a second tenant away from the first tenant’s series', async () => {
    const other = await platform.createTenant('globex');
    const answer = await query(other.adminToken, {
      metric: 'busy',
      from: String((nowS - 3600) * 1000),
      to: String((nowS + 60) * 1000),
    });
    expect(await bodyOf(answer)).toEqual({ series: [] });
  });

  it('stored the samples in Prometheus itself, labelled with the tenant', async () => {
    const response = await fetch(
      `${prometheus.url}/api/v1/series?${new URLSearchParams({ 'match[]': `{tenant_id="${tenant.tenantId}"}` })}`,
    );
    const names = ((await response.json()) as { data: Record<string, string>[] }).data.map(
      (s) => s['__name__'],
    );
    expect(new Set(names)).toEqual(new Set(['busy', 'idle', 'http_requests_in_flight']));
  });
});
