/**
 * Every ingest limit through the local platform (the same handlers as Lambda): status, body (stable
 * error id and the limit's value) and headers; the valid part of a request is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TENANT_LIMITS } from '#domain/guardrails/limits';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';
import { push, seriesPayload, storedSeries, tenantWithLimits } from './support';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.destroy();
});

const nowS = () => Math.floor(Date.now() / 1000);

describe('tenant limits admin API', () => {
  it('shows the documented defaults, then versioned overrides; refuses stale versions and bad values', async () => {
    const { tenantId, adminToken } = await platform.createTenant('limits-admin');
    const path = `/admin/v1/tenants/${tenantId}/limits`;
    const provider = platform.providerAdminToken;
    const first = await platform.request(path, { token: provider });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"0"');
    expect(await bodyOf(first)).toMatchObject({
      tenantId,
      version: 0,
      overrides: {},
      limits: DEFAULT_TENANT_LIMITS,
    });

    const put = (body: unknown, headers: Record<string, string> = {}) =>
      platform.request(path, {
        method: 'PUT',
        token: provider,
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    const changed = await put({ ingestionRate: 50, ha: { enabled: true } }, { 'if-match': '"0"' });
    expect(changed.status).toBe(200);
    const view = await bodyOf(changed);
    expect(view.version).toBe(1);
    expect(view.limits.ingestionRate).toBe(50);
    expect(view.limits.ingestionBurstSize).toBe(DEFAULT_TENANT_LIMITS.ingestionBurstSize);
    expect(view.limits.ha).toEqual({ ...DEFAULT_TENANT_LIMITS.ha, enabled: true });

    const stale = await put({ ingestionRate: 60 }, { 'if-match': '"0"' });
    expect(stale.status).toBe(409);
    const tooLong = await put({ maxLabelNameLength: 61 });
    expect(tooLong.status).toBe(422);
    expect((await bodyOf(tooLong)).error.field).toBe('maxLabelNameLength');
    const unknownField = await put({ maxWidgets: 1 });
    expect(unknownField.status).toBe(422);

    expect((await platform.request('/admin/v1/tenants/nope/limits', { token: provider })).status).toBe(404);
    expect((await platform.request(path, { token: adminToken })).status).toBe(401);
  });
});

describe('tenant identity on ingest', () => {
  it('audits every limit change (before and after) and every provider authentication on the limits API', async () => {
    const { tenantId } = await platform.createTenant('limits-audit');
    const path = `/admin/v1/tenants/${tenantId}/limits`;
    const provider = platform.providerAdminToken;
    const put = (body: unknown) =>
      platform.request(path, {
        method: 'PUT',
        token: provider,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await put({ requestRate: 5, requestBurstSize: 10 })).status).toBe(200);
    expect((await put({ requestRate: 7, requestBurstSize: 10 })).status).toBe(200);
    expect((await platform.request(path, { token: 'obs_provider_wrong' })).status).toBe(401);
    const trail = await bodyOf(
      await platform.request(`/admin/v1/audit-events?tenantId=${tenantId}&limit=100`, { token: provider }),
    );
    const changes = trail.items
      .filter((e: { action: string }) => e.action === 'tenant.limits.update')
      .reverse();
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({
      actor: 'provider',
      outcome: 'success',
      target: `tenant/${tenantId}`,
      before: { overrides: {}, version: 0 },
      after: { overrides: { requestRate: 5, requestBurstSize: 10 }, version: 1 },
    });
    expect(changes[1]).toMatchObject({
      before: { overrides: { requestRate: 5, requestBurstSize: 10 }, version: 1 },
      after: { overrides: { requestRate: 7, requestBurstSize: 10 }, version: 2 },
    });
    const all = await bodyOf(await platform.request('/admin/v1/audit-events?limit=100', { token: provider }));
    // A wrong provider token names no tenant: counted per source and minute, not an event.
    expect(await platform.authFailures()).toContainEqual(
      expect.objectContaining({
        reason: 'provider token mismatch',
        target: 'GET /admin/v1/tenants/{tenantId}/limits',
      }),
    );
    expect(all.items).toContainEqual(
      expect.objectContaining({ action: 'auth.success', target: 'PUT /admin/v1/tenants/{tenantId}/limits' }),
    );
  });

  it('is the ingest key: none is 401, another kind is 403, another tenant named in a header is 403', async () => {
    const { tenantId, adminToken, ingestKey } = await tenantWithLimits(platform);
    const payload = seriesPayload(nowS());
    expect((await platform.request('/v1/ingest', { method: 'POST', body: '{}' })).status).toBe(401);
    expect((await push(platform, adminToken, payload)).status).toBe(403);
    const other = await push(platform, ingestKey, payload, { 'x-scope-orgid': 'someone-else' });
    expect(other.status).toBe(403);
    expect((await bodyOf(other)).error.field).toBe('x-scope-orgid');
    expect((await push(platform, ingestKey, payload, { 'x-scope-orgid': tenantId })).status).toBe(202);
  });
});

describe('rate limits (429, retryable)', () => {
  it('refuses requests above the request rate with Retry-After and the limit', async () => {
    const { ingestKey } = await tenantWithLimits(platform, { requestRate: 1, requestBurstSize: 2 });
    const payload = seriesPayload(nowS());
    expect((await push(platform, ingestKey, payload)).status).toBe(202);
    expect((await push(platform, ingestKey, seriesPayload(nowS(), { metric: 'other' }))).status).toBe(202);
    const refused = await push(platform, ingestKey, seriesPayload(nowS(), { metric: 'third' }));
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await bodyOf(refused)).error).toMatchObject({
      code: 'throttled',
      id: 'err-tenant-request-rate-limited',
      limit: 1,
    });
  });

  it('refuses samples above the ingestion rate, backing off further on each refusal in a row', async () => {
    const { ingestKey } = await tenantWithLimits(platform, { ingestionRate: 10, ingestionBurstSize: 20 });
    expect((await push(platform, ingestKey, seriesPayload(nowS(), { series: 15 }))).status).toBe(202);
    const refused = await push(platform, ingestKey, seriesPayload(nowS(), { series: 10, metric: 'b' }));
    expect(refused.status).toBe(429);
    const body = await bodyOf(refused);
    expect(body.error).toMatchObject({
      code: 'throttled',
      id: 'err-tenant-ingestion-rate-limited',
      limit: 10,
    });
    expect(body.error.message).toContain('10 samples/s');
    const firstWait = Number(refused.headers.get('retry-after'));
    // 5 tokens short at 10/s: at least 1 s, at most 1 s plus full jitter.
    expect(firstWait).toBeGreaterThanOrEqual(1);
    expect(firstWait).toBeLessThanOrEqual(2);
    let later = 0;
    for (let i = 0; i < 3; i++) {
      const again = await push(platform, ingestKey, seriesPayload(nowS(), { series: 10, metric: `c${i}` }));
      expect(again.status).toBe(429);
      later = Number(again.headers.get('retry-after'));
    }
    // Fourth refusal in a row: 2^3 × the base wait.
    expect(later).toBeGreaterThanOrEqual(8);
  });

  it('refuses a request larger than the burst as non-retryable 400, storing nothing', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, {
      ingestionRate: 5,
      ingestionBurstSize: 5,
    });
    const refused = await push(platform, ingestKey, seriesPayload(nowS(), { series: 6, metric: 'burst' }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get('retry-after')).toBeNull();
    expect((await bodyOf(refused)).error).toMatchObject({ id: 'err-tenant-request-exceeds-burst', limit: 5 });
    expect(await storedSeries(platform, adminToken, 'burst')).toEqual([]);
  });
});

describe('request size (413)', () => {
  it('refuses a body above maxRequestBytes, naming the limit', async () => {
    const { ingestKey } = await tenantWithLimits(platform, { maxRequestBytes: 400 });
    const refused = await push(platform, ingestKey, seriesPayload(nowS(), { series: 10 }));
    expect(refused.status).toBe(413);
    expect((await bodyOf(refused)).error).toMatchObject({
      code: 'payload_too_large',
      id: 'err-tenant-max-request-size',
      limit: 400,
      field: 'body',
    });
  });
});

describe('limits retrying cannot fix (400, the valid part stored)', () => {
  it('refuses new series beyond maxActiveSeries while existing series keep ingesting', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, { maxActiveSeries: 3 });
    const t = nowS();
    const refused = await push(platform, ingestKey, seriesPayload(t, { series: 5, metric: 'card' }));
    expect(refused.status).toBe(400);
    expect(refused.headers.get('retry-after')).toBeNull();
    const body = await bodyOf(refused);
    expect(body.error).toMatchObject({ code: 'bad_request', id: 'err-tenant-max-series', limit: 3 });
    expect(body.accepted).toBe(3);
    expect(body.discarded).toEqual({ 'max-series': 2 });
    expect(body.rejections).toHaveLength(2);
    expect(body.rejections[0]).toMatchObject({ id: 'err-tenant-max-series', reason: 'max-series', limit: 3 });
    expect(await storedSeries(platform, adminToken, 'card')).toHaveLength(3);
    // The three admitted series keep ingesting.
    const again = await push(platform, ingestKey, seriesPayload(t + 1, { series: 3, metric: 'card' }));
    expect(again.status).toBe(202);
    expect((await bodyOf(again)).accepted).toBe(3);
  });

  it('refuses new series beyond maxActiveSeriesPerMetric, other metrics unaffected', async () => {
    const { ingestKey } = await tenantWithLimits(platform, { maxActiveSeriesPerMetric: 2 });
    const refused = await push(platform, ingestKey, seriesPayload(nowS(), { series: 3, metric: 'per' }));
    expect(refused.status).toBe(400);
    const body = await bodyOf(refused);
    expect(body.error).toMatchObject({ id: 'err-tenant-max-series-per-metric', limit: 2 });
    expect(body.accepted).toBe(2);
    expect(
      (await push(platform, ingestKey, seriesPayload(nowS(), { series: 2, metric: 'other' }))).status,
    ).toBe(202);
  });

  it('refuses series with too many labels', async () => {
    const { ingestKey } = await tenantWithLimits(platform, { maxLabelNamesPerSeries: 3 });
    const refused = await push(
      platform,
      ingestKey,
      seriesPayload(nowS(), { resourceIds: { a: '1', b: '2' } }), // + datasource + instance = 4
    );
    expect(refused.status).toBe(400);
    expect((await bodyOf(refused)).error).toMatchObject({
      id: 'err-tenant-max-label-names-per-series',
      limit: 3,
      field: 'samples[0]',
    });
  });

  it('refuses label names and values longer than the limits', async () => {
    const { ingestKey } = await tenantWithLimits(platform, {
      maxLabelNameLength: 10,
      maxLabelValueLength: 8,
    });
    const longName = await push(
      platform,
      ingestKey,
      seriesPayload(nowS(), { resourceIds: { 'a.very.long.key': 'x' } }),
    );
    expect(longName.status).toBe(400);
    expect((await bodyOf(longName)).error).toMatchObject({ id: 'err-tenant-label-name-too-long', limit: 10 });
    const longValue = await push(
      platform,
      ingestKey,
      seriesPayload(nowS(), { resourceIds: { host: 'abcdefghij' } }),
    );
    expect(longValue.status).toBe(400);
    expect((await bodyOf(longValue)).error).toMatchObject({
      id: 'err-tenant-label-value-too-long',
      limit: 8,
    });
  });

  it('refuses samples too old and too far in the future, storing the rest of the request', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, {
      maxSampleAgeSeconds: 300,
      maxFutureSkewSeconds: 60,
    });
    const t = nowS();
    const old = await push(
      platform,
      ingestKey,
      seriesPayload(t, { metric: 'age', values: { [t]: 1, [t - 600]: 2 } }),
    );
    expect(old.status).toBe(400);
    const oldBody = await bodyOf(old);
    expect(oldBody.error).toMatchObject({ id: 'err-tenant-sample-too-old', limit: 300 });
    expect(oldBody.accepted).toBe(1);
    const stored = await storedSeries(platform, adminToken, 'age');
    expect(stored[0]?.points.map((p) => p[1])).toEqual([1]);
    const future = await push(
      platform,
      ingestKey,
      seriesPayload(t, { metric: 'future', values: { [t + 600]: 3 } }),
    );
    expect(future.status).toBe(400);
    expect((await bodyOf(future)).error).toMatchObject({
      id: 'err-tenant-sample-too-far-in-future',
      limit: 60,
    });
  });
});

describe('usage and the 80 % warning', () => {
  it('shows the tenant its usage against each limit and warns at 80 %', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, { maxActiveSeries: 5 });
    await push(platform, ingestKey, seriesPayload(nowS(), { series: 4, metric: 'used' }));
    const response = await platform.request('/v1/usage', { token: adminToken });
    expect(response.status).toBe(200);
    const usage = await bodyOf(response);
    expect(usage.limits.maxActiveSeries).toBe(5);
    expect(usage.activeSeries).toEqual({ total: 4, topMetrics: [{ metric: 'used', activeSeries: 4 }] });
    expect(usage.usage).toContainEqual({ limit: 'maxActiveSeries', used: 4, value: 5, ratio: 0.8 });
    expect(usage.warnings).toEqual([{ limit: 'maxActiveSeries', used: 4, value: 5, ratio: 0.8 }]);
    expect((await platform.request('/v1/usage', { token: ingestKey })).status).toBe(403);
  });
});
