/**
 * Auto-balanced collector groups on the local platform with a test clock: resources assigned to a
 * group are spread over its up members when they read their configuration; a member's silence moves
 * its share to the rest within 3 minutes + one interval; its return takes a share back. The group
 * view shows each member's load; every move is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const CONFIG_INTERVAL_MS = 60_000;

describe('auto-balanced collector group', () => {
  let platform: TestPlatform;
  let nowMs = Date.now();
  let admin: string;
  beforeAll(async () => {
    platform = await startTestPlatform({ clock: { now: () => new Date(nowMs) } });
    admin = (await platform.createTenant('balance')).adminToken;
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  const call = <T = Record<string, unknown>>(path: string, token: string, method = 'GET', body?: unknown) =>
    callApi<T>(platform, path, { token, method, body, status: '2xx' });
  /** What a collector does every interval: heartbeat, then read its configuration. */
  const tick = async (key: string) => {
    await call('/v1/collector/heartbeat', key, 'POST', {
      version: '0.1.0',
      queueDepth: 0,
      dropped: 0,
      state: 'connected',
    });
    const config = await call<{ resources: { name: string }[] }>('/v1/collector/config', key);
    return config.resources.map((r) => r.name).sort();
  };

  it('spreads the group’s resources, moves a silent member’s share, and gives it back on return', async () => {
    const members: Record<string, { collectorId: string; ingestKey: string }> = {};
    for (const name of ['a', 'b', 'c'])
      members[name] = await call('/v1/collectors', admin, 'POST', { name, collectorGroup: 'dc' });
    const key = (name: string) => members[name]?.ingestKey as string;
    const group = () =>
      call<{ collectors: { collectorId: string; status: string; resources: number }[]; unassigned: number }>(
        '/v1/collector-groups/dc',
        admin,
      );
    const created = await call<{ collectorGroup: string }>('/v1/resources', admin, 'POST', {
      type: 'device',
      name: 'sw0',
      address: '10.0.0.10',
      collectorGroup: 'dc',
    });
    expect(created.collectorGroup).toBe('dc');
    for (let i = 1; i < 6; i++)
      await call('/v1/resources', admin, 'POST', {
        type: 'device',
        name: `sw${i}`,
        address: `10.0.0.${10 + i}`,
        collectorGroup: 'dc',
      });
    await call('/v1/resources', admin, 'POST', { type: 'device', name: 'elsewhere', address: '10.9.9.9' });
    expect((await group()).unassigned).toBe(6); // nobody up yet
    const unknown = await platform.request('/v1/collector-groups/nowhere', { token: admin });
    expect(unknown.status).toBe(404);

    // All three beat and read: the first read balances the group, the others see their share.
    const first = await tick(key('a'));
    expect(first).toHaveLength(6); // a is the only up member when it reads
    await tick(key('b'));
    await tick(key('c'));
    const shares = [await tick(key('a')), await tick(key('b')), await tick(key('c'))];
    expect(shares.map((s) => s.length)).toEqual([2, 2, 2]);
    expect(shares.flat().sort()).toEqual(['sw0', 'sw1', 'sw2', 'sw3', 'sw4', 'sw5']);

    // c falls silent; a and b keep their interval.
    const silentSince = nowMs;
    let movedAt: number | undefined;
    while (nowMs - silentSince <= 180_000 + 2 * CONFIG_INTERVAL_MS) {
      nowMs += CONFIG_INTERVAL_MS;
      const a = await tick(key('a'));
      const b = await tick(key('b'));
      if (a.length + b.length === 6) {
        movedAt = nowMs;
        expect([a.length, b.length]).toEqual([3, 3]);
        break;
      }
    }
    expect(movedAt).toBeDefined();
    expect((movedAt as number) - silentSince).toBeLessThanOrEqual(180_000 + CONFIG_INTERVAL_MS);
    const view = await group();
    expect(view.unassigned).toBe(0);
    expect(view.collectors.find((c) => c.collectorId === members['c']?.collectorId)).toMatchObject({
      status: 'down',
      resources: 0,
    });

    // c is back: its read rebalances the group, and the others drop what it took.
    nowMs += 5_000;
    expect(await tick(key('c'))).toHaveLength(2);
    const back = [await tick(key('a')), await tick(key('b'))];
    expect(back.map((s) => s.length)).toEqual([2, 2]);

    const audit = await call<{ items: { action: string }[] }>(
      '/v1/audit-events?action=resource.balance&limit=100',
      admin,
    );
    // 6 placed on a (the only up member), 3 to b when it joined, 2 to c; c's 2 away, 2 back.
    expect(audit.items.filter((e) => e.action === 'resource.balance').length).toBe(15);
  });

  it('refuses a malformed group name, naming the field', async () => {
    const r = await platform.request('/v1/collectors', {
      method: 'POST',
      token: admin,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', collectorGroup: 'g'.repeat(65) }),
    });
    expect(r.status).toBe(422);
    expect(((await r.json()) as { error: { field: string } }).error.field).toBe('collectorGroup');
  });
});
