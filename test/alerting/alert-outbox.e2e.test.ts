/**
 * End to end on the local platform: the bus fails while an alert opens during ingest (the ingest still
 * succeeds), and the webhook still arrives, once, after the evaluator's next pass drains the outbox.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const clock = { now: () => new Date(now) };

let platform: TestPlatform;
let receiver: WebhookReceiver;
let adminToken: string;
let ingestKey: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  platform = await startTestPlatform({
    clock,
    alerting: { tickIntervalMs: 0, webhook: { retryDelayMs: () => 5 } },
  });
  ({ adminToken } = await platform.createTenant('alert-outbox-e2e'));
  ({ ingestKey } = await platform.createCollector(adminToken));
});
afterAll(async () => {
  await platform?.destroy();
  await receiver?.close();
});

async function post(path: string, token: string, body: unknown): Promise<Response> {
  return platform.request(path, {
    method: 'POST',
    token,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const ingest = (host: string, value: number) =>
  post('/v1/ingest', ingestKey, {
    resourceName: host,
    resourceIds: { 'system.hostname': host },
    dataSource: 'CPU',
    instances: [
      {
        instanceName: 'cpu0',
        dataPoints: [{ dataPointName: 'cpu_busy', values: { [Math.floor(now / 1000)]: value } }],
      },
    ],
  });

describe('alert outbox end to end (local platform)', () => {
  it('delivers the webhook after the next tick when the bus failed as the alert opened', async () => {
    const chain = await post('/v1/escalation-chains', adminToken, {
      name: 'on-call',
      stageIntervalSeconds: 300,
      stages: [{ recipients: [{ type: 'webhook', address: `${receiver.url}/hook` }] }],
    });
    expect(chain.status).toBe(201);
    const { chainId } = (await chain.json()) as { chainId: string };
    const rule = await post('/v1/alert-rules', adminToken, {
      name: 'CPU busy',
      metric: 'cpu_busy',
      filters: { datasource: 'CPU' },
      threshold: '> 60 80 90',
      windowSeconds: 60,
      triggerInterval: 1,
      clearInterval: 1,
      escalationChainId: chainId,
    });
    expect(rule.status, await rule.text()).toBe(201);

    // EventBridge down while the alert opens: the state-change and the notification request both fail.
    const outage = vi
      .spyOn(platform.alerting.bus, 'publish')
      .mockRejectedValue(new Error('EventBridge unavailable'));
    const accepted = await ingest('db-1', 97);
    expect(accepted.status, await accepted.text()).toBe(202);
    await platform.alerting.idle();
    expect(outage).toHaveBeenCalledTimes(2);
    outage.mockRestore();
    expect(receiver.received).toHaveLength(0);
    const pending = await platform.alerting.store.pendingEvents(10);
    expect(pending.map((p) => p.event.detailType)).toEqual([
      'Alert State Changed',
      'Alert Notification Requested',
    ]);

    now += 60_000;
    await platform.alerting.tick();
    expect(receiver.received).toHaveLength(1);
    expect(receiver.received[0]?.body).toMatchObject({ kind: 'alert', stage: 0, resource: 'db-1' });
    expect(await platform.alerting.store.pendingEvents(10)).toEqual([]);

    // Nothing is sent twice on later passes.
    now += 60_000;
    await platform.alerting.tick();
    expect(receiver.received).toHaveLength(1);
  });
});
