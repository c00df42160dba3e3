/**
 * The cross-tenant matrix over every route of the local platform (real HTTP, all functions: customer
 * API, provider API, ingest, alerting, limits): tenant B's admin token and ingest key against tenant
 * A's ids. Nothing of A's may come back (names, secrets, ids B did not send itself), nothing of A's
 * may change, and no route may answer 2xx on an id of A's. A route in ROUTES without an id for its
 * parameters fails the test.
 */
import { describe, expect, it } from 'vitest';
import { ROUTES } from '#http/routes';
import { startTestPlatform } from '../support/platform';

const MARK = 'ALLROUTES-MARKER';
const json = { 'content-type': 'application/json' };

describe('cross-tenant matrix over every route (local platform, HTTP)', () => {
  it('denies tenant B everything of tenant A on every route', async () => {
    const platform = await startTestPlatform();
    try {
      const call = async (method: string, path: string, token: string, body?: unknown) => {
        const r = await platform.request(path, {
          method,
          token,
          ...(body === undefined ? {} : { headers: json, body: JSON.stringify(body) }),
        });
        return { status: r.status, text: await r.text() };
      };
      const ok = async (method: string, path: string, token: string, body: unknown) => {
        const r = await call(method, path, token, body);
        if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.text}`);
        return JSON.parse(r.text);
      };

      const a = await platform.createTenant(`${MARK}-tenant`);
      const aCollector = await platform.createCollector(a.adminToken, `${MARK}-collector`);
      const cred = await ok('POST', '/v1/device-credentials', a.adminToken, {
        name: `${MARK}-cred`,
        type: 'snmp-v2c',
        secrets: { community: `${MARK}-community` },
      });
      const resource = await ok('POST', '/v1/resources', a.adminToken, {
        type: 'device',
        name: `${MARK}-resource`,
        address: 'alpha-host',
        collectorId: aCollector.collectorId,
      });
      const user = await ok('POST', '/v1/users', a.adminToken, {
        name: `${MARK}-user`,
        email: 'alpha@example.com',
        role: 'operator',
      });
      const token = await ok('POST', '/v1/tokens', a.adminToken, { name: `${MARK}-token`, role: 'operator' });
      const chainBody = {
        name: `${MARK}-chain`,
        stageIntervalSeconds: 300,
        stages: [
          {
            recipients: [{ type: 'webhook', address: 'https://alpha.example/hook', secret: `${MARK}-hook` }],
          },
        ],
      };
      const chain = await ok('POST', '/v1/escalation-chains', a.adminToken, chainBody);
      const ruleBody = {
        name: `${MARK}-rule`,
        metric: 'alpha_busy',
        threshold: '> 1',
        windowSeconds: 60,
        aggregation: 'avg',
        triggerInterval: 1,
        clearInterval: 1,
        escalationChainId: chain.chainId,
      };
      const rule = await ok('POST', '/v1/alert-rules', a.adminToken, ruleBody);
      const routeBody = {
        name: `${MARK}-route`,
        priority: 10,
        match: { severities: ['critical'] },
        escalationChainId: chain.chainId,
      };
      const route = await ok('POST', '/v1/alert-routes', a.adminToken, routeBody);
      const dashboardBody = {
        name: `${MARK}-dashboard`,
        widgets: [{ type: 'line', title: `${MARK}-widget`, promql: 'alpha_busy' }],
      };
      const dashboard = await ok('POST', '/v1/dashboards', a.adminToken, dashboardBody);
      const scheduleBody = {
        name: `${MARK}-schedule`,
        report: { resources: ['alpha-host'], availability: { kind: 'alerts' } },
        cadence: 'weekly',
        timeZone: 'Europe/London',
        recipients: { emails: ['alpha@example.com'], chainId: chain.chainId },
      };
      const schedule = await ok('POST', '/v1/report-schedules', a.adminToken, scheduleBody);
      const now = Date.now();
      const downtime = await ok('POST', '/v1/downtimes', a.adminToken, {
        name: `${MARK}-downtime`,
        resources: ['nothing'],
        startsAt: now + 3_600_000,
        endsAt: now + 7_200_000,
      });
      // A security notice of A's (the provider posts it to A only), with A's notice channel.
      await ok('PUT', '/v1/notice-channels', a.adminToken, {
        recipients: [{ type: 'email', address: `${MARK}@tenant.example` }],
      });
      const incident = await ok('POST', '/admin/v1/incidents', platform.providerAdminToken, {
        title: `${MARK}-incident`,
        text: `${MARK}-notice`,
        severity: 'low',
        tenants: [a.tenantId],
      });
      // Open an alert of A's: a breaching value, evaluated on ingest.
      await ok('POST', '/v1/ingest', aCollector.ingestKey, {
        resourceName: 'alpha-host',
        resourceIds: { 'system.hostname': 'alpha-host' },
        dataSource: 'CPU',
        instances: [
          {
            instanceName: 'cpu0',
            dataPoints: [{ dataPointName: 'alpha_busy', values: { [Math.floor(now / 1000)]: 99 } }],
          },
        ],
      });
      let alertId: string | undefined;
      for (let i = 0; i < 50 && !alertId; i++) {
        const alerts = await ok('GET', '/v1/alerts', a.adminToken, undefined);
        alertId = (alerts.alerts ?? alerts.items ?? [])[0]?.alertId;
        if (!alertId) await new Promise((r) => setTimeout(r, 100));
      }
      expect(alertId, 'tenant A has an open alert to probe').toBeDefined();

      const ids: Record<string, string> = {
        tenantId: a.tenantId,
        collectorId: aCollector.collectorId,
        collectorGroup: `${MARK}-group`,
        resourceId: resource.resourceId,
        deviceCredentialId: cred.deviceCredentialId,
        userId: user.userId,
        tokenId: token.tokenId,
        ruleId: rule.ruleId,
        chainId: chain.chainId,
        downtimeId: downtime.downtimeId,
        routeId: route.routeId,
        dashboardId: dashboard.dashboardId,
        scheduleId: schedule.scheduleId,
        alertId: alertId!,
        incidentId: incident.incidentId,
        archiveId: `${a.tenantId}-0000000000000`,
        jobId: `${a.tenantId}-0000000000000`,
      };
      // Path parameters that are not ids of A's: a label name (Prometheus API), answered for B's own data.
      // A report link's token is the credential itself: a made-up one opens nothing (404).
      const names: Record<string, string> = { name: 'system.hostname', token: 'bm90LWEtdG9rZW4.x' };
      const bodies: Record<string, unknown> = {
        'PUT /v1/alert-rules/{ruleId}': { ...ruleBody, name: 'hijacked', escalationChainId: undefined },
        'PUT /v1/escalation-chains/{chainId}': { ...chainBody, name: 'hijacked' },
        'PUT /v1/alert-routes/{routeId}': { ...routeBody, name: 'hijacked', priority: 11 },
        'PATCH /v1/resources/{resourceId}': { name: 'hijacked' },
        'PATCH /v1/collectors/{collectorId}': { name: 'hijacked' },
        'PATCH /v1/users/{userId}': { name: 'hijacked' },
        'PUT /v1/dashboards/{dashboardId}': { ...dashboardBody, name: 'hijacked' },
        'PUT /v1/report-schedules/{scheduleId}': { ...scheduleBody, name: 'hijacked' },
        'PUT /v1/device-credentials/{deviceCredentialId}': {
          name: 'h',
          type: 'snmp-v2c',
          secrets: { community: 'h' },
        },
        'POST /v1/alert-rules': ruleBody,
        'POST /v1/resources': { type: 'device', name: 'b', address: 'b', dependsOn: [resource.resourceId] },
        'PUT /admin/v1/tenants/{tenantId}/limits': {},
      };

      const b = await platform.createTenant('bravo');
      const bCollector = await platform.createCollector(b.adminToken, 'bravo-collector');
      const aSecrets = [a.adminToken, aCollector.ingestKey, token.token].map((t: string) =>
        t.split('_').slice(3).join('_'),
      );

      let probes = 0;
      for (const route of ROUTES) {
        const path = route.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
          const id = ids[name] ?? names[name];
          if (!id) throw new Error(`no id of tenant A for {${name}} in ${route.path}`);
          return id;
        });
        const body = bodies[`${route.method} ${route.path}`];
        const sent = `${path} ${JSON.stringify(body ?? '')}`;
        const forbidden = [
          MARK,
          'alpha-host',
          ...aSecrets,
          ...Object.values(ids).filter((id) => !id.endsWith('0000000000000') && !sent.includes(id)),
        ];
        for (const [who, credential] of [
          ['admin token of B', b.adminToken],
          ['ingest key of B', bCollector.ingestKey],
        ] as const) {
          const r = await call(
            route.method,
            path,
            credential,
            route.method === 'GET' || route.method === 'DELETE' ? undefined : (body ?? {}),
          );
          probes++;
          const what = `${route.method} ${route.path} with the ${who} → ${r.status}`;
          for (const marker of forbidden)
            expect(r.text.includes(marker), `${what} leaked ${marker}`).toBe(false);
          if (path !== route.path && !/\{name\}/.test(route.path))
            expect(r.status, `${what}: ${r.text}`).toBeGreaterThanOrEqual(400);
        }
      }
      expect(probes).toBe(ROUTES.length * 2);

      // Nothing of A's changed.
      expect((await ok('GET', `/v1/resources/${resource.resourceId}`, a.adminToken, undefined)).version).toBe(
        1,
      );
      expect((await ok('GET', `/v1/alert-rules/${rule.ruleId}`, a.adminToken, undefined)).name).toBe(
        `${MARK}-rule`,
      );
      expect(
        JSON.stringify(await ok('GET', `/v1/escalation-chains/${chain.chainId}`, a.adminToken, undefined)),
      ).toContain(`${MARK}-chain`);
      expect((await call('GET', `/v1/downtimes`, a.adminToken)).text).toContain(downtime.downtimeId);
      expect((await ok('GET', `/v1/alert-routes/${route.routeId}`, a.adminToken, undefined)).name).toBe(
        `${MARK}-route`,
      );
      expect((await ok('GET', `/v1/dashboards/${dashboard.dashboardId}`, a.adminToken, undefined)).name).toBe(
        `${MARK}-dashboard`,
      );
      expect(
        await ok('GET', `/v1/report-schedules/${schedule.scheduleId}`, a.adminToken, undefined),
      ).toMatchObject({ name: `${MARK}-schedule`, version: 1 });
      expect((await call('GET', '/v1/resources', token.token)).status).toBe(200);
      expect((await call('GET', '/v1/collector/config', aCollector.ingestKey)).status).toBe(200);
    } finally {
      await platform.destroy();
    }
  });
});
