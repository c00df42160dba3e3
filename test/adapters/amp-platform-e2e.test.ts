/**
 * End to end with the store set to AMP: the local platform (same handlers as the Lambdas) on the AMP
 * adapter, a real Prometheus standing in for the workspace. Ingest in the three formats, then the
 * query API, must answer exactly as on the embedded store.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusMetricStore } from '#adapters/aws/amp-prometheus';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { lastHourOf, nativeBusySeries, nativePayload } from '../support/native-payload';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus';

/** POSTs `nativePayload(nowS)` to /v1/ingest. */
const pushNativePayload = (platform: TestPlatform, ingestKey: string, nowS: number) =>
  platform.request('/v1/ingest', {
    method: 'POST',
    token: ingestKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(nativePayload(nowS)),
  });

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
    const response = await pushNativePayload(platform, ingestKey, nowS);
    expect(response.status).toBe(202);
    expect(await bodyOf(response)).toEqual({ accepted: 3, rejected: [] });
    const answer = await query(tenant.adminToken, {
      metric: 'busy',
      ...lastHourOf(nowS),
    });
    expect(await bodyOf(answer)).toEqual({ series: [nativeBusySeries(nowS)] });
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
      ...lastHourOf(nowS),
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

describe('offboarding through the admin API with the metric store set to AMP', () => {
  const running: { stop(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const r of running.reverse()) await r.stop();
  });

  async function offboardAfterIngest(adminApi: boolean) {
    const prometheus = await startPrometheus({ adminApi });
    running.push(prometheus);
    const platform = await startTestPlatform({
      metricStore: prometheusMetricStore(prometheus.url, { adminApi }),
    });
    running.push({ stop: () => platform.destroy() });
    const leaving = await platform.createTenant('leaving');
    const staying = await platform.createTenant('staying');
    const nowS = Math.floor(Date.now() / 1000);
    for (const tenant of [leaving, staying]) {
      const { ingestKey } = await platform.createCollector(tenant.adminToken);
      const pushed = await pushNativePayload(platform, ingestKey, nowS);
      expect(pushed.status).toBe(202);
    }
    const job = await platform.offboard(leaving.tenantId);
    const receipt = job.regions[0]!;
    const stayingSeries = await fetch(
      `${prometheus.url}/api/v1/series?${new URLSearchParams({ 'match[]': `{tenant_id="${staying.tenantId}"}` })}`,
    ).then(async (r) => ((await r.json()) as { data: unknown[] }).data.length);
    return { receipt, stayingSeries };
  }

  it('on a Prometheus with the admin API: exports the 3 samples, deletes the 2 series, verifies none remain', async () => {
    const { receipt, stayingSeries } = await offboardAfterIngest(true);
    expect(receipt.archive.records.metrics).toBe(3);
    expect(receipt.removed.metrics).toBe(2);
    expect(receipt.remaining.metrics).toBe(0);
    expect(receipt.limitations.join('\n')).not.toContain('Prometheus');
    expect(stayingSeries).toBe(2);
  });

  it('on AMP semantics (no per-series delete): exports everything and reports the retention limitation', async () => {
    const { receipt, stayingSeries } = await offboardAfterIngest(false);
    expect(receipt.archive.records.metrics).toBe(3);
    expect(receipt.removed.metrics).toBe(0);
    expect(receipt.remaining.metrics).toBe(3);
    expect(receipt.limitations).toContainEqual(
      expect.stringMatching(
        /^metrics: Amazon Managed Service for Prometheus cannot delete series on demand: .*retention \(150 days\)/,
      ),
    );
    expect(stayingSeries).toBe(2);
  });
});
