/** Collectors and their ingest keys (each key is shown once). */
import { redact } from '#domain/classification';
import { groupLoads } from '#domain/collector-balance';
import { rangeAddresses } from '#domain/collector-discovery';
import { issueCredential, newId } from '#domain/credentials';
import { collectorInputSchema, collectorPatchSchema, type DiscoverySettings } from '#domain/entities';
import { NotFoundError, UnprocessableError } from '#domain/errors';
import { pageQuerySchema } from '#domain/pagination';
import type { Collector } from '#domain/tenant';
import * as z from '#domain/zod';
import { invalidateCredential } from '#http/auth';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std, withEtag } from '../operation';
import { collectorCreatedView, collectorView, pageOf, toCollectorView } from '../views';
import { listAll } from './collector-config';

const collectorPath = '/v1/collectors/{collectorId}';

const collectorGroupView = z.object({
  collectorGroup: z.string(),
  collectors: z.array(
    z.object({
      collectorId: z.string(),
      status: z.enum(['up', 'down', 'never-seen']),
      resources: z.int(),
      load: z.number().check(z.describe('polls per minute of the resources it is assigned')),
    }),
  ),
  unassigned: z.int().check(z.describe('resources of the group no member polls yet (none is up)')),
});

export function collectorOperations(ctx: ApiContext): Operation[] {
  const { deps, now, audit, mustGet, modify, remove } = ctx;

  async function revokeIngestKeys(tenantId: string, collectorId: string): Promise<void> {
    let cursor: string | undefined;
    do {
      const page = await deps.tenants.listCredentials(tenantId, { limit: 100, cursor });
      for (const c of page.items) {
        if (c.kind !== 'ingest' || c.collectorId !== collectorId || c.revokedAt) continue;
        await deps.tenants.updateCredential({ ...c, revokedAt: now() }, c.version ?? 1);
        invalidateCredential(deps.tenants, c.credentialId);
      }
      cursor = page.nextCursor;
    } while (cursor);
  }

  /** A failover collector must be another collector of the tenant. */
  async function checkFailover(tenantId: string, failoverCollectorId: string | undefined, self?: string) {
    if (!failoverCollectorId) return;
    if (failoverCollectorId === self)
      throw new UnprocessableError('a collector cannot be its own failover', 'failoverCollectorId');
    if (!(await deps.tenants.getEntity('collector', tenantId, failoverCollectorId)))
      throw new UnprocessableError('no such collector', 'failoverCollectorId');
  }

  /** The optional settings of a collector body, when given. */
  const collectorSettings = (b: {
    downAfterSeconds?: number;
    failoverCollectorId?: string;
    failback?: 'auto' | 'manual';
    collectorGroup?: string;
    discoveryAutoAdd?: boolean;
    discovery?: DiscoverySettings;
  }) => ({
    ...(b.downAfterSeconds ? { downAfterSeconds: b.downAfterSeconds } : {}),
    ...(b.failoverCollectorId ? { failoverCollectorId: b.failoverCollectorId } : {}),
    ...(b.failback ? { failback: b.failback } : {}),
    ...(b.collectorGroup ? { collectorGroup: b.collectorGroup } : {}),
    ...(b.discoveryAutoAdd === undefined ? {} : { discoveryAutoAdd: b.discoveryAutoAdd }),
    ...(b.discovery ? { discovery: b.discovery } : {}),
  });

  /** Each range at most a /22; each credential the tenant's own. */
  async function checkDiscovery(tenantId: string, discovery: DiscoverySettings | undefined) {
    if (!discovery) return;
    for (const [i, range] of discovery.ranges.entries()) rangeAddresses(range, `discovery.ranges[${i}]`);
    for (const [i, id] of (discovery.credentialIds ?? []).entries())
      if (!(await deps.tenants.getEntity('device-credential', tenantId, id)))
        throw new UnprocessableError('no such device credential', `discovery.credentialIds[${i}]`);
  }

  return [
    op({
      method: 'POST',
      path: '/v1/collectors',
      summary: 'Create a collector and its ingest key (the key is shown once)',
      auth: 'tenant',
      permission: 'collectors:write',
      body: collectorInputSchema,
      responses: { 201: collectorCreatedView, ...std },
      run: async (request) => {
        const at = deps.clock.now();
        await checkFailover(request.principal.tenantId, request.body.failoverCollectorId);
        await checkDiscovery(request.principal.tenantId, request.body.discovery);
        const collector: Collector = {
          tenantId: request.principal.tenantId,
          collectorId: newId(),
          name: request.body.name,
          ...collectorSettings(request.body),
          createdAt: at.toISOString(),
        };
        const ingestKey = issueCredential('ingest', collector.tenantId, at, {
          collectorId: collector.collectorId,
        });
        await deps.tenants.createCollector(collector, ingestKey.record);
        await audit(request, 'collector.create', `collector/${collector.collectorId}`, {
          after: redact('collector', collector),
        });
        return json(201, {
          ...toCollectorView({ ...collector, version: 1 }, at.getTime()),
          ingestKey: ingestKey.token,
        });
      },
    }),
    op({
      method: 'GET',
      path: '/v1/collectors',
      summary: 'List collectors',
      auth: 'tenant',
      permission: 'collectors:read',
      query: pageQuerySchema,
      responses: { 200: pageOf(collectorView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listEntities('collector', principal.tenantId, query);
        // The first version of this route answered `collectors`; kept beside `items`.
        const nowMs = deps.clock.now().getTime();
        const items = page.items.map((c) => toCollectorView(c, nowMs));
        return json(200, {
          items,
          collectors: items,
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        });
      },
    }),
    op({
      method: 'GET',
      path: collectorPath,
      summary: 'Get a collector',
      auth: 'tenant',
      permission: 'collectors:read',
      responses: { 200: collectorView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(
          200,
          toCollectorView(
            await mustGet('collector', principal.tenantId, params.collectorId),
            deps.clock.now().getTime(),
          ),
        ),
    }),
    op({
      method: 'PATCH',
      path: collectorPath,
      summary: 'Rename a collector or change when it counts as down',
      auth: 'tenant',
      permission: 'collectors:write',
      body: collectorPatchSchema,
      responses: { 200: collectorView, 404: null, 409: null, ...std },
      run: async (request) => {
        const { before, after } = await modify(
          'collector',
          request,
          request.params.collectorId,
          async (c) => {
            await checkFailover(c.tenantId, request.body.failoverCollectorId, c.collectorId);
            await checkDiscovery(c.tenantId, request.body.discovery);
            return {
              ...c,
              name: request.body.name,
              ...collectorSettings(request.body),
            };
          },
        );
        await audit(request, 'collector.update', `collector/${after.collectorId}`, {
          before: redact('collector', before),
          after: redact('collector', after),
        });
        return withEtag(200, toCollectorView(after, deps.clock.now().getTime()));
      },
    }),
    op({
      method: 'DELETE',
      path: collectorPath,
      summary: 'Delete a collector and revoke its ingest keys',
      auth: 'tenant',
      permission: 'collectors:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('collector', request, request.params.collectorId);
        await revokeIngestKeys(request.principal.tenantId, removed.collectorId);
        await audit(request, 'collector.delete', `collector/${removed.collectorId}`, {
          before: redact('collector', removed),
        });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
    op({
      method: 'GET',
      path: '/v1/collector-groups/{collectorGroup}',
      summary:
        'An auto-balanced collector group: each member’s status, resources and load (polls per minute)',
      auth: 'tenant',
      permission: 'collectors:read',
      responses: { 200: collectorGroupView, 404: null, ...std },
      run: async ({ principal, params }) => {
        const group = params.collectorGroup as string;
        const resources = await listAll(deps, 'resource', principal.tenantId);
        const collectors = groupLoads(
          group,
          await listAll(deps, 'collector', principal.tenantId),
          resources,
          deps.clock.now().getTime(),
        );
        if (collectors.length === 0)
          throw new NotFoundError('no collector is in this group', 'collectorGroup');
        const members = new Set(collectors.map((c) => c.collectorId));
        const unassigned = resources.filter(
          (r) => r.collectorGroup === group && !(r.collectorId && members.has(r.collectorId)),
        ).length;
        return json(200, { collectorGroup: group, collectors, unassigned });
      },
    }),
    op({
      method: 'POST',
      path: `${collectorPath}/rotate-key`,
      summary: 'Issue a new ingest key for a collector; the old keys stop working at once',
      auth: 'tenant',
      permission: 'collectors:write',
      responses: { 201: z.object({ collectorId: z.string(), ingestKey: z.string() }), 404: null, ...std },
      run: async (request) => {
        const collector = await mustGet('collector', request.principal.tenantId, request.params.collectorId);
        await revokeIngestKeys(collector.tenantId, collector.collectorId);
        const key = issueCredential('ingest', collector.tenantId, deps.clock.now(), {
          collectorId: collector.collectorId,
        });
        await deps.tenants.createCredential(key.record);
        await audit(request, 'collector.rotate-key', `collector/${collector.collectorId}`, {
          after: { credentialId: key.record.credentialId },
        });
        return json(201, { collectorId: collector.collectorId, ingestKey: key.token });
      },
    }),
  ];
}
