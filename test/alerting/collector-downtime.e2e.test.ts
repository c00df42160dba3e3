/**
 * A downtime on a collector (LogicMonitor's collector SDT) suppresses the alerts of the resources it
 * polls, and of series naming it in a `collectorId` dimension; resources polled by another collector,
 * or by none, still notify. End to end on the local platform with a real webhook receiver.
 */
import { describe, expect, it } from 'vitest';
import { downtimeTargets } from '#domain/alerting/downtime';
import { callApi } from '../support/api-call';
import { useAlertingPlatform } from './support/alerting-platform';

const now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const e2e = useAlertingPlatform('collector-downtime', () => now);

const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method, body, status });

interface AlertView {
  resourceId?: string;
  suppressedBy?: string;
}

describe('downtime on a collector', () => {
  it('suppresses the alerts of the resources the collector polls, and only those', async () => {
    const polling = await e2e.platform.createCollector(e2e.adminToken, 'rack-7-collector');
    const other = await e2e.platform.createCollector(e2e.adminToken, 'rack-8-collector');
    const resource = async (name: string, collectorId?: string) =>
      (
        await api<{ resourceId: string }>(
          'POST',
          '/v1/resources',
          { type: 'device', name, address: `${name}.example.com`, ...(collectorId ? { collectorId } : {}) },
          201,
        )
      ).resourceId;
    const polled = await resource('polled-01', polling.collectorId);
    const elsewhere = await resource('elsewhere-01', other.collectorId);
    const unpolled = await resource('unpolled-01');
    const chain = await api<{ chainId: string }>(
      'POST',
      '/v1/escalation-chains',
      {
        name: 'pager',
        stages: [{ recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/pager` }] }],
      },
      201,
    );
    await api(
      'POST',
      '/v1/alert-rules',
      {
        name: 'CPU busy',
        metric: 'cpu_busy',
        filters: { datasource: 'CPU' },
        threshold: '> 90',
        windowSeconds: 60,
        escalationChainId: chain.chainId,
      },
      201,
    );
    const downtime = await api<{ downtimeId: string; collectors: string[] }>(
      'POST',
      '/v1/downtimes',
      {
        name: 'rack 7 collector upgrade',
        collectors: [polling.collectorId],
        startsAt: now - 1000,
        endsAt: now + 3_600_000,
      },
      201,
    );
    expect(downtime.collectors).toEqual([polling.collectorId]);

    for (const host of ['polled-01', 'elsewhere-01', 'unpolled-01'])
      await e2e.ingestCpuBusy(`${host}.example.com`, 99);
    await e2e.platform.alerting.tick();

    const { alerts } = await api<{ alerts: AlertView[] }>('GET', '/v1/alerts?status=open&limit=100');
    const byResource = new Map(alerts.map((a) => [a.resourceId, a]));
    expect(byResource.get(polled)?.suppressedBy).toBe(downtime.downtimeId);
    expect(byResource.get(elsewhere)).toBeDefined();
    expect(byResource.get(elsewhere)?.suppressedBy).toBeUndefined();
    expect(byResource.get(unpolled)?.suppressedBy).toBeUndefined();
    const paged = e2e.receiver.received.filter((r) => r.path === '/pager').map((r) => r.body['resource']);
    expect(paged.sort()).toEqual(['elsewhere-01.example.com', 'unpolled-01.example.com']);
  });

  it('accepts a downtime whose only target is a collector, and names collectors when none is given', async () => {
    const refused = await e2e.platform.request('/v1/downtimes', {
      method: 'POST',
      token: e2e.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'nothing', startsAt: now, endsAt: now + 60_000 }),
    });
    expect(refused.status).toBe(422);
    expect(await refused.text()).toContain('collectors');
  });

  it("covers a series naming the collector in its collectorId dimension (the collector's own health)", () => {
    const downtime = {
      tenantId: 't',
      downtimeId: 'd',
      name: 'n',
      startsAt: 0,
      endsAt: 1,
      collectors: ['c-1'],
      createdAt: '',
    };
    const target = (dimensions: Record<string, string>, collectorId?: string) => ({
      ruleId: 'r',
      resources: [],
      dimensions,
      ...(collectorId ? { collectorId } : {}),
    });
    expect(downtimeTargets(downtime, target({ collectorId: 'c-1' }))).toBe(true);
    expect(downtimeTargets(downtime, target({ collectorId: 'c-2' }))).toBe(false);
    expect(downtimeTargets(downtime, target({}, 'c-1'))).toBe(true);
    expect(downtimeTargets(downtime, target({}))).toBe(false);
  });
});
