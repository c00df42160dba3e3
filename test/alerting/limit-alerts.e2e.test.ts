/**
 * The built-in tenant-limit alert end to end on the local platform: a tenant at 90 % of its active
 * series limit gets one notification through its escalation chain (a real webhook receiver), none
 * more while it stays above 80 %, and one clear when usage falls below.
 */
import { describe, expect, it } from 'vitest';
import { TENANT_LIMITS_RULE_ID } from '#domain/alerting/limit-rule';
import { ACTIVE_SERIES_WINDOW_MS } from '#domain/guardrails/limits';
import { callApi } from '../support/api-call';
import { signedWith, useAlertingPlatform } from './support/alerting-platform';

const SECRET = 'limit-alert-webhook-secret-42';
let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const e2e = useAlertingPlatform('limit-alerts', () => now);

const call = (path: string, token: string, method = 'GET', body?: unknown, headers = {}) =>
  callApi(e2e.platform, path, { token, method, body, headers, status: '2xx' });

/** One native payload with `instances` series of cpu_busy on one host. */
const ingest = (instances: number) => e2e.ingestCpuBusy('web-1', 10, instances);

const limitHooks = () => e2e.receiver.received.filter((r) => r.body['ruleName'] === 'Tenant limit at 80 %');

describe('tenant limit warnings as alerts (local platform)', () => {
  it('notifies the tenant chain once at 80 % of a limit, and clears when usage falls', async () => {
    await call('/v1/escalation-chains', e2e.adminToken, 'POST', {
      name: 'limits',
      stages: [{ recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/limits`, secret: SECRET }] }],
    });
    await call(
      `/admin/v1/tenants/${e2e.tenantId}/limits`,
      e2e.platform.providerAdminToken,
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
    expect(signedWith(hook, SECRET, now)).toBe(true);

    // Still above 80 % in later checks: no second notification.
    for (let i = 0; i < 3; i++) {
      now += 61_000;
      await ingest(9);
    }
    expect(limitHooks()).toHaveLength(1);
    const open = await call('/v1/alerts?status=open', e2e.adminToken);
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
    const cleared = await call('/v1/alerts?status=cleared', e2e.adminToken);
    expect(
      (cleared['alerts'] as { ruleId: string }[]).filter((a) => a.ruleId === TENANT_LIMITS_RULE_ID),
    ).toHaveLength(1);
  });
});
