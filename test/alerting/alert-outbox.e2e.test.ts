/**
 * End to end on the local platform: the bus fails while an alert opens during ingest (the ingest still
 * succeeds), and the webhook still arrives, once, after the evaluator's next pass drains the outbox.
 */
import { describe, expect, it, vi } from 'vitest';
import { callApi } from '../support/api-call';
import { useAlertingPlatform } from './support/alerting-platform';

let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const e2e = useAlertingPlatform('alert-outbox-e2e', () => now);
const post = <T>(path: string, body: unknown) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method: 'POST', body, status: 201 });

describe('alert outbox end to end (local platform)', () => {
  it('delivers the webhook after the next tick when the bus failed as the alert opened', async () => {
    const { chainId } = await post<{ chainId: string }>('/v1/escalation-chains', {
      name: 'on-call',
      stageIntervalSeconds: 300,
      stages: [{ recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/hook` }] }],
    });
    await post('/v1/alert-rules', {
      name: 'CPU busy',
      metric: 'cpu_busy',
      filters: { datasource: 'CPU' },
      threshold: '> 60 80 90',
      windowSeconds: 60,
      triggerInterval: 1,
      clearInterval: 1,
      escalationChainId: chainId,
    });

    // EventBridge down while the alert opens: the state-change and the notification request both fail.
    const outage = vi
      .spyOn(e2e.platform.alerting.bus, 'publish')
      .mockRejectedValue(new Error('EventBridge unavailable'));
    await e2e.ingestCpuBusy('db-1', 97);
    expect(outage).toHaveBeenCalledTimes(2);
    outage.mockRestore();
    expect(e2e.receiver.received).toHaveLength(0);
    const pending = await e2e.platform.alerting.store.pendingEvents(10);
    expect(pending.map((p) => p.event.detailType)).toEqual([
      'Alert State Changed',
      'Alert Notification Requested',
    ]);

    now += 60_000;
    await e2e.platform.alerting.tick();
    expect(e2e.receiver.received).toHaveLength(1);
    expect(e2e.receiver.received[0]?.body).toMatchObject({ kind: 'alert', stage: 0, resource: 'db-1' });
    expect(await e2e.platform.alerting.store.pendingEvents(10)).toEqual([]);

    // Nothing is sent twice on later passes.
    now += 60_000;
    await e2e.platform.alerting.tick();
    expect(e2e.receiver.received).toHaveLength(1);
  });
});
