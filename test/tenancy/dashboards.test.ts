/**
 * /v1/dashboards on both backends (SQLite and DynamoDB Local): CRUD with If-Match, roles (read-only
 * views, operator and admin change), 422s naming the offending widget field, tenant isolation, audit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { type Harness, startHarness } from './support/harness';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const board = {
  name: 'Web tier',
  widgets: [
    { type: 'line', title: 'CPU', promql: 'avg by (host) (rate(cpu_seconds_total[5m]))', rangeSeconds: 3600 },
    { type: 'single-value', title: 'Busy now', promql: 'max(busy)', unit: '%' },
    { type: 'alert-list', title: 'Open alerts' },
  ],
};

async function tokenWithRole(h: Harness, adminToken: string, role: string): Promise<string> {
  const r = await h.call('POST', '/v1/tokens', { token: adminToken, body: { name: role, role } });
  expect(r.status).toBe(201);
  return r.body.token;
}

describe.each(['sqlite', 'dynamodb'] as const)('dashboards on %s', (backend) => {
  it('creates, lists, replaces with If-Match and deletes; every change audited', async () => {
    const h = await startHarness(backend, ddb);
    const { adminToken: token } = await h.onboard();
    const created = await h.call('POST', '/v1/dashboards', { token, body: board });
    expect(created.status).toBe(201);
    expect(created.headers.etag).toBe('"1"');
    const id = created.body.dashboardId as string;
    // Defaults filled: the line chart's width, the single value's, the alert list's status.
    expect(created.body.widgets).toEqual([
      { ...board.widgets[0], width: 1 },
      { ...board.widgets[1], width: 1 },
      { type: 'alert-list', title: 'Open alerts', status: 'open', width: 1 },
    ]);

    const list = await h.call('GET', '/v1/dashboards', { token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((d: { name: string }) => d.name)).toEqual(['Web tier']);

    const replaced = await h.call('PUT', `/v1/dashboards/${id}`, {
      token,
      headers: { 'if-match': '"1"' },
      body: { name: 'Web tier (new)', widgets: [board.widgets[2]] },
    });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ version: 2, name: 'Web tier (new)' });
    expect(replaced.body.widgets).toHaveLength(1);
    const stale = await h.call('PUT', `/v1/dashboards/${id}`, {
      token,
      headers: { 'if-match': '"1"' },
      body: board,
    });
    expect(stale.status).toBe(409);
    expect((await h.call('GET', `/v1/dashboards/${id}`, { token })).body.name).toBe('Web tier (new)');

    expect((await h.call('DELETE', `/v1/dashboards/${id}`, { token })).status).toBe(204);
    expect((await h.call('GET', `/v1/dashboards/${id}`, { token })).status).toBe(404);

    const events = await h.call('GET', '/v1/audit-events', { token, query: { action: 'dashboard.' } });
    expect(events.body.items.map((e: { action: string }) => e.action).sort()).toEqual([
      'dashboard.create',
      'dashboard.delete',
      'dashboard.update',
    ]);
  });

  it('lets read-only view but not change; operator changes', async () => {
    const h = await startHarness(backend, ddb);
    const { adminToken } = await h.onboard();
    const readOnly = await tokenWithRole(h, adminToken, 'read-only');
    const operator = await tokenWithRole(h, adminToken, 'operator');
    const created = await h.call('POST', '/v1/dashboards', { token: operator, body: board });
    expect(created.status).toBe(201);
    const path = `/v1/dashboards/${created.body.dashboardId}`;
    expect((await h.call('GET', '/v1/dashboards', { token: readOnly })).status).toBe(200);
    expect((await h.call('GET', path, { token: readOnly })).status).toBe(200);
    expect((await h.call('POST', '/v1/dashboards', { token: readOnly, body: board })).status).toBe(403);
    expect((await h.call('PUT', path, { token: readOnly, body: board })).status).toBe(403);
    expect((await h.call('DELETE', path, { token: readOnly })).status).toBe(403);
    expect((await h.call('PUT', path, { token: operator, body: board })).status).toBe(200);
  });

  it('refuses bad widgets with 422 naming the field, and keeps dashboards per tenant', async () => {
    const h = await startHarness(backend, ddb);
    const { adminToken: token } = await h.onboard('a');
    const bad = async (body: unknown) => {
      const r = await h.call('POST', '/v1/dashboards', { token, body });
      expect(r.status).toBe(422);
      return r.body.error.field as string;
    };
    expect(await bad({ ...board, name: ' ' })).toBe('name');
    expect(await bad({ name: 'x', widgets: [{ type: 'line', title: 'x', promql: '' }] })).toBe(
      'widgets[0].promql',
    );
    expect(await bad({ name: 'x', widgets: [board.widgets[0], { type: 'pie', title: 'x' }] })).toBe(
      'widgets[1].type',
    );
    expect(
      await bad({ name: 'x', widgets: [{ type: 'line', title: 'x', promql: 'up', rangeSeconds: 10 }] }),
    ).toBe('widgets[0].rangeSeconds');
    expect(await bad({ name: 'x', widgets: Array.from({ length: 25 }, () => board.widgets[2]) })).toBe(
      'widgets',
    );

    const created = await h.call('POST', '/v1/dashboards', { token, body: board });
    const { adminToken: other } = await h.onboard('b');
    const path = `/v1/dashboards/${created.body.dashboardId}`;
    expect((await h.call('GET', path, { token: other })).status).toBe(404);
    expect((await h.call('PUT', path, { token: other, body: board })).status).toBe(404);
    expect((await h.call('DELETE', path, { token: other })).status).toBe(404);
    expect((await h.call('GET', '/v1/dashboards', { token: other })).body.items).toEqual([]);
  });
});
