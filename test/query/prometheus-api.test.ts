/**
 * The Prometheus HTTP API on the local platform, called the way Grafana's Prometheus data source
 * calls it: buildinfo on "Save & test", label names and values for the metric browser (GET, or POST
 * forms when the data source's HTTP method is POST), series with match[], metadata, start/end as
 * Unix seconds, the token as Bearer (custom header) or as the Basic-auth password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusMetricStore } from '#adapters/aws/amp-prometheus';
import { encodeRemoteWriteBody, REMOTE_WRITE_HEADERS } from '#protocols/prometheus/remote-write';
import { nativePayload } from '../support/native-payload';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus';

// The same calls on the embedded store (the engine's reads) and on the AMP adapter over a real
// Prometheus (forwarded with the tenant matcher; names escaped on the way in, unescaped on the way out).
describe.each(['sqlite', 'amp'] as const)('Prometheus API on the %s store', (store) => {
  let prometheus: RunningPrometheus | undefined;
  let platform: TestPlatform;
  let alpha: { tenantId: string; adminToken: string };
  let bravo: { tenantId: string; adminToken: string };
  let alphaIngestKey: string;
  const nowS = Math.floor(Date.now() / 1000);
  const range = { start: String(nowS - 3600), end: String(nowS + 60) };

  beforeAll(async () => {
    if (store === 'amp') prometheus = await startPrometheus();
    platform = await startTestPlatform(
      prometheus ? { metricStore: prometheusMetricStore(prometheus.url) } : {},
    );
    alpha = await platform.createTenant('alpha');
    bravo = await platform.createTenant('bravo');
    const ingest = async (adminToken: string, host: string) => {
      const { ingestKey } = await platform.createCollector(adminToken);
      const response = await platform.request('/v1/ingest', {
        method: 'POST',
        token: ingestKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(
          nativePayload(nowS, { resourceName: host, resourceIds: { 'system.hostname': host } }),
        ),
      });
      expect(response.status).toBe(202);
      return ingestKey;
    };
    alphaIngestKey = await ingest(alpha.adminToken, 'alpha-host');
    await ingest(bravo.adminToken, 'bravo-host');
  });
  afterAll(async () => {
    await platform?.destroy();
    await prometheus?.stop();
  });

  const get = (path: string, params: Record<string, string | string[]>, headers: Record<string, string>) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params))
      for (const v of Array.isArray(value) ? value : [value]) search.append(name, v);
    return platform.request(`${path}?${search}`, { headers });
  };
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const basic = (token: string) => ({
    authorization: `Basic ${Buffer.from(`grafana:${token}`).toString('base64')}`,
  });

  describe('Grafana data source calls', () => {
    it('buildinfo: a Prometheus 2.42 version (no Mimir features), Basic auth', async () => {
      const response = await get('/api/v1/status/buildinfo', {}, basic(alpha.adminToken));
      expect(response.status).toBe(200);
      const body = await bodyOf(response);
      expect(body.status).toBe('success');
      expect(body.data.version).toBe('2.42.0');
      expect(body.data.features).toBeUndefined();
    });

    it('label names with start/end in seconds, GET and POST form, sorted', async () => {
      const expected = ['__name__', 'datasource', 'instance', 'system.hostname'];
      const viaGet = await bodyOf(await get('/api/v1/labels', range, bearer(alpha.adminToken)));
      expect(viaGet).toEqual({ status: 'success', data: expected });
      const viaPost = await platform.request('/api/v1/labels', {
        method: 'POST',
        headers: { ...basic(alpha.adminToken), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ 'match[]': 'busy', ...range }).toString(),
      });
      expect(await bodyOf(viaPost)).toEqual({ status: 'success', data: expected });
    });

    it('metric names (__name__ values) and a label’s values for a metric', async () => {
      expect(
        await bodyOf(await get('/api/v1/label/__name__/values', range, bearer(alpha.adminToken))),
      ).toEqual({
        status: 'success',
        data: ['busy', 'idle'],
      });
      const instances = await get(
        '/api/v1/label/instance/values',
        { 'match[]': 'busy', ...range },
        bearer(alpha.adminToken),
      );
      expect(await bodyOf(instances)).toEqual({ status: 'success', data: ['cpu0'] });
    });

    it('series for match[] (several OR-ed), with limit', async () => {
      const body = await bodyOf(
        await get(
          '/api/v1/series',
          { 'match[]': ['busy', 'idle{instance="cpu0"}'], ...range },
          bearer(alpha.adminToken),
        ),
      );
      const labels = { datasource: 'LinuxCPU', instance: 'cpu0', 'system.hostname': 'alpha-host' };
      expect(body).toEqual({
        status: 'success',
        data: [
          { __name__: 'busy', ...labels },
          { __name__: 'idle', ...labels },
        ],
      });
      const limited = await bodyOf(
        await get(
          '/api/v1/series',
          { 'match[]': '{instance="cpu0"}', limit: '1', ...range },
          bearer(alpha.adminToken),
        ),
      );
      expect(limited.data).toHaveLength(1);
      expect(limited.warnings).toEqual(['results truncated due to limit']);
    });

    it('metadata: what the tenant’s senders said (remote write 1.0 here), never another tenant’s; exemplars empty', async () => {
      // Remote write 1.0 metadata only (no samples: the series of the other tests stay as they are).
      const sent = await platform.request('/api/v1/write', {
        method: 'POST',
        token: alphaIngestKey,
        headers: { ...REMOTE_WRITE_HEADERS },
        body: encodeRemoteWriteBody({
          timeseries: [],
          metadata: [{ type: 2, metricFamilyName: 'queue_depth', help: 'Jobs waiting', unit: '' }],
        }),
      });
      expect(sent.status).toBe(204);
      const mine = await bodyOf(
        await get('/api/v1/metadata', { metric: 'queue_depth' }, bearer(alpha.adminToken)),
      );
      expect(mine).toMatchObject({
        status: 'success',
        data: { queue_depth: [{ type: 'gauge', help: 'Jobs waiting' }] },
      });
      expect(await bodyOf(await get('/api/v1/metadata', {}, bearer(bravo.adminToken)))).toEqual({
        status: 'success',
        data: {},
      });
      expect(
        await bodyOf(
          await get('/api/v1/query_exemplars', { query: 'busy', ...range }, bearer(alpha.adminToken)),
        ),
      ).toEqual({ status: 'success', data: [] });
    });
  });

  describe('tenancy', () => {
    it('{__name__=~".+"} and a matcher on another tenant’s label value never cross tenants', async () => {
      const all = await bodyOf(
        await get('/api/v1/series', { 'match[]': '{__name__=~".+"}', ...range }, bearer(alpha.adminToken)),
      );
      expect(all.data.map((s: Record<string, string>) => s['system.hostname'])).toEqual([
        'alpha-host',
        'alpha-host',
      ]);
      const hosts = await bodyOf(
        await get('/api/v1/label/system.hostname/values', range, bearer(bravo.adminToken)),
      );
      expect(hosts.data).toEqual(['bravo-host']);
      const probe = await bodyOf(
        await get(
          '/api/v1/series',
          { 'match[]': '{tenant_id="' + alpha.tenantId + '"}', ...range },
          bearer(bravo.adminToken),
        ),
      );
      expect(probe.data).toEqual([]);
      expect(JSON.stringify(probe)).not.toContain('alpha-host');
    });

    it('refuses an ingest key (403), a missing or wrong token (401), in the Prometheus envelope', async () => {
      const ingestKey = await get('/api/v1/labels', range, bearer(alphaIngestKey));
      expect(ingestKey.status).toBe(403);
      expect(await bodyOf(ingestKey)).toMatchObject({ status: 'error', errorType: 'forbidden' });
      const none = await get('/api/v1/labels', range, {});
      expect(none.status).toBe(401);
      expect(await bodyOf(none)).toMatchObject({ status: 'error', errorType: 'unauthorized' });
      expect((await get('/api/v1/labels', range, basic(`${alpha.adminToken}x`))).status).toBe(401);
    });
  });

  describe('bad requests and limits', () => {
    it('400 bad_data: series without match[], an unparsable time or selector', async () => {
      for (const [path, params] of [
        ['/api/v1/series', range],
        ['/api/v1/labels', { start: 'yesterday' }],
        ['/api/v1/series', { 'match[]': '{job=~""}' }],
        ['/api/v1/query_range', { query: 'busy', start: range.start, end: range.end, step: '0' }],
        ['/api/v1/query_range', { query: 'busy', start: range.end, end: range.start, step: '15' }],
      ] as const) {
        const response = await get(path, params, bearer(alpha.adminToken));
        expect(response.status, `${path} ${JSON.stringify(params)}`).toBe(400);
        expect(await bodyOf(response)).toMatchObject({ status: 'error', errorType: 'bad_data' });
      }
    });

    it('422 naming max_resolution_points past 11,000 points and max_query_length past 32 days', async () => {
      const tooFine = await get(
        '/api/v1/query_range',
        { query: 'busy', start: '0', end: '11001', step: '1s' },
        bearer(alpha.adminToken),
      );
      expect(tooFine.status).toBe(422);
      expect(await bodyOf(tooFine)).toMatchObject({
        status: 'error',
        errorType: 'execution',
        error: expect.stringContaining('max_resolution_points'),
      });
      const tooLong = await get(
        '/api/v1/query_range',
        { query: 'busy', start: '0', end: String(33 * 86_400), step: '1h' },
        bearer(alpha.adminToken),
      );
      expect(tooLong.status).toBe(422);
      expect((await bodyOf(tooLong)).error).toContain('max_query_length');
    });
  });

  describe('PromQL through the query function', () => {
    it('instant query (GET, Bearer) and range query (POST form, Basic) answer in Prometheus’ shapes', async () => {
      const instant = await bodyOf(
        await get('/api/v1/query', { query: 'busy', time: String(nowS) }, bearer(alpha.adminToken)),
      );
      expect(instant).toEqual({
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            {
              metric: {
                __name__: 'busy',
                datasource: 'LinuxCPU',
                instance: 'cpu0',
                'system.hostname': 'alpha-host',
              },
              value: [nowS, '12.5'],
            },
          ],
        },
      });
      const range = await platform.request('/api/v1/query_range', {
        method: 'POST',
        headers: { ...basic(alpha.adminToken), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          query: 'sum by (instance) (busy)',
          start: String(nowS - 60),
          end: String(nowS),
          step: '30s',
        }).toString(),
      });
      expect(await bodyOf(range)).toEqual({
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: { instance: 'cpu0' },
              values: [
                [nowS - 60, '10'],
                [nowS - 30, '10'],
                [nowS, '12.5'],
              ],
            },
          ],
        },
      });
    });

    it('aggregates over the tenant’s own series only, whatever the selector', async () => {
      for (const query of [
        'count({__name__=~".+"})',
        'sum(busy)',
        `count(busy{tenant_id!="${alpha.tenantId}"})`,
      ]) {
        const body = await bodyOf(
          await get('/api/v1/query', { query, time: String(nowS) }, bearer(alpha.adminToken)),
        );
        expect(body.status, query).toBe('success');
        const values = body.data.result.map((s: { value: [number, string] }) => s.value[1]);
        expect(values, query).toEqual(
          { 'count({__name__=~".+"})': ['2'], 'sum(busy)': ['12.5'] }[query] ?? ['1'],
        );
      }
    });

    it('formats a query; a parse error is 400 bad_data, a range vector in query_range too', async () => {
      expect(
        await bodyOf(
          await get('/api/v1/format_query', { query: 'sum(busy)by(instance)' }, bearer(alpha.adminToken)),
        ),
      ).toEqual({
        status: 'success',
        data: 'sum by (instance) (busy)',
      });
      for (const [path, params] of [
        ['/api/v1/query', { query: 'sum(' }],
        ['/api/v1/query_range', { query: 'busy[5m]', start: range.start, end: range.end, step: '60' }],
      ] as const) {
        const response = await get(path, params, bearer(alpha.adminToken));
        expect(response.status, path).toBe(400);
        expect(await bodyOf(response)).toMatchObject({ status: 'error', errorType: 'bad_data' });
      }
    });
  });
});
