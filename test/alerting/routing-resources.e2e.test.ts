/**
 * Alert routing rules and resources found the way collectors name them, end to end on the local
 * platform: resources, chains, routes, downtimes and a rule set up through the API, metrics pushed
 * with only `system.hostname` (LogicMonitor's push API), notifications at a real webhook receiver.
 */
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { useAlertingPlatform } from './support/alerting-platform';

let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
// A minute and a second: the rule's 60 s window then holds the latest push alone.
const advance = (seconds = 61) => {
  now += seconds * 1000;
};
const e2e = useAlertingPlatform('routing-e2e', () => now);

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method, body, status });
const push = (host: string, value: number) => e2e.ingestCpuBusy(host, value);
const hooks = (path: string) => e2e.receiver.received.filter((r) => r.path === path).map((r) => r.body);

interface AlertView {
  alertId: string;
  resource?: string;
  resourceId?: string;
  resourceName?: string;
  severity: string;
  status: string;
  routing?: Record<string, unknown>;
  suppressedBy?: string;
  dependentOn?: string;
}
const openAlertOn = async (resource: string) =>
  (await api<{ alerts: AlertView[] }>('GET', '/v1/alerts?status=open&limit=100')).alerts.find(
    (a) => a.resource === resource,
  );

/** A native push of cpu_busy with these resourceIds; returns the response. */
const pushIds = (resourceIds: Record<string, string>, value: number, query = '') =>
  e2e.platform.request(`/v1/ingest${query}`, {
    method: 'POST',
    token: e2e.ingestKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceName: 'pushed-host',
      resourceIds,
      dataSource: 'CPU',
      instances: [
        {
          instanceName: 'cpu0',
          dataPoints: [{ dataPointName: 'cpu_busy', values: { [Math.floor(now / 1000)]: value } }],
        },
      ],
    }),
  });

