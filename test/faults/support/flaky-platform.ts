/**
 * Local platforms whose metric store can be taken down (FlakyMetricStore), for the outage and
 * offboarding fault tests: each platform is destroyed, and its fresh data directory removed, after its test.
 */
import { rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import type { MetricStore } from '#ports/metric-store';
import type { TenantDataHolder } from '#ports/tenant-data';
import { startTestPlatform, type TestPlatform, tempDataDir } from '../../support/platform';
import { FlakyMetricStore } from './fault-stores';

/** Call in a describe block: registers the clean-up after each of its tests. */
export function flakyPlatforms() {
  const platforms: TestPlatform[] = [];
  const dirs: string[] = [];
  afterEach(async () => {
    for (const p of platforms.splice(0)) await p.destroy();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A platform on `dataDir`, or on a fresh one removed after the test; `inner` is the store under `flaky`. */
  async function start(dataDir?: string) {
    const dir = dataDir ?? tempDataDir();
    if (dataDir === undefined) dirs.push(dir);
    const handles: { flaky?: FlakyMetricStore; inner?: MetricStore } = {};
    const platform = await startTestPlatform({
      dataDir: dir,
      spillReplayIntervalMs: 20,
      wrapMetricStore: (inner: MetricStore) => {
        handles.inner = inner;
        handles.flaky = new FlakyMetricStore(inner);
        return handles.flaky;
      },
    });
    platforms.push(platform);
    return {
      platform,
      dataDir: dir,
      flaky: handles.flaky!,
      inner: handles.inner as MetricStore & TenantDataHolder,
    };
  }

  /** The test closed `platform` itself: it is not destroyed after the test. */
  const closed = (platform: TestPlatform) => void platforms.splice(platforms.indexOf(platform), 1);

  return { start, closed };
}

/** POSTs `body` as JSON to the ingest API with the collector's key. */
export const ingest = (platform: TestPlatform, ingestKey: string, body: unknown) =>
  platform.request('/v1/ingest', {
    method: 'POST',
    token: ingestKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
