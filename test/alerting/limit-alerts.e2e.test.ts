/**
 * The built-in tenant-limit alert end to end on the local platform: a tenant at 90 % of its active
 * series limit gets one notification through its escalation chain (a real webhook receiver), none
 * more while it stays above 80 %, and one clear when usage falls below.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TENANT_LIMITS_RULE_ID } from '../../shared/domain/alerting/limit-rule';
import { verifyWebhook } from '../../shared/domain/alerting/webhook';
import { ACTIVE_SERIES_WINDOW_MS } from '../../shared/domain/guardrails/limits';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const SECRET = 'limit-alert-webhook-secret-42';
let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
let platform: TestPlatform;
let receiver: WebhookReceiver;
let tenantId: string;
let adminToken: string;
let ingestKey: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  platform = await startTestPlatform({
    clock: { now: () => new Date(now) },
    alerting: {
      tickIntervalMs: 0,
      webhook: { retryDelayMs: () => 5, nowSeconds: () => Math.floor(now / 1000) },
    },
  });
  ({ tenantId, adminToken } = await platform.createTenant('limit-alerts'));
  ({ ingestKey } = await platform.createCollector(adminToken));
});
afterAll(async () => {
  await platform?.destroy();
  await receiver?.close();
});

async function call(path: string, token: string, method = 'GET', body?: unknown, headers = {}) {
  const response = await platform.request(path, {
    method,
    token,
    headers: { 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  expect(response.status, text).toBeLessThan(300);
  return JSON.parse(text) as Record<string, unknown>;
}

/** One native payload with `instances` series of cpu_busy on one host. */
async function ingest(instances: number) {
  const response = await platform.request('/v1/ingest', {
    method: 'POST',
    token: ingestKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceName: 'web-1',
      resourceIds: { 'system.hostname': 'web-1' },
      dataSource: 'CPU',
      instances: Array.from({ length: instances }, (_, i) => ({
        instanceName: `cpu${i}`,
        dataPoints: [{ dataPointName: 'cpu_busy', values: { [Math.floor(now / 1000)]: 10 } }],
      })),
    }),
  });
  expect(response.status, await response.text()).toBe(202);
  await platform.alerting.idle();
}

const limitHooks = () => receiver.received.filter((r) => r.body['ruleName'] === 'Tenant limit at 80 %');

describe('tenant limit warnings as alerts (local platform)', () => {
  it('notifies the tenant chain once at 80 % of a limit, and clears when usage falls', async () => {
    await call('/v1/escalation-chains', adminToken, 'POST', {
      name: 'limits',
      stages: [{ recipients: [{ type: 'webhook', address: `${receiver.url}/limits`, secret: SECRET }] }],
    });
    await call(
      `/admin/v1/tenants/${tenantId}/limits`,
      platform.providerAdminToken,
      'PUT',
      { maxActiveSeries: 10 },
      { 'if-match': '"0"' },
    );

    await ingest(9); // 9 of 10 active series: 90 %
    expect(limitHooks()).toHaveLength(1);
    const hook = limitHooks()[0]!;
    expect(hook.body).toMatchObject({
      kind: 'alert',
      severity: 'warning',
      ruleId: TENANT_LIMITS_RULE_ID,
      dimensions: { limit: 'maxActiveSeries' },
      value: 0.9,
    });
    expect(
      verifyWebhook(SECRET, hook.raw, hook.headers['x-obs-signature'] as string, Math.floor(now / 1000)),
    ).toBe(true);

    // Still above 80 % in later checks: no second notification.
    for (let i = 0; i < 3; i++) {
      now += 61_000;
      await ingest(9);
    }
    expect(limitHooks()).toHaveLength(1);
    const open = await call('/v1/alerts?status=open', adminToken);
    expect(
      (open['alerts'] as { ruleId: string }[]).filter((a) => a.ruleId === TENANT_LIMITS_RULE_ID),
    ).toHaveLength(1);

    // The series go inactive; one series left is 10 %: one clear.
    now += 2 * ACTIVE_SERIES_WINDOW_MS + 61_000;
    await ingest(1);
    expect(limitHooks()).toHaveLength(2);
    expect(limitHooks()[1]?.body).toMatchObject({ type: 'alert.cleared', ruleId: TENANT_LIMITS_RULE_ID });
    now += 61_000;
    await ingest(1);
    expect(limitHooks()).toHaveLength(2);
    const cleared = await call('/v1/alerts?status=cleared', adminToken);
    expect(
      (cleared['alerts'] as { ruleId: string }[]).filter((a) => a.ruleId === TENANT_LIMITS_RULE_ID),
    ).toHaveLength(1);
  });
});
