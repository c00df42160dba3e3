/**
 * The cross-tenant matrix: every customer-API and provider-API route × tenant B's credentials (admin
 * token, ingest key) × tenant A's ids. Nothing may succeed on A's data and no response may carry
 * anything of A's. A route added to ROUTES without a case here fails this test.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteSpec } from '#http/routes';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { type Harness, startHarness } from './support/harness';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const MARK = 'ALPHA-MARKER';

async function seedTenantA(h: Harness) {
  const a = await h.onboard(`${MARK}-tenant`);
  const token = a.adminToken;
  const { body: collector } = await h.call('POST', '/v1/collectors', {
    token,
    body: { name: `${MARK}-collector`, collectorGroup: `${MARK}-group` },
  });
  const { body: cred } = await h.call('POST', '/v1/device-credentials', {
    token,
    body: { name: `${MARK}-cred`, type: 'snmp-v2c', secrets: { community: `${MARK}-community` } },
  });
  const { body: resource } = await h.call('POST', '/v1/resources', {
    token,
    body: {
      type: 'device',
      name: `${MARK}-resource`,
      address: 'alpha.example',
      collectorId: collector.collectorId,
      credentialIds: [cred.deviceCredentialId],
    },
  });
  const { body: user } = await h.call('POST', '/v1/users', {
    token,
    body: { name: `${MARK}-user`, email: 'alpha@example.com', role: 'operator' },
  });
  const { body: apiToken } = await h.call('POST', '/v1/tokens', {
    token,
    body: { name: `${MARK}-token`, role: 'operator' },
  });
  const { body: dashboard } = await h.call('POST', '/v1/dashboards', {
    token,
    body: DASHBOARD,
  });
  return {
    ...a,
    ingestKey: collector.ingestKey as string,
    ids: {
      dashboardId: dashboard.dashboardId,
      tenantId: a.tenantId,
      collectorId: collector.collectorId,
      collectorGroup: `${MARK}-group`,
      deviceCredentialId: cred.deviceCredentialId,
      resourceId: resource.resourceId,
      userId: user.userId,
      tokenId: apiToken.tokenId,
      archiveId: `${a.tenantId}-0000000000000`,
      jobId: `${a.tenantId}-0000000000000`,
      // Provider-only and notice routes: a well-formed id (the routes refuse B before reading it).
      incidentId: '0'.repeat(32),
      noticeId: '0'.repeat(32),
    } as Record<string, string>,
    apiToken: apiToken.token as string,
  };
}

/** A valid body per route, pointing at A's ids where the route takes references. */
const DASHBOARD = {
  name: `${MARK}-dashboard`,
  widgets: [{ type: 'line', title: `${MARK}-widget`, promql: 'alpha_busy' }],
};

function bodyFor(route: RouteSpec, ids: Record<string, string>): unknown {
  const key = `${route.method} ${route.path}`;
  const bodies: Record<string, unknown> = {
    'POST /v1/collectors': { name: 'b-collector' },
    'PATCH /v1/collectors/{collectorId}': { name: 'hijacked' },
    'POST /v1/resources': {
      type: 'device',
      name: 'b',
      address: 'b.example',
      dependsOn: [ids.resourceId],
      credentialIds: [ids.deviceCredentialId],
      collectorId: ids.collectorId,
    },
    'PATCH /v1/resources/{resourceId}': { name: 'hijacked' },
    'POST /v1/device-credentials': { name: 'b', type: 'snmp-v2c', secrets: { community: 'b' } },
    'PUT /v1/device-credentials/{deviceCredentialId}': {
      name: 'hijacked',
      type: 'snmp-v2c',
      secrets: { community: 'hijacked' },
    },
    'POST /v1/users': { name: 'b', email: 'b@example.com', role: 'read-only' },
    'PATCH /v1/users/{userId}': { name: 'hijacked' },
    'POST /v1/tokens': { name: 'b', role: 'read-only' },
    'POST /v1/dashboards': { name: 'b', widgets: [{ type: 'line', title: 'b', promql: 'b_busy' }] },
    'PUT /v1/dashboards/{dashboardId}': { ...DASHBOARD, name: 'hijacked' },
    'POST /admin/v1/tenants': { name: 'b-created' },
  };
  return bodies[key];
}

