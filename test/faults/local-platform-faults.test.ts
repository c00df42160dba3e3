import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectQueryableExactlyOnce, waitFor } from './support/assertions';
import { flakyPlatforms, ingest } from './support/flaky-platform';
import { type ExpectedPoint, nativeBatch } from './support/payloads';

describe('local platform under a metric store outage', () => {
  const { start, closed } = flakyPlatforms();

  /** A platform on a fresh data directory (removed after the test), with a tenant and its collector. */
  async function startWithTenant() {
    const { dataDir, flaky, platform } = await start();
    const { adminToken } = await platform.createTenant();
    const { ingestKey } = await platform.createCollector(adminToken);
    return { dataDir, flaky, platform, adminToken, ingestKey };
  }

  const spillIsEmpty = (dataDir: string) => async () =>
    readdirSync(join(dataDir, 'spill')).every((n) => !n.endsWith('.batch.json'));

  it('acknowledges batches into the on-disk spill while the store is down and replays them exactly once', async () => {
    const { dataDir, flaky, platform, adminToken, ingestKey } = await startWithTenant();
    const nowS = Math.floor(Date.now() / 1000);

    flaky.down = true;
    const acknowledged: ExpectedPoint[] = [];
    for (let seed = 0; seed < 5; seed++) {
      const batch = nativeBatch(nowS, { instances: 2, dataPoints: 2, values: 5 }, seed);
      const response = await ingest(platform, ingestKey, batch.body);
      expect(response.status).toBe(202);
      acknowledged.push(...batch.points);
    }
    expect(readdirSync(join(dataDir, 'spill')).filter((n) => n.endsWith('.batch.json'))).toHaveLength(5);
    const during = await platform.request(
      `/v1/metrics/query?metric=dp0&from=${Date.now() - 3_600_000}&to=${Date.now()}`,
      {
        token: adminToken,
      },
    );
    expect(during.status).toBe(503);

    flaky.down = false;
    await waitFor(spillIsEmpty(dataDir));
    await expectQueryableExactlyOnce(platform, adminToken, acknowledged);
  });

  it('answers 503 with Retry-After when the spill cannot be written either; the retry is stored once', async () => {
    const { dataDir, flaky, platform, adminToken, ingestKey } = await startWithTenant();
    const batch = nativeBatch(Math.floor(Date.now() / 1000), { instances: 2, dataPoints: 2, values: 3 });

    flaky.down = true;
    const spillDir = join(dataDir, 'spill');
    rmSync(spillDir, { recursive: true });
    writeFileSync(spillDir, ''); // the spill's disk is gone
    const refused = await ingest(platform, ingestKey, batch.body);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('unavailable');

    flaky.down = false;
    expect((await ingest(platform, ingestKey, batch.body)).status).toBe(202);
    expect((await ingest(platform, ingestKey, batch.body)).status).toBe(202); // a duplicate retry
    await expectQueryableExactlyOnce(platform, adminToken, batch.points);
  });

  it('keeps spilled batches across a restart and replays them on the next start', async () => {
    const { dataDir, flaky: first, platform: platformA, adminToken, ingestKey } = await startWithTenant();
    const batch = nativeBatch(Math.floor(Date.now() / 1000), { instances: 3, dataPoints: 2, values: 4 });
    first.down = true;
    expect((await ingest(platformA, ingestKey, batch.body)).status).toBe(202);
    await platformA.close();
    closed(platformA);

    const { platform: platformB } = await start(dataDir);
    await waitFor(spillIsEmpty(dataDir));
    await expectQueryableExactlyOnce(platformB, adminToken, batch.points);
  });
});
