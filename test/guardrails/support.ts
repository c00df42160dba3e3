/** Helpers for guardrail tests: tenants with limits, native payloads of N series, usage reads. */
import type { TenantLimitOverrides } from '#domain/guardrails/limits';
import { bodyOf, type TestPlatform } from '../support/platform';

export interface GuardedTenant {
  readonly tenantId: string;
  readonly adminToken: string;
  readonly ingestKey: string;
}

export async function tenantWithLimits(
  platform: TestPlatform,
  overrides: TenantLimitOverrides = {},
): Promise<GuardedTenant> {
  const { tenantId, adminToken } = await platform.createTenant('guarded');
  const put = await platform.request(`/admin/v1/tenants/${tenantId}/limits`, {
    method: 'PUT',
    token: platform.providerAdminToken,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(overrides),
  });
  if (put.status !== 200) throw new Error(`PUT limits: ${put.status} ${await put.text()}`);
  const { ingestKey } = await platform.createCollector(adminToken);
  return { tenantId, adminToken, ingestKey };
}

export interface SeriesPayloadOptions {
  readonly series?: number;
  readonly metric?: string;
  readonly resourceIds?: Record<string, string>;
  /** Values of each series, keyed by epoch seconds. */
  readonly values?: Record<string, number>;
  readonly instancePrefix?: string;
}

/** A native payload with `series` series (one instance each) of one metric. */
export function seriesPayload(nowS: number, options: SeriesPayloadOptions = {}) {
  const count = options.series ?? 1;
  return {
    resourceName: 'host-1',
    resourceIds: options.resourceIds ?? { 'system.hostname': 'host-1' },
    dataSource: 'Guard',
    instances: Array.from({ length: count }, (_, i) => ({
      instanceName: `${options.instancePrefix ?? 'i'}${i}`,
      dataPoints: [{ dataPointName: options.metric ?? 'load', values: options.values ?? { [nowS]: i } }],
    })),
  };
}

export function push(
  platform: TestPlatform,
  ingestKey: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return platform.request('/v1/ingest', {
    method: 'POST',
    token: ingestKey,
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** Series of `metric` stored for the tenant in the last hour. */
export async function storedSeries(
  platform: TestPlatform,
  adminToken: string,
  metric: string,
  nowMs = Date.now(),
) {
  const response = await platform.request(
    `/v1/metrics/query?metric=${encodeURIComponent(metric)}&from=${nowMs - 3600_000}&to=${nowMs + 3600_000}`,
    { token: adminToken },
  );
  if (response.status !== 200) throw new Error(`query: ${response.status} ${await response.text()}`);
  return (await bodyOf(response)).series as {
    dimensions: Record<string, string>;
    points: [number, number][];
  }[];
}