const QUERY: Record<string, Record<string, string>> = {
  'GET /v1/metrics/query': { metric: 'util', from: String(Date.now() - 3_600_000), to: String(Date.now()) },
};

describe.each(['sqlite', 'dynamodb'] as const)('cross-tenant matrix on %s', (backend) => {
  it('denies every route on tenant A’s ids to tenant B’s credentials and leaks nothing', async () => {
    const h = await startHarness(backend, ddb);
    const a = await seedTenantA(h);
    const b = await h.onboard('bravo');
    const { body: bCollector } = await h.call('POST', '/v1/collectors', {
      token: b.adminToken,
      body: { name: 'b-collector' },
    });
    const secretsOfA = [a.adminToken, a.ingestKey, a.apiToken].map((t) => t.split('_').slice(3).join('_'));
    const forbiddenInResponses = [
      MARK,
      ...Object.values(a.ids).filter((v) => !v.endsWith('0000000000000')),
      ...secretsOfA,
    ];

    const routes = ROUTES.filter((r) => r.function === 'api' || r.function === 'admin');
    const tested: string[] = [];
    for (const route of routes) {
      const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
        const id = a.ids[name];
        if (!id) throw new Error(`the matrix has no id of tenant A for {${name}} in ${route.path}`);
        return id;
      });
      const hasIds = path !== route.path;
      for (const [who, token] of [
        ['admin token of B', b.adminToken],
        ['ingest key of B', bCollector.ingestKey],
      ] as const) {
        const r = await h.call(route.method, path, {
          token,
          body: bodyFor(route, a.ids),
          query: QUERY[`${route.method} ${route.path}`] ?? {},
        });
        const what = `${route.method} ${route.path} with the ${who}`;
        for (const marker of forbiddenInResponses)
          expect(r.text, `${what} leaked ${marker}`).not.toContain(marker);
        if (route.path === '/openapi.json') expect(r.status, what).toBe(200);
        else if (route.function === 'admin') expect(r.status, what).toBe(401);
        else if (route.path === '/v1/collector/config')
          expect(r.status, what).toBe(who === 'ingest key of B' ? 200 : 403);
        else if (route.path === '/v1/collector/heartbeat')
          // B's own collector beating (with whatever body the matrix sends): never A's, never a tenant token's.
          expect(who === 'ingest key of B' ? [204, 422] : [403], what).toContain(r.status);
        else if (route.path === '/v1/collector/discoveries')
          // A collector's report lands in its own tenant (B's), whatever the body; tenant tokens are refused.
          expect(who === 'ingest key of B' ? [200, 201, 202, 422] : [403], what).toContain(r.status);
        else if (who === 'ingest key of B') expect(r.status, what).toBe(403);
        else if (hasIds) expect([403, 404], what).toContain(r.status);
        else if (route.method === 'POST' && route.path === '/v1/resources') {
          // References to A's ids are unknown ids for B.
          expect(r.status, what).toBe(422);
        } else expect(r.status, what).toBeLessThan(300);
      }
      tested.push(`${route.method} ${route.path}`);
    }
    expect(tested.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());

    // A's data is exactly as it was, and A's credentials all still work.
    const token = a.adminToken;
    expect((await h.call('GET', `/v1/resources/${a.ids.resourceId}`, { token })).body).toMatchObject({
      name: `${MARK}-resource`,
      version: 1,
    });
    expect((await h.call('GET', `/v1/collectors/${a.ids.collectorId}`, { token })).body.name).toBe(
      `${MARK}-collector`,
    );
    expect((await h.call('GET', `/v1/users/${a.ids.userId}`, { token })).body.name).toBe(`${MARK}-user`);
    expect(
      (await h.call('GET', `/v1/device-credentials/${a.ids.deviceCredentialId}`, { token })).body,
    ).toMatchObject({
      name: `${MARK}-cred`,
      version: 1,
    });
    expect((await h.call('GET', '/v1/resources', { token: a.apiToken })).status).toBe(200);
    const config = await h.call('GET', '/v1/collector/config', { token: a.ingestKey });
    expect(config.body.resources[0].credentials[0].secrets).toEqual({ community: `${MARK}-community` });
    expect((await h.call('GET', `/admin/v1/tenants/${a.tenantId}`, { token: 'obs_provider_x' })).status).toBe(
      401,
    );
  });
});
