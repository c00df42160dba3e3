/**
 * Security-incident notices on the local platform: the provider posts an incident and updates; an
 * affected tenant's admins get it through their webhook (a real receiver, signed) and e-mail (the
 * local notifier's outbox file), and in GET /v1/notices; deliveries are recorded per channel, a
 * repeated delivery sends nothing twice, a failed one is sent by the next run, and every step is in
 * the provider's and the tenant's audit logs.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { signedWith, useAlertingPlatform } from '../alerting/support/alerting-platform';
import { callApi } from '../support/api-call';

const SECRET = 'notice-webhook-secret-0123456789';
const NOW = Date.UTC(2026, 11, 6, 12);
const e2e = useAlertingPlatform('notice-tenant', () => NOW);

const provider = (method: string, path: string, body?: unknown, status: number | '2xx' = '2xx') =>
  callApi(e2e.platform, path, { token: e2e.platform.providerAdminToken, method, body, status });
const tenant = (method: string, path: string, body?: unknown, status: number | '2xx' = '2xx') =>
  callApi(e2e.platform, path, { token: e2e.adminToken, method, body, status });

interface Notice {
  incidentId: string;
  status: string;
  acknowledged: boolean;
  updates: { seq: number; text: string }[];
  deliveries: { seq: number; channel: string; status: string; reason?: string }[];
}

const outboxNotices = () =>
  readFileSync(join(e2e.platform.dataDir, 'notifications-outbox.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as { kind?: string; tenantId: string; to: { address: string }; subject: string },
    )
    .filter((line) => line.kind === 'notice');

const auditActions = async (path: string, token: string) =>
  (
    await callApi<{ items: { action: string; target?: string }[] }>(e2e.platform, `${path}?limit=100`, {
      token,
    })
  ).items;

describe('security-incident notices (local platform)', () => {
  let incidentId: string;
  let bystander: { tenantId: string; adminToken: string };

  it('lets only tenant admins configure notice channels; the secret is write-only', async () => {
    const channels = await tenant('PUT', '/v1/notice-channels', {
      recipients: [
        { type: 'webhook', address: `${e2e.receiver.url}/security`, secret: SECRET },
        { type: 'email', address: 'security@tenant.example' },
      ],
    });
    expect(JSON.stringify(channels)).not.toContain(SECRET);
    expect(channels).toEqual({
      recipients: [
        { type: 'webhook', address: `${e2e.receiver.url}/security`, hasSecret: true },
        { type: 'email', address: 'security@tenant.example', hasSecret: false },
      ],
    });
    const bad = await tenant(
      'PUT',
      '/v1/notice-channels',
      { recipients: [{ type: 'sms', address: '+15555550100' }] },
      422,
    );
    expect(JSON.stringify(bad)).toContain('recipients');
    const { token: operator } = await tenant('POST', '/v1/tokens', { name: 'ops', role: 'operator' });
    for (const [method, path] of [
      ['GET', '/v1/notices'],
      ['GET', '/v1/notice-channels'],
    ] as const) {
      const r = await e2e.platform.request(path, { method, token: operator as string });
      expect(r.status, `${method} ${path}`).toBe(403);
    }
  });

  it('delivers a posted incident to the affected tenant only: console, signed webhook, e-mail', async () => {
    bystander = await e2e.platform.createTenant('bystander');
    const incident = await provider('POST', '/admin/v1/incidents', {
      title: 'Credential exposure in a support tool',
      text: 'A support tool logged request headers. Rotate API tokens created before 1 December.',
      severity: 'high',
      tenants: [e2e.tenantId],
    });
    incidentId = incident['incidentId'] as string;
    expect(incident).toMatchObject({
      status: 'investigating',
      fanout: { seq: 0, done: true, tenants: 1, sent: 2, failed: 0 },
    });
    expect(e2e.receiver.received).toHaveLength(1);
    const hook = e2e.receiver.received[0]!;
    expect(hook.path).toBe('/security');
    expect(signedWith(hook, SECRET, NOW)).toBe(true);
    expect(hook.body).toMatchObject({
      type: 'security-notice',
      tenantId: e2e.tenantId,
      incidentId,
      seq: 0,
      severity: 'high',
      status: 'investigating',
      title: 'Credential exposure in a support tool',
    });
    const mails = outboxNotices();
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatchObject({ tenantId: e2e.tenantId, to: { address: 'security@tenant.example' } });
    expect(mails[0]!.subject).toBe(
      '[Security notice, high] Credential exposure in a support tool (investigating)',
    );

    const { items } = await tenant('GET', '/v1/notices?unacknowledged=true');
    expect(items).toHaveLength(1);
    const notice = (items as Notice[])[0]!;
    expect(notice).toMatchObject({ incidentId, status: 'investigating', acknowledged: false });
    expect(notice.deliveries.map((d) => [d.channel.split(':')[0], d.status]).sort()).toEqual([
      ['email', 'sent'],
      ['webhook', 'sent'],
    ]);
    // Not affected: nothing in its console, and the provider sees the incident never reached it.
    const other = await callApi<{ items: unknown[] }>(e2e.platform, '/v1/notices', {
      token: bystander.adminToken,
    });
    expect(other.items).toEqual([]);
    await provider('GET', `/admin/v1/incidents/${incidentId}/tenants/${bystander.tenantId}`, undefined, 404);
    const reached = await provider('GET', `/admin/v1/incidents/${incidentId}/tenants/${e2e.tenantId}`);
    expect(reached['deliveries']).toEqual(
      expect.arrayContaining([expect.objectContaining({ channel: 'email', status: 'sent', seq: 0 })]),
    );
    expect(JSON.stringify(reached)).not.toContain('security@tenant.example');
  });

  it('delivering again sends nothing twice', async () => {
    const again = await provider('POST', `/admin/v1/incidents/${incidentId}/deliver`);
    expect(again['fanout']).toMatchObject({ done: true, tenants: 1, failed: 0 });
    expect(e2e.receiver.received).toHaveLength(1);
    expect(outboxNotices()).toHaveLength(1);
  });

  it('records a failed delivery, and the next run sends exactly that one', async () => {
    e2e.receiver.failNext(4);
    const updated = await provider('POST', `/admin/v1/incidents/${incidentId}/updates`, {
      status: 'identified',
      text: 'The tool is patched; the logs are deleted.',
    });
    expect(updated['fanout']).toMatchObject({ seq: 1, done: true, sent: 1, failed: 1 });
    const failed = ((await tenant('GET', '/v1/notices')).items as Notice[])[0]!;
    expect(failed.deliveries.find((d) => d.seq === 1 && d.channel.startsWith('webhook'))).toMatchObject({
      status: 'failed',
      reason: expect.stringContaining('HTTP 500'),
    });
    expect(outboxNotices()).toHaveLength(2);

    const retried = await provider('POST', `/admin/v1/incidents/${incidentId}/deliver`);
    expect(retried['fanout']).toMatchObject({ seq: 1, done: true, sent: 2, failed: 0 });
    expect(e2e.receiver.received.map((h) => h.body['seq'])).toEqual([0, 1]);
    expect(outboxNotices()).toHaveLength(2);
    const notice = ((await tenant('GET', '/v1/notices')).items as Notice[])[0]!;
    expect(notice.status).toBe('identified');
    expect(notice.updates.map((u) => u.seq)).toEqual([0, 1]);
    expect(notice.deliveries.filter((d) => d.seq === 1).map((d) => d.status)).toEqual(['sent', 'sent']);
  });

  it('tenant admins acknowledge; a later update makes it unacknowledged again', async () => {
    const acked = (await tenant('POST', `/v1/notices/${incidentId}/ack`)) as unknown as Notice;
    expect(acked.acknowledged).toBe(true);
    expect((await tenant('GET', '/v1/notices?unacknowledged=true')).items).toEqual([]);
    await callApi(e2e.platform, `/v1/notices/${incidentId}/ack`, {
      token: bystander.adminToken,
      method: 'POST',
      status: 404,
    });
    await provider('POST', `/admin/v1/incidents/${incidentId}/updates`, {
      status: 'resolved',
      text: 'Closed.',
    });
    const open = (await tenant('GET', '/v1/notices?unacknowledged=true')).items as Notice[];
    expect(open.map((n) => [n.incidentId, n.status])).toEqual([[incidentId, 'resolved']]);
  });

  it('writes every step to the provider audit trail and the tenant audit log', async () => {
    const providerTrail = await auditActions('/admin/v1/audit-events', e2e.platform.providerAdminToken);
    const incidentSteps = providerTrail
      .filter((e) => e.target === `incident/${incidentId}`)
      .map((e) => e.action);
    expect(incidentSteps.filter((a) => a === 'incident.create')).toHaveLength(1);
    expect(incidentSteps.filter((a) => a === 'incident.update')).toHaveLength(2);
    expect(incidentSteps.filter((a) => a === 'incident.deliver')).toHaveLength(5);
    expect(providerTrail).toContainEqual(
      expect.objectContaining({ action: 'notice.ack', target: `tenant/${e2e.tenantId}` }),
    );
    const tenantLog = (await auditActions('/v1/audit-events', e2e.adminToken))
      .filter((e) => e.target === `notice/${incidentId}` || e.target === 'notice-channels')
      .map((e) => e.action);
    expect(tenantLog.filter((a) => a === 'notice.received')).toHaveLength(3);
    expect(tenantLog.filter((a) => a === 'notice.delivered')).toHaveLength(5);
    expect(tenantLog).toContain('notice.ack');
    expect(tenantLog).toContain('notice-channels.update');
  });

  it('validates the incident and is for the provider only', async () => {
    const bad = await provider(
      'POST',
      '/admin/v1/incidents',
      { title: 'x', text: 'y', severity: 'huge', tenants: 'all' },
      422,
    );
    expect(JSON.stringify(bad)).toContain('severity');
    const r = await e2e.platform.request('/admin/v1/incidents', { token: e2e.adminToken });
    expect(r.status).toBe(401);
    const list = await provider('GET', '/admin/v1/incidents');
    expect((list['items'] as { incidentId: string }[]).map((i) => i.incidentId)).toContain(incidentId);
  });
});
