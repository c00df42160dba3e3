/** Collector heartbeats and status on the local platform, with a test clock: down after 3 minutes or as set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform';

describe('collector heartbeat and status', () => {
  let platform: TestPlatform;
  let nowMs = Date.now();
  let admin: string;
  beforeAll(async () => {
    platform = await startTestPlatform({ clock: { now: () => new Date(nowMs) } });
    admin = (await platform.createTenant('beats')).adminToken;
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  const json = { 'content-type': 'application/json' };
  const beat = (
    key: string,
    body: unknown = { version: '0.1.0', queueDepth: 3, dropped: 0, state: 'connected' },
  ) =>
    platform.request('/v1/collector/heartbeat', {
      method: 'POST',
      token: key,
      headers: json,
      body: JSON.stringify(body),
    });
  const status = async (collectorId: string) =>
    (await (await platform.request(`/v1/collectors/${collectorId}`, { token: admin })).json()) as Record<
      string,
      unknown
    >;

  it('is never-seen, then up on a heartbeat, down after 180 s of silence, up again on the next', async () => {
    const { collectorId, ingestKey } = await platform.createCollector(admin, 'dc1');
    expect(await status(collectorId)).toMatchObject({ status: 'never-seen', downAfterSeconds: 180 });
    expect((await beat(ingestKey)).status).toBe(204);
    expect(await status(collectorId)).toMatchObject({
      status: 'up',
      lastHeartbeat: { queueDepth: 3, state: 'connected', version: '0.1.0' },
    });
    nowMs += 179_000;
    expect((await status(collectorId)).status).toBe('up');
    nowMs += 2_000;
    expect((await status(collectorId)).status).toBe('down');
    expect((await beat(ingestKey)).status).toBe(204);
    expect((await status(collectorId)).status).toBe('up');
    const audit = (await (await platform.request('/v1/audit-events', { token: admin })).json()) as {
      items: { action: string; target: string }[];
    };
    const ups = audit.items.filter(
      (e) => e.action === 'collector.up' && e.target === `collector/${collectorId}`,
    );
    expect(ups.length).toBe(2); // the first beat and the return; not every beat
  });

  it('takes its own down-after setting, and refuses a malformed heartbeat naming the field', async () => {
    const { collectorId, ingestKey } = await platform.createCollector(admin, 'dc2');
    const patched = await platform.request(`/v1/collectors/${collectorId}`, {
      method: 'PATCH',
      token: admin,
      headers: json,
      body: JSON.stringify({ name: 'dc2', downAfterSeconds: 600 }),
    });
    expect(patched.status).toBe(200);
    await beat(ingestKey);
    nowMs += 300_000;
    expect(await status(collectorId)).toMatchObject({ status: 'up', downAfterSeconds: 600 });
    nowMs += 301_000;
    expect((await status(collectorId)).status).toBe('down');
    const bad = await beat(ingestKey, { version: '0.1.0', queueDepth: -1, dropped: 0, state: 'connected' });
    expect(bad.status).toBe(422);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('queueDepth');
    // A tenant token is not a collector's.
    expect((await beat(admin)).status).toBe(403);
  });
});