describe('alert routing and resource linking through the API (local platform)', () => {
  const ids: Record<string, string> = {};

  it('sets up resources, chains, priority-ordered routes and a rule without a chain of its own', async () => {
    const device = async (name: string, extra: Record<string, unknown> = {}) => {
      const r = await api<{ resourceId: string }>(
        'POST',
        '/v1/resources',
        { type: 'device', name, address: `${name}.example.com`, ...extra },
        201,
      );
      ids[name] = r.resourceId;
    };
    await device('web-01');
    await device('db-01', { groups: ['databases'] });
    await device('sw-01');
    await device('app-01', { dependsOn: [ids['sw-01']] });
    await device('twin-a', { properties: { rack: 'r7' } });
    await device('twin-b', { properties: { rack: 'r7' } });
    for (const name of ['pager', 'email', 'dba']) {
      const chain = await api<{ chainId: string }>(
        'POST',
        '/v1/escalation-chains',
        {
          name,
          stages: [{ recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/${name}` }] }],
        },
        201,
      );
      ids[name] = chain.chainId;
    }
    const created = [
      {
        name: 'warnings by mail',
        priority: 20,
        match: { severities: ['warning'] },
        escalationChainId: ids['email'],
      },
      {
        name: 'critical pages',
        priority: 10,
        match: { severities: ['critical'] },
        escalationChainId: ids['pager'],
      },
      {
        name: 'databases to the DBAs',
        priority: 5,
        match: { resource: { groups: ['data*'] }, datasource: 'CPU', metric: 'cpu_*' },
        escalationChainId: ids['dba'],
      },
    ];
    for (const route of created) await api('POST', '/v1/alert-routes', route, 201);
    const { routes } = await api<{ routes: { name: string; priority: number }[] }>('GET', '/v1/alert-routes');
    expect(routes.map((r) => r.priority)).toEqual([5, 10, 20]);
    const openapi = await api<{ paths: Record<string, Record<string, unknown>> }>('GET', '/openapi.json');
    expect(Object.keys(openapi.paths['/v1/alert-routes'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(openapi.paths['/v1/alert-routes/{routeId}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
      'put',
    ]);
    await api(
      'POST',
      '/v1/alert-rules',
      {
        name: 'CPU busy',
        metric: 'cpu_busy',
        filters: { datasource: 'CPU' },
        threshold: '> 60 80 90',
        windowSeconds: 60,
      },
      201,
    );
  });

  it('validates routes: 422 naming the field, a priority already taken, an unknown chain', async () => {
    const field = async (body: unknown) =>
      (await api<{ error: { field: string } }>('POST', '/v1/alert-routes', body, 422)).error.field;
    const valid = { name: 'x', priority: 30, escalationChainId: ids['email'] };
    expect(await field({ ...valid, match: { severities: ['fatal'] } })).toBe('match.severities[0]');
    expect(await field({ ...valid, priority: 10 })).toBe('priority');
    expect(await field({ ...valid, escalationChainId: 'nope' })).toBe('escalationChainId');
    expect(await field({ ...valid, priority: 1.5 })).toBe('priority');
    const readOnly = await e2e.platform.request('/v1/alert-routes', {
      method: 'POST',
      token: e2e.ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(valid),
    });
    expect(readOnly.status).toBe(403);
  });

  it('a warning that turns critical pages the critical route once, saying so', async () => {
    await push('web-01.example.com', 65);
    expect(hooks('/email')).toEqual([expect.objectContaining({ severity: 'warning', stage: 0 })]);
    const warning = await openAlertOn('web-01.example.com');
    expect(warning).toMatchObject({ resourceId: ids['web-01'], resourceName: 'web-01' });
    await api('POST', `/v1/alerts/${warning?.alertId}/ack`);

    advance();
    await push('web-01.example.com', 95);
    await e2e.platform.alerting.tick();
    advance();
    await push('web-01.example.com', 96);
    await e2e.platform.alerting.tick();
    expect(hooks('/pager')).toHaveLength(1);
    expect(hooks('/pager')[0]).toMatchObject({
      kind: 'alert',
      stage: 0,
      severity: 'critical',
      previousSeverity: 'warning',
      resourceName: 'web-01',
      message: '[CRITICAL] CPU busy: cpu_busy = 95 on web-01 (escalated from warning to critical: 65 → 95)',
    });
    expect(hooks('/email')).toHaveLength(1);
    expect(await openAlertOn('web-01.example.com')).toMatchObject({
      severity: 'critical',
      routing: { by: 'route', chainId: ids['pager'] },
    });
  });

  it('the first matching route by priority wins: a critical database alert goes to the DBAs', async () => {
    advance();
    await push('db-01.example.com', 97);
    expect(hooks('/dba')).toEqual([
      expect.objectContaining({ severity: 'critical', resourceId: ids['db-01'] }),
    ]);
    expect(hooks('/pager')).toHaveLength(1);
  });

  it('an alert no route matches is recorded and shown, and nobody is notified', async () => {
    const before = e2e.receiver.received.length;
    advance();
    await push('web-02.example.com', 85); // error: no route matches error on a host outside the databases
    expect(await openAlertOn('web-02.example.com')).toMatchObject({
      severity: 'error',
      status: 'open',
      routing: { by: 'unrouted' },
    });
    await e2e.platform.alerting.tick();
    expect(e2e.receiver.received.length).toBe(before);
  });

  it('a downtime on the resource suppresses a push that names it by hostname only', async () => {
    const downtime = await api<{ downtimeId: string }>(
      'POST',
      '/v1/downtimes',
      { name: 'patching web-01', resources: [ids['web-01']], startsAt: now - 1000, endsAt: now + 3_600_000 },
      201,
    );
    const before = e2e.receiver.received.length;
    advance();
    await push('web-01.example.com', 10); // clears the open alert (its clear goes to who heard of it)
    const afterClear = e2e.receiver.received.length;
    expect(afterClear - before).toBe(2);
    advance();
    await push('web-01.example.com', 99);
    await e2e.platform.alerting.tick();
    expect(await openAlertOn('web-01.example.com')).toMatchObject({
      resourceId: ids['web-01'],
      suppressedBy: downtime.downtimeId,
    });
    expect(e2e.receiver.received.length).toBe(afterClear);
  });

  it('a recurring downtime on a resource group cascades to its resources inside the window only', async () => {
    const member = await api<{ resourceId: string }>(
      'POST',
      '/v1/resources',
      { type: 'device', name: 'db-09', address: 'db-09.example.com', groups: ['databases'] },
      201,
    );
    const refused = await e2e.platform.request('/v1/downtimes', {
      method: 'POST',
      token: e2e.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'nightly',
        groups: ['databases'],
        startsAt: now,
        recurrence: { frequency: 'daily', timeZone: 'Europe/Lodnon', startTime: '02:00', endTime: '03:00' },
      }),
    });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as { error: { field: string } }).error.field).toBe('recurrence.timeZone');

    // A daily UTC window from two minutes ago to half an hour ahead (wall clock), open-ended.
    const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
    const downtime = await api<{ downtimeId: string; nextWindows: { startsAt: string; endsAt: string }[] }>(
      'POST',
      '/v1/downtimes',
      {
        name: 'database maintenance',
        groups: ['databases'],
        startsAt: now - 86_400_000,
        recurrence: {
          frequency: 'daily',
          timeZone: 'UTC',
          startTime: clock(now - 120_000),
          endTime: clock(now + 1_800_000),
        },
      },
      201,
    );
    const [open, next] = downtime.nextWindows.map((w) => [Date.parse(w.startsAt), Date.parse(w.endsAt)]);
    expect(open?.[0]).toBeLessThanOrEqual(now);
    expect(open?.[1]).toBeGreaterThan(now);
    expect(next?.[0]).toBe((open?.[0] ?? 0) + 86_400_000);

    const before = e2e.receiver.received.length;
    advance();
    await push('db-09.example.com', 97);
    await push('web-03.example.com', 97); // not in the group: notified as usual
    await e2e.platform.alerting.tick();
    expect(await openAlertOn('db-09.example.com')).toMatchObject({
      resourceId: member.resourceId,
      suppressedBy: downtime.downtimeId,
    });
    expect(await openAlertOn('web-03.example.com')).not.toHaveProperty('suppressedBy');
    const sent = e2e.receiver.received.slice(before).map((r) => r.body['resourceName'] ?? r.body['resource']);
    expect(sent).not.toContain('db-09');
    expect(sent.length).toBeGreaterThan(0);
    await api('DELETE', `/v1/downtimes/${downtime.downtimeId}`, undefined, 204);
  });

  it('a dependency declared between API resources holds for hostname-keyed pushes', async () => {
    advance();
    await push('sw-01.example.com', 99);
    expect(hooks('/pager').filter((h) => h['resourceName'] === 'sw-01')).toHaveLength(1);
    const parent = await openAlertOn('sw-01.example.com');
    advance(10);
    await push('app-01.example.com', 99);
    const child = await openAlertOn('app-01.example.com');
    expect(child).toMatchObject({ resourceId: ids['app-01'], dependentOn: parent?.alertId });
    // The resource's view of its open alerts follows the link too.
    const onSwitch = await api<{ alerts: AlertView[] }>('GET', `/v1/alerts?resourceId=${ids['sw-01']}`);
    expect(onSwitch.alerts.map((a) => a.alertId)).toEqual([parent?.alertId]);
    expect(hooks('/pager').filter((h) => h['resourceName'] === 'app-01')).toHaveLength(0);
  });

  it('?create=true creates the resource a push names, found again by any of its ids', async () => {
    advance();
    const ids0 = { 'system.hostname': 'new-01.example.com', 'auto.serial': 'SN-1001' };
    expect((await pushIds(ids0, 12, '?create=true')).status).toBe(202);
    const { items } = await api<{
      items: { resourceId: string; name: string; address: string; properties: Record<string, string> }[];
    }>('GET', '/v1/resources?limit=100');
    const created = items.filter((r) => r.name === 'pushed-host');
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ address: 'new-01.example.com', properties: ids0 });
    // Again with create: linked to the one it made, not a second one.
    advance();
    expect((await pushIds({ 'auto.serial': 'SN-1001' }, 97, '?create=true')).status).toBe(202);
    await e2e.platform.alerting.idle();
    const { items: after } = await api<{ items: { name: string }[] }>('GET', '/v1/resources?limit=100');
    expect(after.filter((r) => r.name === 'pushed-host')).toHaveLength(1);
    const alerts = (await api<{ alerts: AlertView[] }>('GET', '/v1/alerts?status=open&limit=100')).alerts;
    expect(alerts.find((a) => a.resourceId === created[0]?.resourceId)).toMatchObject({
      severity: 'critical',
    });
  });

  it('refuses a push whose ids match more than one resource, naming the key, and stores nothing', async () => {
    const response = await pushIds({ rack: 'r7' }, 50);
    expect(response.status).toBe(422);
    const body = (await response.json()) as { error: { field: string; message: string } };
    expect(body.error.field).toBe('resourceIds.rack');
    expect(body.error.message).toContain([ids['twin-a'], ids['twin-b']].sort().join(', '));
    // Two ids naming two different resources are as ambiguous.
    const split = await pushIds(
      { 'system.hostname': 'web-01.example.com', 'system.displayname': 'db-01' },
      50,
    );
    expect(split.status).toBe(422);
  });

  it('routes survive a PUT and a DELETE, audited', async () => {
    const { routes } = await api<{ routes: { routeId: string; name: string; priority: number }[] }>(
      'GET',
      '/v1/alert-routes',
    );
    const dba = routes.find((r) => r.priority === 5)!;
    const updated = await api('PUT', `/v1/alert-routes/${dba.routeId}`, {
      name: 'DBAs',
      priority: 6,
      match: { resource: { names: ['db-*'] } },
      escalationChainId: ids['dba'],
    });
    expect(updated).toMatchObject({ name: 'DBAs', priority: 6, match: { resource: { names: ['db-*'] } } });
    await api('DELETE', `/v1/alert-routes/${dba.routeId}`, undefined, 204);
    await api('GET', `/v1/alert-routes/${dba.routeId}`, undefined, 404);
    const audit = await api<{ items: { action: string; target: string }[] }>(
      'GET',
      '/v1/audit-events?limit=100',
    );
    const actions = audit.items.filter((e) => e.target === `alert-route/${dba.routeId}`).map((e) => e.action);
    expect(actions.sort()).toEqual(['alert-route.create', 'alert-route.delete', 'alert-route.update']);
  });
});
