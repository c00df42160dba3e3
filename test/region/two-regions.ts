/**
 * Two local platforms as two regions over one metadata engine (the global table's twin: one SQLite
 * directory), each with its own metric store the test can read directly.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { RegionEndpoints } from '#domain/region';
import type { PlatformOptions } from '../../local/platform';
import { freePort } from '../support/free-port';
import { startTestPlatform, type TestPlatform, tempDataDir } from '../support/platform';

export interface RegionPlatform {
  readonly region: string;
  readonly dataDir: string;
  readonly metrics: SqliteMetricStore;
  readonly endpoint: RegionEndpoints;
  platform: TestPlatform | undefined;
  /** Starts (again) on the same port, data directory and metric store. */
  start(): Promise<TestPlatform>;
  /** The region "fails": its server and stores close; its data directory stays. */
  stop(): Promise<void>;
}

export interface TwoRegions {
  readonly metadataDir: string;
  readonly regions: Record<string, RegionPlatform>;
  destroy(): Promise<void>;
}

export async function startTwoRegions(
  names: readonly [string, string],
  defaultHome = names[0],
  extra: Partial<PlatformOptions> = {},
) {
  const metadataDir = tempDataDir('obs-metadata-');
  const ports = [await freePort(), await freePort()];
  const endpoints: Record<string, RegionEndpoints> = {};
  names.forEach((name, i) => {
    const url = `http://127.0.0.1:${ports[i]}`;
    endpoints[name] = { ingest: url, api: url };
  });
  const regions: Record<string, RegionPlatform> = {};
  names.forEach((name, i) => {
    const dataDir = tempDataDir(`obs-${name}-`);
    let metrics: SqliteMetricStore | undefined;
    const region: RegionPlatform = {
      region: name,
      dataDir,
      get metrics() {
        metrics ??= new SqliteMetricStore(join(dataDir, 'metrics.sqlite'));
        return metrics;
      },
      endpoint: endpoints[name] as RegionEndpoints,
      platform: undefined,
      start: async () => {
        region.platform = await startTestPlatform({
          port: ports[i] as number,
          dataDir,
          metadataDir,
          metricStore: region.metrics,
          region: name,
          defaultHomeRegion: defaultHome,
          regionEndpoints: endpoints,
          alerting: { tickIntervalMs: 0 },
          spillReplayIntervalMs: 100,
          ...extra,
        });
        return region.platform;
      },
      stop: async () => {
        await region.platform?.destroy();
        region.platform = undefined;
        metrics?.close();
        metrics = undefined;
      },
    };
    regions[name] = region;
  });
  for (const r of Object.values(regions)) await r.start();
  return {
    metadataDir,
    regions,
    destroy: async () => {
      for (const r of Object.values(regions)) {
        await r.stop();
        rmSync(r.dataDir, { recursive: true, force: true });
      }
      rmSync(metadataDir, { recursive: true, force: true });
    },
  } satisfies TwoRegions;
}
