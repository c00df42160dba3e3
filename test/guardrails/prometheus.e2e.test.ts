/**
 * Real Prometheus 2.42 senders against the local platform's remote-write endpoint:
 * - rate limited with 429 + Retry-After, Prometheus (retry_on_http_429) backs off and later
 *   delivers every sample it scraped;
 * - an HA pair (two replicas scraping one target, external labels cluster / __replica__) is stored
 *   once: the leader's samples only, without the replica label; the follower takes over when the
 *   leader stops.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { selfMetric } from '../support/prometheus';
import { startPrometheusSender, startScrapeTarget } from './prometheus-sender';
import { storedSeries, tenantWithLimits } from './support';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

describe('a real Prometheus receiving 429s', () => {
  it('backs off on Retry-After and later delivers everything it scraped', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, {
      ingestionRate: 100,
      ingestionBurstSize: 200,
    });
    const target = await startScrapeTarget(150);
    const sender = await startPrometheusSender({
      target: target.address,
      remoteWriteUrl: `${platform.url}/api/v1/write`,
      bearerToken: ingestKey,
      externalLabels: { source: 'backoff' },
      queueConfig: {
        retry_on_http_429: true,
        max_samples_per_send: 150,
        min_shards: 1,
        max_shards: 1,
        min_backoff: '100ms',
        max_backoff: '2s',
      },
    });
    try {
      // Prometheus starts scraping after its first service-discovery update (~5 s).
      await waitFor('the first scrape', async () => (target.scrapes() > 0 ? true : undefined), 30_000);
      // ~150 samples/s scraped against 100/s allowed: the platform must refuse some.
      await sleep(8000);
      target.pause();
      const retried = await selfMetric(sender.url, 'prometheus_remote_storage_samples_retried_total');
      expect(retried, sender.log()).toBeGreaterThan(0);

      const scraped = async () =>
        Number((await sender.query('sum(count_over_time(guard_gauge[10m]))'))[0]?.value[1] ?? 0);
      const expected = await scraped();
      expect(expected).toBeGreaterThanOrEqual(150 * 6);
      const stored = await waitFor(
        'every scraped sample to be stored',
        async () => {
          const series = await storedSeries(platform, adminToken, 'guard_gauge');
          const points = series.reduce((n, s) => n + s.points.length, 0);
          return points >= expected ? { series, points } : undefined;
        },
        60_000,
      );
      expect(stored.points).toBe(expected);
      expect(stored.series).toHaveLength(150);
      expect(await selfMetric(sender.url, 'prometheus_remote_storage_samples_failed_total')).toBe(0);
    } finally {
      await sender.stop();
      await target.close();
    }
  }, 120_000);
});

describe('HA pair dedup with two real Prometheus replicas', () => {
  it('stores one copy (the leader’s), without the replica label, and fails over to the other replica', async () => {
    const { ingestKey, adminToken } = await tenantWithLimits(platform, {
      ha: { enabled: true, failoverTimeoutSeconds: 3 },
    });
    const target = await startScrapeTarget(20);
    const replica = (name: string) =>
      startPrometheusSender({
        target: target.address,
        remoteWriteUrl: `${platform.url}/api/v1/write`,
        bearerToken: ingestKey,
        externalLabels: { cluster: 'prom-ha', __replica__: name },
      });
    const senders = { r1: await replica('r1'), r2: await replica('r2') };
    const stopped = new Set<string>();
    try {
      // Both replicas scrape (two scrapes a second) for about six seconds.
      await waitFor('both replicas scraping', async () => (target.scrapes() >= 2 ? true : undefined), 30_000);
      await sleep(6000);
      const timestamps = async (name: 'r1' | 'r2') =>
        new Set(
          ((await senders[name].samples('guard_gauge{i="0"}[10m]'))[0]?.values ?? []).map(([t]) =>
            Math.round(t * 1000),
          ),
        );
      const storedI0 = async () => {
        const series = await storedSeries(platform, adminToken, 'guard_gauge');
        return { series, i0: series.find((s) => s.dimensions.i === '0')?.points.map((p) => p[0]) ?? [] };
      };
      const before = await storedI0();
      const [r1, r2] = [await timestamps('r1'), await timestamps('r2')];
      const leader = before.i0.every((t) => r1.has(t)) ? 'r1' : 'r2';
      const follower = leader === 'r1' ? 'r2' : 'r1';
      const leaderTimes = leader === 'r1' ? r1 : r2;
      const followerTimes = leader === 'r1' ? r2 : r1;
      // One copy: 20 series, no replica label, every stored point the leader's, none the follower's.
      expect(before.series).toHaveLength(20);
      for (const s of before.series) {
        expect(s.dimensions).not.toHaveProperty('__replica__');
        expect(s.dimensions.cluster).toBe('prom-ha');
      }
      expect(before.i0.length).toBeGreaterThanOrEqual(3);
      expect(before.i0.every((t) => leaderTimes.has(t))).toBe(true);
      expect(before.i0.some((t) => followerTimes.has(t))).toBe(false);

      // The leader stops; after 3 s of silence the follower's samples are stored.
      const stopAt = Date.now();
      await senders[leader].stop();
      stopped.add(leader);
      const after = await waitFor(
        'the follower to take over',
        async () => {
          const { i0 } = await storedI0();
          const fromFollower = i0.filter((t) => t > stopAt + 3000);
          return fromFollower.length >= 2 ? i0 : undefined;
        },
        30_000,
      );
      const nowFollower = await timestamps(follower);
      expect(after.filter((t) => t > stopAt).every((t) => nowFollower.has(t))).toBe(true);
      expect((await storedI0()).series).toHaveLength(20);
    } finally {
      for (const [name, sender] of Object.entries(senders)) if (!stopped.has(name)) await sender.stop();
      await target.close();
    }
  }, 120_000);
});
