/**
 * Failover on the local platform with a test clock: collector A names B as its failover; A falls
 * silent; within 3 minutes + one configuration interval B's configuration holds A's resources; when
 * A is back they return (failback auto), or stay until moved (manual). Every move is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { movesOnConfigRead } from '#domain/collector-failover';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const CONFIG_INTERVAL_MS = 60_000;

describe('collector failover', () => {
  let platform: TestPlatform;
  let nowMs = Date.now();
  let admin: string;
  const json = { 'content-type': 'application/json' };
  beforeAll(async () => {
    platform = await startTestPlatform({ clock: { now: () => new Date(nowMs) } });
    admin = (await platform.createTenant('failover')).adminToken;
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const r = await platform.request(path, {
      method,
      token,
      headers: json,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${await r.text()}`);
    return r.status === 204 ? {} : ((await r.json()) as Record<string, unknown>);
  };
  const beat = (key: string) =>
    call('POST', '/v1/collector/heartbeat', key, {
      version: '0.1.0',
      queueDepth: 0,
      dropped: 0,
      state: 'connected',
    });
  /** What a collector does every interval: heartbeat, then read its configuration. */
  const tick = async (key: string) => {
    await beat(key);
    const config = (await call('GET', '/v1/collector/config', key)) as { resources: { name: string }[] };
    return config.resources.map((r) => r.name).sort();
  };

  async function pair(failback: 'auto' | 'manual') {
    const b = (await call('POST', '/v1/collectors', admin, { name: `b-${failback}` })) as Record<
      string,
      string
    >;
    const a = (await call('POST', '/v1/collectors', admin, {
      name: `a-${failback}`,
      failoverCollectorId: b.collectorId,
      failback,
    })) as Record<string, string>;
    for (const name of [`sw1-${failback}`, `sw2-${failback}`])
      await call('POST', '/v1/resources', admin, {
        type: 'device',
        name,
        address: '10.0.0.1',
        collectorId: a.collectorId,
      });
    return { a, b };
  }

  it('moves a silent collector’s resources to its failover within 3 min + one interval, and back', async () => {
    const { a, b } = await pair('auto');
    expect(await tick(a.ingestKey as string)).toEqual(['sw1-auto', 'sw2-auto']);
    expect(await tick(b.ingestKey as string)).toEqual([]);
    // A falls silent; B keeps ticking every interval.
    const silentSince = nowMs;
    let takenOverAt: number | undefined;
    while (nowMs - silentSince <= 180_000 + 2 * CONFIG_INTERVAL_MS) {
      nowMs += CONFIG_INTERVAL_MS;
      if ((await tick(b.ingestKey as string)).length === 2) {
        takenOverAt = nowMs;
        break;
      }
    }
    expect(takenOverAt).toBeDefined();
    expect((takenOverAt as number) - silentSince).toBeLessThanOrEqual(180_000 + CONFIG_INTERVAL_MS);
    const collectorA = await call('GET', `/v1/collectors/${a.collectorId}`, admin);
    expect(collectorA.status).toBe('down');
    const moved = (await call('GET', '/v1/resources', admin)) as { items: Record<string, string>[] };
    expect(
      moved.items.filter((r) => r.name?.endsWith('-auto')).map((r) => [r.collectorId, r.primaryCollectorId]),
    ).toEqual([
      [b.collectorId, a.collectorId],
      [b.collectorId, a.collectorId],
    ]);

    // A is back: its first tick takes them back; B's next tick no longer has them.
    nowMs += 5_000;
    expect(await tick(a.ingestKey as string)).toEqual(['sw1-auto', 'sw2-auto']);
    expect(await tick(b.ingestKey as string)).toEqual([]);
    const audit = (await call('GET', '/v1/audit-events', admin)) as { items: { action: string }[] };
    const actions = audit.items.map((e) => e.action);
    expect(actions.filter((x) => x === 'resource.failover').length).toBe(2);
    expect(actions.filter((x) => x === 'resource.failback').length).toBe(2);
  });

  it('leaves them with the failover when failback is manual', async () => {
    const { a, b } = await pair('manual');
    await tick(a.ingestKey as string);
    nowMs += 181_000;
    expect(await tick(b.ingestKey as string)).toEqual(['sw1-manual', 'sw2-manual']);
    nowMs += 5_000;
    expect(await tick(a.ingestKey as string)).toEqual([]);
    expect(await tick(b.ingestKey as string)).toEqual(['sw1-manual', 'sw2-manual']);
    for (const failoverCollectorId of [a.collectorId, 'f'.repeat(32)]) {
      const r = await platform.request(`/v1/collectors/${a.collectorId}`, {
        method: 'PATCH',
        token: admin,
        headers: json,
        body: JSON.stringify({ name: 'a', failoverCollectorId }),
      });
      expect(r.status).toBe(422);
      expect(((await r.json()) as { error: { field: string } }).error.field).toBe('failoverCollectorId');
    }
  });

  it('plans nothing for a reader not known to be up', () => {
    const at = Date.now();
    const collector = (id: string, beatAgoMs?: number, failover?: string) => ({
      tenantId: 't',
      collectorId: id,
      name: id,
      createdAt: '',
      ...(failover ? { failoverCollectorId: failover } : {}),
      ...(beatAgoMs === undefined
        ? {}
        : {
            heartbeat: {
              at: new Date(at - beatAgoMs).toISOString(),
              version: '1',
              queueDepth: 0,
              dropped: 0,
              state: 'connected',
            },
          }),
    });
    const resource = {
      tenantId: 't',
      resourceId: 'r',
      type: 'device' as const,
      name: 'r',
      address: 'x',
      properties: {},
      groups: [],
      dependsOn: [],
      credentialIds: [],
      collectorId: 'a',
      version: 1,
      createdAt: '',
    };
    const a = collector('a', 200_000, 'b');
    expect(movesOnConfigRead(collector('b'), [a], [resource], at)).toEqual([]); // b never beat
    expect(movesOnConfigRead(collector('b', 1000), [a], [resource], at)).toEqual([
      { resourceId: 'r', from: 'a', to: 'b', reason: 'failover' },
    ]);
  });
});
