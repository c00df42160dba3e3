/**
 * /v1/report-schedules over HTTP on the local platform (report timer off): create, page, replace with
 * If-Match, delete; 422s naming the field (an unknown chain among them), the per-tenant cap, tenant
 * isolation, the read-only role, and audit records without the recipients' addresses.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
let adminToken: string;
let chainId: string;

const body = (overrides: Record<string, unknown> = {}) => ({
  name: 'Web monthly',
  report: { resources: ['web-1'], availability: { kind: 'alerts' } },
  cadence: 'monthly',
  timeZone: 'Europe/London',
  recipients: { emails: ['sla@example.com'], chainId },
  ...overrides,
});

interface ScheduleView {
  scheduleId: string;
  name: string;
  cadence: string;
  recipients: { emails?: string[]; chainId?: string };
  version: number;
  createdAt: string;
  updatedAt?: string;
  periodsSince?: string;
}
interface ErrorBody {
  error: { code: string; message: string; field?: string };
}

const call = <T = ScheduleView>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; status?: number; headers?: Record<string, string> } = {},
) =>
  callApi<T>(platform, path, {
    token: options.token ?? adminToken,
    method,
    ...(options.body === undefined ? {} : { body: options.body }),
    ...(options.headers ? { headers: options.headers } : {}),
    status: options.status ?? 200,
  });

/** A POST of a valid schedule as `contentType`, its response unread. */
const postRaw = (contentType: string) =>
  platform.request('/v1/report-schedules', {
    method: 'POST',
    token: adminToken,
    headers: { 'content-type': contentType },
    body: JSON.stringify(body()),
  });

beforeAll(async () => {
  platform = await startTestPlatform({ alerting: { tickIntervalMs: 0 } });
  ({ adminToken } = await platform.createTenant('acme'));
  ({ chainId } = await call<{ chainId: string }>('POST', '/v1/escalation-chains', {
    status: 201,
    body: {
      name: 'on call',
      stageIntervalSeconds: 300,
      stages: [{ recipients: [{ type: 'email', address: 'oncall@example.com' }] }],
    },
  }));
});
afterAll(async () => {
  await platform?.destroy();
});

