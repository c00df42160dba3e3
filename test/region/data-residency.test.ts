/**
 * Data residency (issue #17 item 1): two local platforms as eu-west-2 and us-east-1 over one metadata
 * engine. An EU tenant's samples sent to the US platform are answered 421 naming its home, and never
 * reach the US metric store; its API calls there are 421 too; at home everything is served.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { onePointPayload } from '../support/native-payload';
import { bodyOf, type TestPlatform } from '../support/platform';
import { startTwoRegions, type TwoRegions } from './two-regions';

const EU = 'eu-west-2';
const US = 'us-east-1';

describe('home region and data residency', () => {
  let world: TwoRegions;
  let eu: TestPlatform;
  let us: TestPlatform;
  beforeAll(async () => {
    world = await startTwoRegions([US, EU]);
    eu = world.regions[EU]?.platform as TestPlatform;
    us = world.regions[US]?.platform as TestPlatform;
  });
  afterAll(async () => world?.destroy());

  const onboard = async (platform: TestPlatform, body: Record<string, unknown>) =>
    platform.request('/admin/v1/tenants', {
      method: 'POST',
      token: platform.providerAdminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const push = (platform: TestPlatform, ingestKey: string, value: number, atS: number) =>
    platform.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(onePointPayload(atS, value)),
    });
  const stored = (region: string, tenantId: string, nowS: number) =>
    world.regions[region]?.metrics.query(tenantId, {
      metric: 'util',
      fromMs: (nowS - 3600) * 1000,
      toMs: (nowS + 60) * 1000,
      aggregation: 'avg',
      filters: {},
    });

  it('onboarding sets the home region (default: the provider’s default) and returns its endpoints', async () => {
    const asked = await onboard(us, { name: 'eu-customer', region: EU });
    expect(asked.status).toBe(201);
    const body = await bodyOf(asked);
    expect(body.region).toBe(EU);
    expect(body.endpoints).toEqual(world.regions[EU]?.endpoint);
    const defaulted = await bodyOf(await onboard(eu, { name: 'default-customer' }));
    expect(defaulted.region).toBe(US);
    expect(defaulted.endpoints).toEqual(world.regions[US]?.endpoint);
    const tenant = await bodyOf(
      await us.request(`/admin/v1/tenants/${body.tenantId}`, { token: us.providerAdminToken }),
    );
    expect(tenant.region).toBe(EU);
  });

  it('refuses a region it does not serve, and one that is not a region name, naming the field', async () => {
    for (const region of ['ap-south-2', 'mars', 42]) {
      const r = await onboard(us, { name: 'x', region });
      expect(r.status).toBe(422);
      expect((await bodyOf(r)).error.field).toBe('region');
    }
  });

  it('an EU tenant’s samples sent to the US get 421 and never appear in the US store', async () => {
    const { tenantId, adminToken } = await bodyOf(await onboard(us, { name: 'residency', region: EU }));
    // Its API is served at home only: creating the collector in the US is misdirected too.
    const away = await us.request('/v1/collectors', {
      method: 'POST',
      token: adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'c' }),
    });
    expect(away.status).toBe(421);
    const awayBody = await bodyOf(away);
    expect(awayBody.error).toMatchObject({ code: 'misdirected', field: 'region' });
    expect(awayBody.region).toBe(EU);
    expect(awayBody.endpoints).toEqual(world.regions[EU]?.endpoint);
    const { ingestKey } = await eu.createCollector(adminToken);

    const nowS = Math.floor(Date.now() / 1000);
    const misdirected = await push(us, ingestKey, 7, nowS - 30);
    expect(misdirected.status).toBe(421);
    expect((await bodyOf(misdirected)).endpoints.ingest).toBe(world.regions[EU]?.endpoint.ingest);
    expect((await push(eu, ingestKey, 8, nowS - 20)).status).toBe(202);

    expect(await stored(US, tenantId, nowS)).toEqual([]);
    const home = await stored(EU, tenantId, nowS);
    expect(home?.flatMap((s) => s.points.map(([, v]) => v))).toEqual([8]);
    // Reads are refused away from home as well (no 307: a redirect would carry the bearer token on).
    const query = await us.request(`/v1/metrics/query?metric=util&from=${(nowS - 3600) * 1000}`, {
      token: adminToken,
    });
    expect(query.status).toBe(421);
    const promql = await us.request('/api/v1/query?query=util', { token: adminToken });
    expect(promql.status).toBe(421);
    expect((await eu.request('/api/v1/query?query=util', { token: adminToken })).status).toBe(200);
  });

  it('the collector config names the home region, its endpoints and the config version', async () => {
    const { adminToken } = await bodyOf(await onboard(us, { name: 'config', region: EU }));
    const { ingestKey } = await eu.createCollector(adminToken);
    const config = await bodyOf(await eu.request('/v1/collector/config', { token: ingestKey }));
    expect(config).toMatchObject({ region: EU, endpoints: world.regions[EU]?.endpoint });
    expect(config['configVersion']).toMatch(/^[0-9a-f]{20}$/);
    expect((await us.request('/v1/collector/config', { token: ingestKey })).status).toBe(421);
  });
});
