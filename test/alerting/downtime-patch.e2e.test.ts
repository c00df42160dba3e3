/**
 * PATCH /v1/downtimes/{id} on the local platform: a merge patch checked whole (the 422 names the field
 * the change breaks), conditional on the version (If-Match; a stale one is a 409 and changes nothing),
 * read-only tokens refused, and the change audited with the downtime before and after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
let adminToken: string;
const HOUR = 3_600_000;
const start = Date.parse('2030-01-02T22:00:00Z');

interface DowntimeBody {
  downtimeId: string;
  name: string;
  startsAt: string;
  endsAt?: string;
  resources?: string[];
  ruleIds?: string[];
  version: number;
  updatedAt?: string;
}

const api = <T = Record<string, unknown>>(
  method: string,
  path: string,
  options: { body?: unknown; status?: number; token?: string; headers?: Record<string, string> } = {},
) =>
  callApi<T>(platform, path, {
    token: options.token ?? adminToken,
    method,
    status: options.status ?? 200,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.headers ? { headers: options.headers } : {}),
  });

const patch = (id: string, body: unknown, status = 200, version?: number) =>
  api<DowntimeBody & { error: { field: string; message: string } }>('PATCH', `/v1/downtimes/${id}`, {
    body,
    status,
    ...(version === undefined ? {} : { headers: { 'if-match': `"${version}"` } }),
  });

beforeAll(async () => {
  platform = await startTestPlatform();
  ({ adminToken } = await platform.createTenant('acme'));
});

afterAll(async () => {
  await platform?.destroy();
});

describe('PATCH /v1/downtimes/{downtimeId}', () => {
  let downtime: DowntimeBody;

  it('changes only the fields sent, bumps the version and answers its ETag', async () => {
    const response = await platform.request('/v1/downtimes', {
      method: 'POST',
      token: adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Patch night',
        startsAt: start,
        endsAt: start + 2 * HOUR,
        resources: ['web-01'],
      }),
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"1"');
    downtime = (await response.json()) as DowntimeBody;
    expect(downtime.version).toBe(1);

    const changed = await platform.request(`/v1/downtimes/${downtime.downtimeId}`, {
      method: 'PATCH',
      token: adminToken,
      headers: { 'content-type': 'application/json', 'if-match': '"1"' },
      body: JSON.stringify({ name: 'Longer patch night', endsAt: '2030-01-03T02:00:00Z' }),
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe('"2"');
    expect(await changed.json()).toMatchObject({
      downtimeId: downtime.downtimeId,
      name: 'Longer patch night',
      startsAt: '2030-01-02T22:00:00.000Z',
      endsAt: '2030-01-03T02:00:00.000Z',
      resources: ['web-01'],
      version: 2,
      nextWindows: [{ startsAt: '2030-01-02T22:00:00.000Z', endsAt: '2030-01-03T02:00:00.000Z' }],
    });
    const { downtimes } = await api<{ downtimes: DowntimeBody[] }>('GET', '/v1/downtimes');
    expect(downtimes).toMatchObject([{ name: 'Longer patch night', version: 2 }]);
    expect(downtimes[0]?.updatedAt).toBeDefined();
  });

  it('refuses a stale If-Match with a 409 and keeps the newer change', async () => {
    const refused = await patch(downtime.downtimeId, { name: 'Lost update' }, 409, 1);
    expect(refused.error.field).toBe('if-match');
    const { downtimes } = await api<{ downtimes: DowntimeBody[] }>('GET', '/v1/downtimes');
    expect(downtimes).toMatchObject([{ name: 'Longer patch night', version: 2 }]);
  });

  it('checks the result whole: the 422 names the field the change breaks', async () => {
    const before = await patch(downtime.downtimeId, { endsAt: start - HOUR }, 422, 2);
    expect(before.error).toMatchObject({ field: 'endsAt', message: 'endsAt: endsAt must be after startsAt' });
    // null removes a field: without resources the downtime covers nothing.
    const empty = await patch(downtime.downtimeId, { resources: null }, 422);
    expect(empty.error.field).toBe('resources');
    const unknown = await patch(downtime.downtimeId, { colour: 'red' }, 422);
    expect(unknown.error.message).toContain('colour');
    const notInstant = await patch(downtime.downtimeId, { startsAt: 'tomorrow' }, 422);
    expect(notInstant.error.field).toBe('startsAt');
    const badVersion = await api<{ error: { field: string } }>(
      'PATCH',
      `/v1/downtimes/${downtime.downtimeId}`,
      { body: { name: 'x' }, status: 422, headers: { 'if-match': 'yesterday' } },
    );
    expect(badVersion.error.field).toBe('if-match');
    const { downtimes } = await api<{ downtimes: DowntimeBody[] }>('GET', '/v1/downtimes');
    expect(downtimes).toMatchObject([{ name: 'Longer patch night', version: 2 }]);
  });

  it('swaps what it covers with null and a new list; unknown ids are a 404', async () => {
    const swapped = await patch(downtime.downtimeId, { resources: null, filters: { group: 'db' } }, 200);
    expect(swapped.resources).toBeUndefined();
    expect(swapped).toMatchObject({ filters: { group: 'db' }, version: 3 });
    await patch('no-such-downtime', { name: 'x' }, 404);
  });

  it('keeps read-only tokens out and audits the change with before and after', async () => {
    const created = await api<{ token: string }>('POST', '/v1/tokens', {
      body: { name: 'viewer', role: 'read-only' },
      status: 201,
    });
    await api('PATCH', `/v1/downtimes/${downtime.downtimeId}`, {
      token: created.token,
      body: { name: 'nope' },
      status: 403,
    });
    const { items } = await api<{
      items: { action: string; target: string; before?: { name: string }; after?: { name: string } }[];
    }>('GET', '/v1/audit-events?limit=100');
    const updates = items.filter((e) => e.action === 'downtime.update');
    expect(updates).toHaveLength(2);
    expect(updates.map((u) => [u.before?.name, u.after?.name])).toContainEqual([
      'Patch night',
      'Longer patch night',
    ]);
    expect(updates[0]?.target).toBe(`downtime/${downtime.downtimeId}`);
  });
});
