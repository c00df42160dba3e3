/**
 * Test harness: a local platform on an ephemeral port with its own data directory, and helpers to
 * onboard tenants and collectors through the public API, as a user would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prometheusMetricStore } from '#adapters/aws/amp-prometheus';
import type { MetricStore } from '#ports/metric-store';
import { type PlatformOptions, type RunningPlatform, startPlatform } from '../../local/platform';
import { startPrometheus } from './prometheus';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

export interface TestPlatform extends RunningPlatform {
  /** fetch against the platform with an optional bearer token. */
  request(path: string, init?: RequestInit & { token?: string }): Promise<Response>;
  createTenant(name?: string): Promise<{ tenantId: string; adminToken: string }>;
  createCollector(adminToken: string, name?: string): Promise<{ collectorId: string; ingestKey: string }>;
  /**
   * POST …/offboard through the API (202), waits for the in-process job, answers GET of its status
   * path: the job with its parts (one per region: `local`).
   */
  offboard(tenantId: string): Promise<OffboardingJobStatus>;
  /** Closes the server and removes the data directory. */
  destroy(): Promise<void>;
}

/** GET /admin/v1/offboarding-jobs/{jobId} as the tests read it. */
export interface OffboardingJobStatus {
  jobId: string;
  state: string;
  key?: Record<string, unknown>;
  regions: {
    region: string;
    state: string;
    archive: { downloadPath: string; sha256: string; records: Record<string, number> };
    removed: Record<string, number>;
    remaining: Record<string, number>;
    limitations: string[];
  }[];
}

export function tempDataDir(prefix = 'obs-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * TEST_METRIC_STORE=prometheus runs every platform test on the AMP adapter against a real Prometheus
 * started for the platform (`npm run test:prometheus`), instead of the embedded SQLite store.
 */
async function metricStoreForTests(): Promise<{ store?: MetricStore; stop: () => Promise<void> }> {
  if (process.env['TEST_METRIC_STORE'] !== 'prometheus') return { stop: async () => undefined };
  const prometheus = await startPrometheus();
  return { store: prometheusMetricStore(prometheus.url), stop: prometheus.stop };
}

export async function startTestPlatform(options: Partial<PlatformOptions> = {}): Promise<TestPlatform> {
  const dataDir = options.dataDir ?? tempDataDir();
  const metricStore = options.metricStore ? { stop: async () => undefined } : await metricStoreForTests();
  const platform = await startPlatform({
    port: 0,
    providerAdminToken: 'test-provider-token',
    ...(metricStore.store ? { metricStore: metricStore.store } : {}),
    ...options,
    dataDir,
  });
  const request = (path: string, init: RequestInit & { token?: string } = {}) => {
    const { token, headers, ...rest } = init;
    return fetch(`${platform.url}${path}`, {
      ...rest,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(headers as Record<string, string>),
      },
    });
  };
  const expectStatus = async <T>(response: Response, status: number): Promise<T> => {
    if (response.status !== status) {
      throw new Error(`expected ${status}, got ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as T;
  };
  return {
    ...platform,
    request,
    offboard: async (tenantId) => {
      const started = await expectStatus<{ statusPath: string }>(
        await request(`/admin/v1/tenants/${tenantId}/offboard`, {
          method: 'POST',
          token: platform.providerAdminToken,
        }),
        202,
      );
      await platform.offboardingIdle();
      return expectStatus(await request(started.statusPath, { token: platform.providerAdminToken }), 200);
    },
    createTenant: async (name = 'tenant') =>
      expectStatus(
        await request('/admin/v1/tenants', {
          method: 'POST',
          token: platform.providerAdminToken,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        }),
        201,
      ),
    createCollector: async (adminToken: string, name = 'collector') =>
      expectStatus(
        await request('/v1/collectors', {
          method: 'POST',
          token: adminToken,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name }),
        }),
        201,
      ),
    destroy: async () => {
      await platform.close();
      await metricStore.stop();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A response's JSON body, loosely typed for assertions. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
export const bodyOf = async (response: Response): Promise<any> => response.json();
