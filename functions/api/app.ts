import { issueCredential, newId } from '../../shared/domain/credentials';
import { ForbiddenError } from '../../shared/domain/errors';
import { parseMetricQuery } from '../../shared/domain/query';
import { type Collector, createCollectorSchema } from '../../shared/domain/tenant';
import { parseOrThrow } from '../../shared/domain/validation';
import { authenticate, type Principal } from '../../shared/http/auth';
import { readJson, requireMediaType } from '../../shared/http/body';
import { httpHandler, type Observability, router } from '../../shared/http/handler';
import { json } from '../../shared/http/response';
import type { HttpEvent, HttpHandler } from '../../shared/http/types';
import type { Clock } from '../../shared/ports/clock';
import type { MetricStore } from '../../shared/ports/metric-store';
import type { TenantStore } from '../../shared/ports/tenant-store';

export interface ApiDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  readonly clock: Clock;
  readonly observability: Observability;
}

function requireAdmin(principal: Principal): void {
  if (principal.credential.role !== 'admin') throw new ForbiddenError('this action needs the admin role');
}

/** The customer API: everything a tenant's own tooling does, scoped to the tenant of its token. */
export function createApiHandler(deps: ApiDeps): HttpHandler {
  async function createCollector(event: HttpEvent) {
    const principal = await authenticate(event, deps.tenants, 'tenant');
    requireAdmin(principal);
    let body: unknown;
    if (event.body) {
      requireMediaType(event, ['application/json']);
      body = readJson(event);
    }
    const { name } = parseOrThrow(createCollectorSchema, body ?? { name: 'collector' });
    const now = deps.clock.now();
    const collector: Collector = {
      tenantId: principal.tenantId,
      collectorId: newId(),
      name,
      createdAt: now.toISOString(),
    };
    const ingestKey = issueCredential('ingest', principal.tenantId, now, {
      collectorId: collector.collectorId,
    });
    await deps.tenants.createCollector(collector, ingestKey.record);
    return json(201, {
      collectorId: collector.collectorId,
      name: collector.name,
      ingestKey: ingestKey.token,
    });
  }

  async function listCollectors(event: HttpEvent) {
    const principal = await authenticate(event, deps.tenants, 'tenant');
    const collectors = await deps.tenants.listCollectors(principal.tenantId);
    return json(200, { collectors: collectors.map(({ tenantId: _t, ...rest }) => rest) });
  }

  async function queryMetrics(event: HttpEvent) {
    const principal = await authenticate(event, deps.tenants, 'tenant');
    const params: Record<string, string | undefined> = { ...(event.queryStringParameters ?? {}) };
    const query = parseMetricQuery(params);
    const series = await deps.metrics.query(principal.tenantId, query);
    return json(200, { series });
  }

  return httpHandler(
    deps.observability,
    router({
      'POST /v1/collectors': createCollector,
      'GET /v1/collectors': listCollectors,
      'GET /v1/metrics/query': queryMetrics,
    }),
  );
}
