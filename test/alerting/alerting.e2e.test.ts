/**
 * End to end on the local platform: a breaching series ingested through POST /v1/ingest, the
 * evaluator (on ingest and on its timer, ticked by hand on a fake clock), the in-process bus, the
 * notifier, and a real HTTP webhook receiver.
 */
import { describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { signedWith, useAlertingPlatform } from './support/alerting-platform';

const SECRET = 'a-webhook-secret-of-some-length';
let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const advance = (seconds: number) => {
  now += seconds * 1000;
};
const e2e = useAlertingPlatform('alerting-e2e', () => now);

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method, body, status });
const ingest = (host: string, value: number) => e2e.ingestCpuBusy(host, value);
const tick = () => e2e.platform.alerting.tick();
const hooks = (host: string) => e2e.receiver.received.filter((r) => (r.body['resource'] as string) === host);

describe('alerting end to end (local platform)', () => {
  let chainId: string;

  it('sets up an escalation chain and a LogicMonitor-style rule through the API', async () => {
    const chain = await api<{ chainId: string; stages: { recipients: { hasSecret: boolean }[] }[] }>(
      'POST',
      '/v1/escalation-chains',
      {
        name: 'on-call',
        stageIntervalSeconds: 300,
        stages: [
          { recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/hook`, secret: SECRET }] },
          { recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/hook`, secret: SECRET }] },
        ],
      },
      201,
    );
    expect(chain.stages[0]?.recipients[0]).toMatchObject({ hasSecret: true });
    expect(JSON.stringify(chain)).not.toContain(SECRET);
    chainId = chain.chainId;
    const rule = await api(
      'POST',
      '/v1/alert-rules',
      {
        name: 'CPU busy',
        metric: 'cpu_busy',
        filters: { datasource: 'CPU' },
        threshold: '> 60 80 90',
        windowSeconds: 60,
        aggregation: 'avg',
        triggerInterval: 2,
        clearInterval: 1,
        escalationChainId: chainId,
      },
      201,
    );
    expect(rule).toMatchObject({ threshold: '> 60 80 90', thresholdLevels: { operator: '>', warning: 60 } });
  });

  it('refuses a bad threshold with a 422 naming the field', async () => {
    const error = await api<{ error: { field: string } }>(
      'POST',
      '/v1/alert-rules',
      { name: 'x', metric: 'cpu_busy', threshold: 'over 9000' },
      422,
    );
    expect(error.error.field).toBe('threshold');
  });

  it('waits for the trigger interval, then notifies stage 1 once, stage 2 once, and the clear once', async () => {
    await ingest('web-1', 95);
    expect(hooks('web-1')).toHaveLength(0);

    advance(60);
    await ingest('web-1', 95);
    expect(hooks('web-1')).toHaveLength(1);
    const first = hooks('web-1')[0]!;
    expect(first.body).toMatchObject({
      type: 'alert.notification',
      kind: 'alert',
      stage: 0,
      severity: 'critical',
      ruleName: 'CPU busy',
      value: 95,
    });
    expect(signedWith(first, SECRET, now)).toBe(true);
    expect(first.headers['x-obs-event-id']).toMatch(/^[0-9a-f]{32}$/);

    // Still breaching, before the stage interval: nothing new, however often it is evaluated.
    advance(60);
    await ingest('web-1', 96);
    await tick();
    await tick();
    expect(hooks('web-1')).toHaveLength(1);

    advance(300);
    await ingest('web-1', 97);
    await tick();
    expect(hooks('web-1')).toHaveLength(2);
    expect(hooks('web-1')[1]?.body).toMatchObject({ kind: 'alert', stage: 1 });

    // The chain has two stages: no third notification however long it stays open.
    advance(600);
    await ingest('web-1', 97);
    await tick();
    expect(hooks('web-1')).toHaveLength(2);

    advance(60);
    await ingest('web-1', 12);
    expect(hooks('web-1')).toHaveLength(3);
    expect(hooks('web-1')[2]?.body).toMatchObject({
      type: 'alert.cleared',
      kind: 'clear',
      notifiedStages: [0, 1],
    });

    advance(60);
    await tick();
    expect(hooks('web-1')).toHaveLength(3);

    const { alerts } = await api<{ alerts: Record<string, unknown>[] }>('GET', '/v1/alerts?status=cleared');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ resource: 'web-1', severity: 'critical', status: 'cleared' });
    const history = (alerts[0]?.['history'] ?? []) as { type: string }[];
    expect(history.map((t) => t.type)).toEqual(['opened', 'cleared']);
  });

  it('sends nothing during downtime but keeps the history', async () => {
    const downtime = await api<{ downtimeId: string }>(
      'POST',
      '/v1/downtimes',
      { name: 'patching web-1', resources: ['web-1'], startsAt: now - 1000, endsAt: now + 3_600_000 },
      201,
    );
    const before = e2e.receiver.received.length;
    advance(60);
    await ingest('web-1', 99);
    advance(60);
    await ingest('web-1', 99);
    await tick();
    advance(600);
    await ingest('web-1', 99);
    await tick();
    const { alerts: open } = await api<{ alerts: Record<string, unknown>[] }>(
      'GET',
      '/v1/alerts?status=open',
    );
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ resource: 'web-1', suppressedBy: downtime.downtimeId });
    advance(60);
    await ingest('web-1', 5);
    await tick();
    expect(e2e.receiver.received.length).toBe(before);
    const { alerts: cleared } = await api<{ alerts: Record<string, unknown>[] }>(
      'GET',
      '/v1/alerts?status=cleared&limit=1',
    );
    expect(cleared[0]).toMatchObject({ suppressedBy: downtime.downtimeId, status: 'cleared' });
    await api('DELETE', `/v1/downtimes/${downtime.downtimeId}`, undefined, 204);
  });

  it('acknowledging stops the escalation chain', async () => {
    advance(60);
    await ingest('web-2', 85);
    advance(60);
    await ingest('web-2', 85);
    expect(hooks('web-2')).toHaveLength(1);
    expect(hooks('web-2')[0]?.body).toMatchObject({ severity: 'error', stage: 0 });
    const { alerts } = await api<{ alerts: { alertId: string; resource: string }[] }>(
      'GET',
      '/v1/alerts?status=open',
    );
    const alert = alerts.find((a) => a.resource === 'web-2')!;
    const acked = await api('POST', `/v1/alerts/${alert.alertId}/ack`, undefined);
    expect(acked['acknowledgedAt']).toBeDefined();
    advance(400);
    await ingest('web-2', 85);
    await tick();
    expect(hooks('web-2')).toHaveLength(1);
    advance(60);
    await ingest('web-2', 1);
    // The clear still goes to everyone who heard of it.
    expect(hooks('web-2')).toHaveLength(2);
    expect(hooks('web-2')[1]?.body).toMatchObject({ kind: 'clear', notifiedStages: [0] });
  });

  it('parks a webhook that keeps failing in the dead-letter file instead of dropping it', async () => {
    e2e.receiver.failNext(100, 503);
    advance(60);
    await ingest('web-3', 70);
    advance(60);
    await ingest('web-3', 70);
    e2e.receiver.failNext(0);
    expect(hooks('web-3')).toHaveLength(0);
    const { readFileSync } = await import('node:fs');
    const parked = readFileSync(`${e2e.platform.dataDir}/notifications-dead-letter.jsonl`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({
      reason: expect.stringContaining('HTTP 503'),
      detail: { resource: 'web-3', stage: 0 },
    });
    expect(JSON.stringify(parked)).not.toContain(SECRET);
  });

  it('keeps read-only tokens to reads', async () => {
    const response = await e2e.platform.request('/v1/alerts', { token: e2e.ingestKey });
    expect(response.status).toBe(403);
  });
});
