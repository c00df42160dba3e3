/**
 * Idempotent retries and HA pair dedup through the local platform. The embedded metric store is
 * wrapped to count (and optionally slow) writes; the platform clock can be moved forward.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricStore } from '#ports/metric-store';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';
import { push, seriesPayload, storedSeries, tenantWithLimits } from './support';

let platform: TestPlatform;
let offsetMs = 0;
let writeDelayMs = 0;
const writesByTenant = new Map<string, number>();
const clock = { now: () => new Date(Date.now() + offsetMs) };
const nowS = () => Math.floor(clock.now().getTime() / 1000);

beforeAll(async () => {
  platform = await startTestPlatform({
    clock,
    wrapMetricStore: (store: MetricStore): MetricStore => ({
      write: async (tenantId, samples) => {
        writesByTenant.set(tenantId, (writesByTenant.get(tenantId) ?? 0) + 1);
        if (writeDelayMs > 0) await new Promise((r) => setTimeout(r, writeDelayMs));
        return store.write(tenantId, samples);
      },
      query: (tenantId, query) => store.query(tenantId, query),
    }),
  });
});
afterAll(async () => {
  await platform?.destroy();
});

describe('idempotent retries', () => {
  it('answers a retry with the first response and writes nothing twice (Idempotency-Key)', async () => {
    const { tenantId, ingestKey } = await tenantWithLimits(platform, {
      ingestionRate: 1,
      ingestionBurstSize: 10,
    });
    const payload = seriesPayload(nowS(), { series: 10, metric: 'idem' });
    const first = await push(platform, ingestKey, payload, { 'idempotency-key': 'batch-1' });
    expect(first.status).toBe(202);
    const firstBody = await first.text();
    // The bucket is empty now: a second run would be 429. The retry gets the stored answer.
    const retry = await push(platform, ingestKey, payload, { 'idempotency-key': 'batch-1' });
    expect(retry.status).toBe(202);
    expect(await retry.text()).toBe(firstBody);
    expect(writesByTenant.get(tenantId)).toBe(1);
    const fresh = await push(platform, ingestKey, seriesPayload(nowS(), { metric: 'idem2' }), {
      'idempotency-key': 'batch-2',
    });
    expect(fresh.status).toBe(429);
  });

  it('keys a request without Idempotency-Key by a hash of tenant and body', async () => {
    const { tenantId, ingestKey } = await tenantWithLimits(platform);
    const payload = seriesPayload(nowS(), { metric: 'hashed' });
    expect((await push(platform, ingestKey, payload)).status).toBe(202);
    expect((await push(platform, ingestKey, payload)).status).toBe(202);
    expect(writesByTenant.get(tenantId)).toBe(1);
    // Another tenant sending the same bytes is not a retry of the first.
    const other = await tenantWithLimits(platform);
    expect((await push(platform, other.ingestKey, payload)).status).toBe(202);
    expect(writesByTenant.get(other.tenantId)).toBe(1);
  });

  it('refuses the same key with a different body (422)', async () => {
    const { ingestKey } = await tenantWithLimits(platform);
    expect(
      (await push(platform, ingestKey, seriesPayload(nowS(), { metric: 'k' }), { 'idempotency-key': 'same' }))
        .status,
    ).toBe(202);
    const reused = await push(platform, ingestKey, seriesPayload(nowS(), { metric: 'other' }), {
      'idempotency-key': 'same',
    });
    expect(reused.status).toBe(422);
    expect((await bodyOf(reused)).error).toMatchObject({
      code: 'unprocessable',
      id: 'err-tenant-idempotency-key-reused',
      field: 'idempotency-key',
    });
  });

  it('answers a concurrent duplicate 429 with Retry-After, and the first response once it is done', async () => {
    const { tenantId, ingestKey } = await tenantWithLimits(platform);
    const payload = seriesPayload(nowS(), { metric: 'concurrent' });
    writeDelayMs = 1000;
    try {
      const first = push(platform, ingestKey, payload, { 'idempotency-key': 'c1' });
      await new Promise((r) => setTimeout(r, 300));
      const duplicate = await push(platform, ingestKey, payload, { 'idempotency-key': 'c1' });
      expect(duplicate.status).toBe(429);
      expect(Number(duplicate.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect((await bodyOf(duplicate)).error.id).toBe('err-tenant-idempotency-in-progress');
      const done = await first;
      expect(done.status).toBe(202);
      const firstBody = await done.text();
      const retry = await push(platform, ingestKey, payload, { 'idempotency-key': 'c1' });
      expect(await retry.text()).toBe(firstBody);
      expect(writesByTenant.get(tenantId)).toBe(1);
    } finally {
      writeDelayMs = 0;
    }
  });

  it('does not keep a refusal: a request throttled once succeeds when retried later', async () => {
    const { ingestKey } = await tenantWithLimits(platform, { ingestionRate: 5, ingestionBurstSize: 5 });
    expect((await push(platform, ingestKey, seriesPayload(nowS(), { series: 5, metric: 'a' }))).status).toBe(
      202,
    );
    const payload = seriesPayload(nowS(), { series: 5, metric: 'b' });
    expect((await push(platform, ingestKey, payload, { 'idempotency-key': 'later' })).status).toBe(429);
    offsetMs += 2000;
    expect((await push(platform, ingestKey, payload, { 'idempotency-key': 'later' })).status).toBe(202);
  });
});

describe('HA pair dedup', () => {
  const replica = (name: string, value: number) =>
    seriesPayload(nowS(), {
      metric: 'ha_up',
      resourceIds: { job: 'node', cluster: 'prom-a', __replica__: name },
      values: { [nowS()]: value },
    });

  it('stores the leader only, without the replica label; fails over after 30 s of leader silence', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, { ha: { enabled: true } });
    const leader = await push(platform, ingestKey, replica('r1', 1));
    expect(leader.status).toBe(202);
    expect((await bodyOf(leader)).accepted).toBe(1);
    const follower = await push(platform, ingestKey, replica('r2', 2));
    expect(follower.status).toBe(202);
    expect(await bodyOf(follower)).toMatchObject({
      accepted: 0,
      deduplicated: 1,
      id: 'err-tenant-ha-replica-not-leader',
    });
    let series = await storedSeries(platform, adminToken, 'ha_up', clock.now().getTime());
    expect(series).toHaveLength(1);
    expect(series[0]?.dimensions).toEqual({
      job: 'node',
      cluster: 'prom-a',
      datasource: 'Guard',
      instance: 'i0',
    });
    expect(series[0]?.points.map((p) => p[1])).toEqual([1]);

    // r1 falls silent; 31 s later r2 is elected, and r1 (back again) is the one dropped.
    offsetMs += 31_000;
    expect((await bodyOf(await push(platform, ingestKey, replica('r2', 3)))).accepted).toBe(1);
    expect((await bodyOf(await push(platform, ingestKey, replica('r1', 4)))).deduplicated).toBe(1);
    series = await storedSeries(platform, adminToken, 'ha_up', clock.now().getTime());
    expect(series).toHaveLength(1);
    expect(series[0]?.points.map((p) => p[1])).toEqual([1, 3]);
  });

  it('is opt-in: without it, both replicas are stored as distinct series', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform);
    expect((await push(platform, ingestKey, replica('r1', 1))).status).toBe(202);
    expect((await push(platform, ingestKey, replica('r2', 2))).status).toBe(202);
    expect(await storedSeries(platform, adminToken, 'ha_up', clock.now().getTime())).toHaveLength(2);
  });
});
