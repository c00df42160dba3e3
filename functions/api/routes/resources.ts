/** Monitored resources (devices, websites): properties, groups, dependencies; secret-named properties are sealed. */

import { isSecurePropertyName, REDACTED, redact } from '#domain/classification';
import { newId } from '#domain/credentials';
import { type Resource, resourceInputSchema, resourcePatchSchema } from '#domain/entities';
import { UnprocessableError } from '#domain/errors';
import { pageQuerySchema } from '#domain/pagination';
import { parseOrThrow } from '#domain/validation';
import * as z from '#domain/zod';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std, withEtag } from '../operation';
import { pageOf, resourceView, toResourceView } from '../views';

const resourceListQuery = z.extend(pageQuerySchema, {
  group: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});
const resourcePath = '/v1/resources/{resourceId}';

export function resourceOperations(ctx: ApiContext): Operation[] {
  const { deps, crypto, now, audit, mustGet, modify, remove } = ctx;

  /** Ids a resource refers to must be the caller's own: another tenant's id is simply unknown. */
  async function checkReferences(tenantId: string, r: Partial<Resource>, selfId?: string): Promise<void> {
    for (const [i, dep] of (r.dependsOn ?? []).entries()) {
      if (dep === selfId)
        throw new UnprocessableError('a resource cannot depend on itself', `dependsOn[${i}]`);
      if (!(await deps.tenants.getEntity('resource', tenantId, dep)))
        throw new UnprocessableError('no such resource', `dependsOn[${i}]`);
    }
    for (const [i, c] of (r.credentialIds ?? []).entries()) {
      if (!(await deps.tenants.getEntity('device-credential', tenantId, c)))
        throw new UnprocessableError('no such device credential', `credentialIds[${i}]`);
    }
    if (r.collectorId && !(await deps.tenants.getEntity('collector', tenantId, r.collectorId)))
      throw new UnprocessableError('no such collector', 'collectorId');
  }

  /** Splits secret-named properties off into one sealed map; a REDACTED value keeps the old secret. */
  async function splitProperties(
    tenantId: string,
    properties: Record<string, string>,
    previous?: Resource,
  ): Promise<Pick<Resource, 'properties' | 'secureProperties'>> {
    const old = previous?.secureProperties
      ? (JSON.parse(
          await crypto.open('resource', tenantId, 'secureProperties', previous.secureProperties),
        ) as Record<string, string>)
      : {};
    const plain: Record<string, string> = {};
    const secure: Record<string, string> = {};
    for (const [name, value] of Object.entries(properties)) {
      if (!isSecurePropertyName(name)) plain[name] = value;
      else {
        const kept = value === REDACTED ? old[name] : value;
        if (kept === undefined) throw new UnprocessableError(`give ${name} a value`, `properties.${name}`);
        secure[name] = kept;
        plain[name] = REDACTED;
      }
    }
    if (Object.keys(secure).length === 0) return { properties: plain };
    return {
      properties: plain,
      secureProperties: await crypto.seal('resource', tenantId, 'secureProperties', JSON.stringify(secure)),
    };
  }

  const secureNames = (r: Resource) => Object.keys(r.properties).filter(isSecurePropertyName);
  const resourceOut = (r: Resource) => toResourceView(r, secureNames(r));

  return [
    op({
      method: 'POST',
      path: '/v1/resources',
      summary: 'Create a resource (device or website)',
      auth: 'tenant',
      permission: 'resources:write',
      body: resourceInputSchema,
      responses: { 201: resourceView, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const input = request.body;
        await checkReferences(tenantId, input);
        const resource: Resource = {
          tenantId,
          resourceId: newId(),
          type: input.type,
          name: input.name,
          address: input.address,
          groups: input.groups ?? [],
          dependsOn: input.dependsOn ?? [],
          credentialIds: input.credentialIds ?? [],
          ...(input.collectorId ? { collectorId: input.collectorId } : {}),
          ...(input.collectorGroup ? { collectorGroup: input.collectorGroup } : {}),
          ...(input.poll ? { poll: input.poll } : {}),
          ...(await splitProperties(tenantId, input.properties ?? {})),
          version: 1,
          createdAt: now(),
        };
        const stored = await deps.tenants.createEntity('resource', resource);
        await audit(request, 'resource.create', `resource/${stored.resourceId}`, {
          after: redact('resource', stored),
        });
        return withEtag(201, resourceOut(stored));
      },
    }),
    op({
      method: 'GET',
      path: '/v1/resources',
      summary: 'List resources, optionally of one group',
      auth: 'tenant',
      permission: 'resources:read',
      query: resourceListQuery,
      responses: { 200: pageOf(resourceView), ...std },
      run: async ({ principal, query }) => {
        const { group, ...page } = query;
        const result = await deps.tenants.listEntities('resource', principal.tenantId, page, { group });
        return json(200, { ...result, items: result.items.map(resourceOut) });
      },
    }),
    op({
      method: 'GET',
      path: resourcePath,
      summary: 'Get a resource',
      auth: 'tenant',
      permission: 'resources:read',
      responses: { 200: resourceView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(200, resourceOut(await mustGet('resource', principal.tenantId, params.resourceId))),
    }),
    op({
      method: 'PATCH',
      path: resourcePath,
      summary: 'Change some fields of a resource (If-Match: "<version>" to refuse a concurrent change)',
      auth: 'tenant',
      permission: 'resources:write',
      body: resourcePatchSchema,
      responses: { 200: resourceView, 404: null, 409: null, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const { before, after } = await modify(
          'resource',
          request,
          request.params.resourceId,
          async (current) => {
            const { properties, ...patch } = request.body;
            const merged = { ...current, ...patch };
            // The result must be a valid resource as a whole (e.g. a website keeps a URL address).
            parseOrThrow(resourceInputSchema, {
              type: merged.type,
              name: merged.name,
              address: merged.address,
            });
            await checkReferences(tenantId, patch, current.resourceId);
            if (properties === undefined) return merged;
            const { secureProperties: _old, ...rest } = merged;
            return { ...rest, ...(await splitProperties(tenantId, properties, current)) };
          },
        );
        await audit(request, 'resource.update', `resource/${after.resourceId}`, {
          before: redact('resource', before),
          after: redact('resource', after),
        });
        return withEtag(200, resourceOut(after));
      },
    }),
    op({
      method: 'DELETE',
      path: resourcePath,
      summary: 'Delete a resource',
      auth: 'tenant',
      permission: 'resources:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('resource', request, request.params.resourceId);
        await audit(request, 'resource.delete', `resource/${removed.resourceId}`, {
          before: redact('resource', removed),
        });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
  ];
}
