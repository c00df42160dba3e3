/**
 * The built-in collector-down alert end to end on the local platform with a test clock: a collector
 * silent for its down-after time opens one alert on the evaluator's pass, routed by an alert route
 * to a real webhook receiver; further passes do not notify again; its next heartbeat clears the
 * alert at once; a downtime naming a collector holds its notification.
 */
import { describe, expect, it } from 'vitest';
import { COLLECTOR_DOWN_METRIC, COLLECTOR_DOWN_RULE_ID } from '#domain/collector-down';
import { signedWith, useAlertingPlatform } from '../alerting/support/alerting-platform';
import { callApi } from '../support/api-call';

const SECRET = 'collector-down-webhook-secret';
let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const e2e = useAlertingPlatform('collector-down', () => now);

const call = <T = Record<string, unknown>>(path: string, method = 'GET', body?: unknown, token?: string) =>
  callApi<T>(e2e.platform, path, { token: token ?? e2e.adminToken, method, body, status: '2xx' });
const beat = (key: string) =>
  call(
    '/v1/collector/heartbeat',
    'POST',
    { version: '0.1.0', queueDepth: 0, dropped: 0, state: 'connected' },
    key,
  );
const hooksFor = (collectorId: string) =>
  e2e.receiver.received.filter(
    (r) =>
      r.body['ruleId'] === COLLECTOR_DOWN_RULE_ID &&
      (r.body['dimensions'] as Record<string, string>)?.['collectorId'] === collectorId,
  );
const alertsOf = async (status: string, collectorId: string) =>
  (
    await call<{ alerts: { ruleId: string; dimensions: Record<string, string>; suppressedBy?: string }[] }>(
      `/v1/alerts?status=${status}`,
    )
  ).alerts.filter((a) => a.ruleId === COLLECTOR_DOWN_RULE_ID && a.dimensions['collectorId'] === collectorId);
/** The evaluator's scheduled pass, a minute later. */
const pass = async (ms = 60_000) => {
  now += ms;
  await e2e.platform.alerting.tick();
};

describe('collector down alert (local platform, test clock)', () => {
  it('opens after 3 minutes of silence, notifies once through the route, clears on the next heartbeat', async () => {
    const chain = await call<{ chainId: string }>('/v1/escalation-chains', 'POST', {
      name: 'collectors',
      stages: [
        { recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/collectors`, secret: SECRET }] },
      ],
    });
    await call('/v1/alert-routes', 'POST', {
      name: 'collectors to ops',
      priority: 10,
      match: { metric: COLLECTOR_DOWN_METRIC },
      escalationChainId: chain.chainId,
    });
    const { collectorId, ingestKey } = await e2e.platform.createCollector(e2e.adminToken, 'dc1');
    await pass(); // never seen: nothing to say
    await beat(ingestKey);
    await pass(); // 60 s
    await pass(); // 120 s
    await pass(); // 180 s: not yet (down is after more than 180 s)
    expect(hooksFor(collectorId)).toHaveLength(0);
    await pass(); // 240 s
    expect(hooksFor(collectorId)).toHaveLength(1);
    const hook = hooksFor(collectorId)[0]!;
    expect(hook.body).toMatchObject({
      kind: 'alert',
      severity: 'error',
      ruleName: 'Collector down',
      dimensions: { collectorId, collector: 'dc1', datasource: 'Collector' },
      value: 1,
    });
    expect(signedWith(hook, SECRET, now)).toBe(true);
    expect(await alertsOf('open', collectorId)).toHaveLength(1);

    await pass();
    await pass();
    expect(hooksFor(collectorId)).toHaveLength(1); // still down: no second notification

    now += 7_000;
    await beat(ingestKey); // back: cleared by the heartbeat itself, before any pass
    expect(hooksFor(collectorId)).toHaveLength(2);
    expect(hooksFor(collectorId)[1]?.body).toMatchObject({
      type: 'alert.cleared',
      ruleId: COLLECTOR_DOWN_RULE_ID,
    });
    expect(await alertsOf('open', collectorId)).toHaveLength(0);
    expect(await alertsOf('cleared', collectorId)).toHaveLength(1);
    await pass();
    expect(hooksFor(collectorId)).toHaveLength(2);
  });

  it('honours a downtime on the collector: the alert is recorded, nobody is paged', async () => {
    const { collectorId, ingestKey } = await e2e.platform.createCollector(e2e.adminToken, 'dc2');
    await beat(ingestKey);
    const downtime = await call<{ downtimeId: string }>('/v1/downtimes', 'POST', {
      name: 'dc2 moves racks',
      resources: [collectorId],
      startsAt: now,
      endsAt: now + 3_600_000,
    });
    for (let i = 0; i < 5; i++) await pass();
    const open = await alertsOf('open', collectorId);
    expect(open).toHaveLength(1);
    expect(open[0]?.suppressedBy).toBe(downtime.downtimeId);
    expect(hooksFor(collectorId)).toHaveLength(0);
  });
});
