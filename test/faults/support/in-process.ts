/**
 * The platform's handlers in-process over a given metric store (a Timestream adapter on a mocked
 * client, a faulty wrapper…), onboarding through the admin and customer APIs as a user would.
 */

import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { hashSecret } from '#domain/credentials';
import { createObservability } from '#http/handler';
import type { HttpHandler, HttpResult } from '#http/types';
import { systemClock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import type { TenantStore } from '#ports/tenant-store';
import { createAdminHandler } from '../../../functions/admin/app';
import { createApiHandler } from '../../../functions/api/app';
import { createIngestHandler } from '../../../functions/ingest/app';
import { invoke } from '../../fuzz/support/http-event';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const PROVIDER_TOKEN = 'fault-provider-token';

export interface InProcessPlatform {
  readonly tenants: TenantStore;
  readonly handlers: { readonly admin: HttpHandler; readonly api: HttpHandler; readonly ingest: HttpHandler };
  onboard(): Promise<{ tenantId: string; adminToken: string; ingestKey: string }>;
  ingest(ingestKey: string, body: unknown): Promise<HttpResult>;
  query(adminToken: string, params: Record<string, string>): Promise<HttpResult>;
}

export function inProcessPlatform(
  metrics: { ingest: MetricStore; query: MetricStore },
  tenants: TenantStore = new SqliteTenantStore(':memory:'),
): InProcessPlatform {
  const admin = createAdminHandler({
    tenants,
    providerTokenHash: async () => hashSecret(PROVIDER_TOKEN),
    clock: systemClock,
    observability: createObservability('admin'),
  });
  const api = createApiHandler({
    tenants,
    metrics: metrics.query,
    clock: systemClock,
    observability: createObservability('api'),
  });
  const ingest = createIngestHandler({
    tenants,
    metrics: metrics.ingest,
    clock: systemClock,
    observability: createObservability('ingest'),
  });
  const jsonHeaders = { 'content-type': 'application/json' };
  const ok = (result: HttpResult, status: number) => {
    if (result.statusCode !== status)
      throw new Error(`expected ${status}, got ${result.statusCode}: ${result.body}`);
    return JSON.parse(result.body);
  };
  return {
    tenants,
    handlers: { admin, api, ingest },
    async onboard() {
      const tenant = ok(
        await invoke(admin, {
          method: 'POST',
          resource: '/admin/v1/tenants',
          token: PROVIDER_TOKEN,
          headers: jsonHeaders,
          body: JSON.stringify({ name: 'faulty' }),
        }),
        201,
      );
      const collector = ok(
        await invoke(api, {
          method: 'POST',
          resource: '/v1/collectors',
          token: tenant.adminToken,
          headers: jsonHeaders,
          body: JSON.stringify({ name: 'c1' }),
        }),
        201,
      );
      return { tenantId: tenant.tenantId, adminToken: tenant.adminToken, ingestKey: collector.ingestKey };
    },
    ingest: (ingestKey, body) =>
      invoke(ingest, {
        method: 'POST',
        resource: '/v1/ingest',
        token: ingestKey,
        headers: jsonHeaders,
        body: JSON.stringify(body),
      }),
    query: (adminToken, params) =>
      invoke(api, { method: 'GET', resource: '/v1/metrics/query', token: adminToken, query: params }),
  };
}