describe('/v1/report-schedules', () => {
  it('creates, pages, replaces only the version read, and deletes', async () => {
    const response = await postRaw('application/json');
    expect(response.status).toBe(201);
    expect(response.headers.get('etag')).toBe('"1"');
    const created = (await response.json()) as ScheduleView;
    expect(created).toMatchObject({ ...body(), version: 1 });
    expect(created).not.toHaveProperty('tenantId');
    const id = created.scheduleId;
    expect(await call('GET', `/v1/report-schedules/${id}`)).toEqual(created);

    await call('POST', '/v1/report-schedules', { status: 201, body: body({ name: 'second' }) });
    await call('POST', '/v1/report-schedules', { status: 201, body: body({ name: 'third' }) });
    const first = await call<{ items: ScheduleView[]; nextCursor?: string }>(
      'GET',
      '/v1/report-schedules?limit=2',
    );
    expect(first.items).toHaveLength(2);
    const second = await call<{ items: ScheduleView[]; nextCursor?: string }>(
      'GET',
      `/v1/report-schedules?limit=2&cursor=${first.nextCursor}`,
    );
    expect([...first.items, ...second.items].map((s) => s.name).sort()).toEqual([
      'Web monthly',
      'second',
      'third',
    ]);
    expect(second.nextCursor).toBeUndefined();

    // The whole schedule is replaced: the e-mail list goes, the chain stays.
    const weekly = await call('PUT', `/v1/report-schedules/${id}`, {
      headers: { 'if-match': '"1"' },
      body: body({ cadence: 'weekly', recipients: { chainId } }),
    });
    expect(weekly).toMatchObject({ cadence: 'weekly', recipients: { chainId }, version: 2 });
    expect(weekly.recipients.emails).toBeUndefined();
    expect(weekly.createdAt).toBe(created.createdAt);
    // A new cadence owes no past period: the periods count from the change.
    expect(created.periodsSince).toBeUndefined();
    expect(weekly.periodsSince).toBe(weekly.updatedAt);
    const stale = await call<ErrorBody>('PUT', `/v1/report-schedules/${id}`, {
      headers: { 'if-match': '"1"' },
      body: body({ name: 'lost update' }),
      status: 409,
    });
    expect(stale.error.field).toBe('if-match');
    // Without If-Match the body replaces the version this request read.
    const monthly = await call('PUT', `/v1/report-schedules/${id}`, { body: body() });
    expect(monthly.version).toBe(3);
    // A change of anything else keeps when the periods count from.
    const renamed = await call('PUT', `/v1/report-schedules/${id}`, { body: body({ name: 'renamed' }) });
    expect(renamed.periodsSince).toBe(monthly.periodsSince);

    await call('DELETE', `/v1/report-schedules/${id}`, { headers: { 'if-match': '"3"' }, status: 409 });
    await call('DELETE', `/v1/report-schedules/${id}`, { headers: { 'if-match': '"4"' }, status: 204 });
    await call('GET', `/v1/report-schedules/${id}`, { status: 404 });
    await call('DELETE', `/v1/report-schedules/${id}`, { status: 404 });
  });

  it('refuses invalid schedules with a 422 naming the field', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ name: '' }, 'name'],
      [{ cadence: 'daily' }, 'cadence'],
      [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone'],
      [{ recipients: {} }, 'recipients'],
      [{ recipients: { emails: ['not an address'] } }, 'recipients.emails[0]'],
      [{ recipients: { chainId: 'no-such-chain' } }, 'recipients.chainId'],
      [{ report: { resources: ['web-1'], availability: { kind: 'alerts' }, from: 0 } }, 'report'],
      [{ report: { resources: [], availability: { kind: 'alerts' } } }, 'report'],
    ];
    for (const [overrides, field] of cases) {
      const refused = await call<ErrorBody>('POST', '/v1/report-schedules', {
        body: body(overrides),
        status: 422,
      });
      expect(refused.error.field, JSON.stringify(overrides)).toBe(field);
    }
    expect((await postRaw('text/plain')).status).toBe(415);
    const badPage = await call<ErrorBody>('GET', '/v1/report-schedules?limit=0', { status: 422 });
    expect(badPage.error.field).toBe('limit');
  });

  it('keeps at most 100 schedules a tenant, and says so', async () => {
    const { adminToken: token } = await platform.createTenant('busy');
    const ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      const created = await call('POST', '/v1/report-schedules', {
        token,
        status: 201,
        body: body({ name: `s${i}`, recipients: { emails: ['ops@example.com'] } }),
      });
      ids.push(created.scheduleId);
    }
    const refused = await call<ErrorBody>('POST', '/v1/report-schedules', {
      token,
      status: 422,
      body: body({ recipients: { emails: ['ops@example.com'] } }),
    });
    expect(refused.error.message).toContain('at most 100 report schedules');
    await call('DELETE', `/v1/report-schedules/${ids[0]}`, { token, status: 204 });
    await call('POST', '/v1/report-schedules', {
      token,
      status: 201,
      body: body({ recipients: { emails: ['ops@example.com'] } }),
    });
  });

  it('keeps each tenant’s schedules to itself', async () => {
    const mine = await call('POST', '/v1/report-schedules', { status: 201, body: body({ name: 'mine' }) });
    const { adminToken: other } = await platform.createTenant('other');
    const path = `/v1/report-schedules/${mine.scheduleId}`;
    await call('GET', path, { token: other, status: 404 });
    await call('PUT', path, {
      token: other,
      status: 404,
      body: body({ name: 'hijacked', recipients: { emails: ['thief@example.com'] } }),
    });
    await call('DELETE', path, { token: other, status: 404 });
    const theirs = await call<{ items: ScheduleView[] }>('GET', '/v1/report-schedules', { token: other });
    expect(theirs.items).toEqual([]);
    expect(await call('GET', path)).toMatchObject({ name: 'mine', version: 1 });
  });

  it('lets a read-only token read schedules but not change them', async () => {
    const { token } = await call<{ token: string }>('POST', '/v1/tokens', {
      status: 201,
      body: { name: 'viewer', role: 'read-only' },
    });
    const schedule = await call('POST', '/v1/report-schedules', { status: 201, body: body({ name: 'ro' }) });
    const path = `/v1/report-schedules/${schedule.scheduleId}`;
    expect((await call('GET', path, { token })).name).toBe('ro');
    await call('GET', '/v1/report-schedules', { token });
    await call('POST', '/v1/report-schedules', { token, status: 403, body: body() });
    await call('PUT', path, { token, status: 403, body: body({ name: 'changed' }) });
    await call('DELETE', path, { token, status: 403 });
    expect(await call('GET', path)).toMatchObject({ name: 'ro', version: 1 });
  });

  it('audits every change without the recipients’ addresses', async () => {
    const schedule = await call('POST', '/v1/report-schedules', {
      status: 201,
      body: body({ name: 'audited', recipients: { emails: ['secret-person@example.com'], chainId } }),
    });
    await call('PUT', `/v1/report-schedules/${schedule.scheduleId}`, {
      body: body({ name: 'audited 2', recipients: { emails: ['other-person@example.com'], chainId } }),
    });
    await call('DELETE', `/v1/report-schedules/${schedule.scheduleId}`, { status: 204 });
    const response = await platform.request('/v1/audit-events?limit=100', { token: adminToken });
    const text = await response.text();
    expect(text).not.toContain('secret-person@example.com');
    expect(text).not.toContain('other-person@example.com');
    const events = (
      JSON.parse(text) as {
        items: { action: string; target: string; before?: ScheduleView; after?: ScheduleView }[];
      }
    ).items.filter((e) => e.target === `report-schedule/${schedule.scheduleId}`);
    expect(events.map((e) => e.action).sort()).toEqual([
      'report-schedule.create',
      'report-schedule.delete',
      'report-schedule.update',
    ]);
    const update = events.find((e) => e.action === 'report-schedule.update');
    expect(update?.before).toMatchObject({ name: 'audited', recipients: { emails: '[redacted]', chainId } });
    expect(update?.after).toMatchObject({ name: 'audited 2', recipients: { emails: '[redacted]', chainId } });
  });
});
