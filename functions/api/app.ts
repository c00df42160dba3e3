import { isSecurePropertyName, REDACTED, redact } from '../../shared/domain/classification';
import {
  type CredentialRecord,
  issueCredential,
  newId,
  rotateCredential,
} from '../../shared/domain/credentials';
import {
  collectorInputSchema,
  collectorPatchSchema,
  type DeviceCredential,
  deviceCredentialInputSchema,
  type Resource,
  resourceInputSchema,
  resourcePatchSchema,
  tokenInputSchema,
  type User,
  userInputSchema,
  userPatchSchema,
} from '../../shared/domain/entities';
import { ConflictError, NotFoundError, UnprocessableError } from '../../shared/domain/errors';
import { pageQuerySchema } from '../../shared/domain/pagination';
import { AGGREGATIONS, parseMetricQuery } from '../../shared/domain/query';
import type { Permission } from '../../shared/domain/roles';
import type { Collector } from '../../shared/domain/tenant';
import { parseOrThrow } from '../../shared/domain/validation';
import * as z from '../../shared/domain/zod';
import {
  authenticate,
  invalidateCredential,
  type Principal,
  requirePermission,
  sourceIpOf,
} from '../../shared/http/auth';
import { readJson, requireMediaType } from '../../shared/http/body';
import { httpHandler, type Observability, type Route, router } from '../../shared/http/handler';
import { json } from '../../shared/http/response';
import type { RouteSpec } from '../../shared/http/routes';
import { type HttpEvent, type HttpHandler, type HttpResult, header } from '../../shared/http/types';
import type { AuditLog, AuditLogReader } from '../../shared/ports/audit-log';
import type { Clock } from '../../shared/ports/clock';
import type { ConsoleUserDirectory } from '../../shared/ports/console-identity';
import type { KeyService } from '../../shared/ports/key-service';
import type { MetricStore } from '../../shared/ports/metric-store';
import type { EntityKind, EntityTypes, TenantStore } from '../../shared/ports/tenant-store';
import { FieldCrypto } from './field-crypto';
import { buildOpenApiDocument } from './openapi';
import {
  auditEventView,
  collectorConfigView,
  collectorCreatedView,
  collectorView,
  consoleInvitationView,
  deviceCredentialView,
  pageOf,
  resourceView,
  seriesView,
  toCollectorView,
  toDeviceCredentialView,
  tokenIssuedView,
  tokenView,
  toResourceView,
  toTokenView,
  toUserView,
  userView,
} from './views';

export interface ApiDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  /** Required for anything with confidential fields (device credentials, users, secret properties). */
  readonly keys?: KeyService;
  /** Without one (some fault tests), changes are not recorded and the audit query is empty. */
  readonly audit?: AuditLog & AuditLogReader;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Console logins (Cognito user pool / local twin); without one, console access is 404. */
  readonly consoleUsers?: ConsoleUserDirectory;
}

const NO_AUDIT: AuditLog & AuditLogReader = {
  append: async () => undefined,
  query: async () => ({ items: [] }),
};

const NO_KEYS: KeyService = {
  createTenantKey: async () => {
    throw new Error('no key service configured');
  },
  encrypt: async () => {
    throw new Error('no key service configured');
  },
  decrypt: async () => {
    throw new Error('no key service configured');
  },
  destroyTenantKey: async () => {
    throw new Error('no key service configured');
  },
};

interface Request<B, Q> {
  readonly event: HttpEvent;
  readonly principal: Principal;
  readonly params: Record<string, string>;
  readonly body: B;
  readonly query: Q;
}

/** One route of the customer API: the router, the authorizer check and /openapi.json all read it. */
export interface Operation {
  readonly method: RouteSpec['method'];
  readonly path: string;
  readonly summary: string;
  /** Which credential the route takes; `public` only for the API description itself. */
  readonly auth: 'tenant' | 'ingest' | 'public';
  /** The one permission a tenant token's role must grant (least privilege per route). */
  readonly permission?: Permission;
  readonly body?: z.ZodMiniType;
  readonly query?: z.ZodMiniType;
  readonly responses: Readonly<Record<number, z.ZodMiniType | null>>;
  readonly run: (request: Request<unknown, unknown>) => Promise<HttpResult>;
}

function op<B extends z.ZodMiniType = z.ZodMiniUnknown, Q extends z.ZodMiniType = z.ZodMiniUnknown>(
  o: Omit<Operation, 'run' | 'body' | 'query'> & {
    body?: B;
    query?: Q;
    run: (request: Request<z.infer<B>, z.infer<Q>>) => Promise<HttpResult>;
  },
): Operation {
  return o as unknown as Operation;
}

const MAX_UPDATE_ATTEMPTS = 5;

/** `If-Match: "3"` → 3. */
function ifMatch(event: HttpEvent): number | undefined {
  const raw = header(event, 'if-match');
  if (raw === undefined) return undefined;
  const version = Number(raw.replace(/^W\//, '').replaceAll('"', '').trim());
  if (!Number.isInteger(version) || version < 1)
    throw new UnprocessableError('If-Match must be a version this API returned', 'if-match');
  return version;
}

const withEtag = (status: number, body: { version: number }) =>
  json(status, body, { etag: `"${body.version}"` });

const resourceListQuery = z.extend(pageQuerySchema, {
  group: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});
const auditQuerySchema = z.extend(pageQuerySchema, {
  from: z.optional(z.iso.datetime({ message: 'from must be an RFC 3339 instant' })),
  to: z.optional(z.iso.datetime({ message: 'to must be an RFC 3339 instant' })),
  action: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});
const metricQueryDoc = z.looseObject({
  metric: z.string(),
  from: z.string().check(z.describe('epoch ms or RFC 3339')),
  to: z.string().check(z.describe('epoch ms or RFC 3339')),
  step: z.optional(z.string()).check(z.describe('seconds')),
  agg: z.optional(z.enum(AGGREGATIONS)),
});

/** The operations of the customer API. `deps` is only touched when an operation runs. */
export function apiOperations(apiDeps: ApiDeps): Operation[] {
  const deps = apiDeps && { ...apiDeps, keys: apiDeps.keys ?? NO_KEYS, audit: apiDeps.audit ?? NO_AUDIT };
  const crypto = deps ? new FieldCrypto(deps.keys, deps.tenants) : (undefined as unknown as FieldCrypto);
  const now = () => deps.clock.now().toISOString();

  async function audit(
    request: Request<unknown, unknown>,
    action: string,
    target: string,
    images: { before?: unknown; after?: unknown } = {},
  ): Promise<void> {
    const ip = sourceIpOf(request.event);
    const event = {
      tenantId: request.principal.tenantId,
      at: now(),
      action,
      actor: request.principal.credential.credentialId,
      outcome: 'success' as const,
      target,
      ...(ip ? { sourceIp: ip } : {}),
      ...images,
    };
    // The change is already stored: a failed append must not turn it into an error the client
    // would retry. One retry, then the (redacted) event goes to the function log, where the
    // audit-append-failed alarm and a replay can pick it up.
    for (let attempt = 1; ; attempt++) {
      try {
        await deps.audit.append(event);
        return;
      } catch (error) {
        if (attempt >= 2) {
          deps.observability.logger.error('audit append failed', {
            auditEvent: event,
            error: error as Error,
          });
          return;
        }
      }
    }
  }

  async function mustGet<K extends EntityKind>(kind: K, tenantId: string, id: string | undefined) {
    const found = id ? await deps.tenants.getEntity(kind, tenantId, id) : undefined;
    if (!found) throw new NotFoundError(`no such ${kind}`);
    return found;
  }

  /**
   * Read, change, conditional write. With If-Match the caller's version must still be current (409
   * otherwise); without it a lost race is retried on fresh data, so no concurrent change is lost.
   */
  async function modify<K extends EntityKind>(
    kind: K,
    request: Request<unknown, unknown>,
    id: string | undefined,
    change: (current: EntityTypes[K]) => Promise<EntityTypes[K]>,
  ): Promise<{ before: EntityTypes[K]; after: EntityTypes[K] }> {
    const expected = ifMatch(request.event);
    for (let attempt = 1; ; attempt++) {
      const current = await mustGet(kind, request.principal.tenantId, id);
      const version = current.version ?? 1;
      if (expected !== undefined && version !== expected)
        throw new ConflictError(`${kind} is at version ${version}, not ${expected}`, 'if-match');
      const next = { ...(await change(current)), updatedAt: now() };
      try {
        return { before: current, after: await deps.tenants.updateEntity(kind, next, version) };
      } catch (error) {
        if (!(error instanceof ConflictError) || expected !== undefined || attempt >= MAX_UPDATE_ATTEMPTS)
          throw error;
      }
    }
  }

  async function remove<K extends EntityKind>(
    kind: K,
    request: Request<unknown, unknown>,
    id: string | undefined,
  ) {
    if (!id) throw new NotFoundError(`no such ${kind}`);
    await mustGet(kind, request.principal.tenantId, id);
    return deps.tenants.deleteEntity(kind, request.principal.tenantId, id, ifMatch(request.event));
  }

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

  async function openUser(u: User): Promise<User> {
    return crypto.openAll(
      'user',
      u.tenantId,
      u as unknown as Record<string, unknown>,
    ) as unknown as Promise<User>;
  }

  const resourcePath = '/v1/resources/{resourceId}';
  const credentialPath = '/v1/device-credentials/{deviceCredentialId}';
  const userPath = '/v1/users/{userId}';
  const tokenPath = '/v1/tokens/{tokenId}';
  const collectorPath = '/v1/collectors/{collectorId}';
  const std = { 401: null, 403: null, 422: null } as const;

  const operations: Operation[] = [
    // ---- collectors
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
        const collector: Collector = {
          tenantId: request.principal.tenantId,
          collectorId: newId(),
          name: request.body.name,
          createdAt: at.toISOString(),
        };
        const ingestKey = issueCredential('ingest', collector.tenantId, at, {
          collectorId: collector.collectorId,
        });
        await deps.tenants.createCollector(collector, ingestKey.record);
        await audit(request, 'collector.create', `collector/${collector.collectorId}`, {
          after: redact('collector', collector),
        });
        return json(201, { ...toCollectorView({ ...collector, version: 1 }), ingestKey: ingestKey.token });
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
        const items = page.items.map(toCollectorView);
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
        withEtag(200, toCollectorView(await mustGet('collector', principal.tenantId, params.collectorId))),
    }),
    op({
      method: 'PATCH',
      path: collectorPath,
      summary: 'Rename a collector',
      auth: 'tenant',
      permission: 'collectors:write',
      body: collectorPatchSchema,
      responses: { 200: collectorView, 404: null, 409: null, ...std },
      run: async (request) => {
        const { before, after } = await modify(
          'collector',
          request,
          request.params.collectorId,
          async (c) => ({
            ...c,
            name: request.body.name,
          }),
        );
        await audit(request, 'collector.update', `collector/${after.collectorId}`, {
          before: redact('collector', before),
          after: redact('collector', after),
        });
        return withEtag(200, toCollectorView(after));
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
    op({
      method: 'GET',
      path: '/v1/collector/config',
      summary: 'The calling collector’s own configuration, with the credentials it needs in clear',
      auth: 'ingest',
      responses: { 200: collectorConfigView, 401: null, 403: null },
      run: async (request) => {
        const { tenantId, credential } = request.principal;
        const collector = await mustGet('collector', tenantId, credential.collectorId);
        const resources: Resource[] = [];
        let cursor: string | undefined;
        do {
          const page = await deps.tenants.listEntities('resource', tenantId, { limit: 100, cursor });
          resources.push(...page.items.filter((r) => r.collectorId === collector.collectorId));
          cursor = page.nextCursor;
        } while (cursor);
        const out = [];
        for (const r of resources) {
          const secure = r.secureProperties
            ? (JSON.parse(
                await crypto.open('resource', tenantId, 'secureProperties', r.secureProperties),
              ) as Record<string, string>)
            : {};
          const credentials = [];
          for (const id of r.credentialIds) {
            const d = await deps.tenants.getEntity('device-credential', tenantId, id);
            if (!d) continue;
            credentials.push({
              deviceCredentialId: d.deviceCredentialId,
              type: d.type,
              secrets: JSON.parse(await crypto.open('device-credential', tenantId, 'secrets', d.secrets)),
            });
          }
          out.push({ ...toResourceView(r), properties: { ...r.properties, ...secure }, credentials });
        }
        await audit(request, 'collector.config.read', `collector/${collector.collectorId}`, {
          after: { resources: resources.length },
        });
        return json(200, { collector: toCollectorView(collector), resources: out });
      },
    }),

    // ---- resources
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

    // ---- device credentials (write-only secrets)
    op({
      method: 'POST',
      path: '/v1/device-credentials',
      summary: 'Store credentials of a monitored system; the secrets are write-only',
      auth: 'tenant',
      permission: 'credentials:write',
      body: deviceCredentialInputSchema,
      responses: { 201: deviceCredentialView, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const credential: DeviceCredential = {
          tenantId,
          deviceCredentialId: newId(),
          name: request.body.name,
          type: request.body.type,
          secrets: await crypto.seal(
            'device-credential',
            tenantId,
            'secrets',
            JSON.stringify(request.body.secrets),
          ),
          version: 1,
          createdAt: now(),
        };
        const stored = await deps.tenants.createEntity('device-credential', credential);
        await audit(request, 'device-credential.create', `device-credential/${stored.deviceCredentialId}`, {
          after: redact('device-credential', stored),
        });
        return withEtag(201, toDeviceCredentialView(stored));
      },
    }),
    op({
      method: 'GET',
      path: '/v1/device-credentials',
      summary: 'List device credentials (metadata only)',
      auth: 'tenant',
      permission: 'credentials:read',
      query: pageQuerySchema,
      responses: { 200: pageOf(deviceCredentialView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listEntities('device-credential', principal.tenantId, query);
        return json(200, { ...page, items: page.items.map(toDeviceCredentialView) });
      },
    }),
    op({
      method: 'GET',
      path: credentialPath,
      summary: 'Get a device credential (metadata only)',
      auth: 'tenant',
      permission: 'credentials:read',
      responses: { 200: deviceCredentialView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(
          200,
          toDeviceCredentialView(
            await mustGet('device-credential', principal.tenantId, params.deviceCredentialId),
          ),
        ),
    }),
    op({
      method: 'PUT',
      path: credentialPath,
      summary: 'Replace a device credential, secrets included',
      auth: 'tenant',
      permission: 'credentials:write',
      body: deviceCredentialInputSchema,
      responses: { 200: deviceCredentialView, 404: null, 409: null, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const sealed = await crypto.seal(
          'device-credential',
          tenantId,
          'secrets',
          JSON.stringify(request.body.secrets),
        );
        const { before, after } = await modify(
          'device-credential',
          request,
          request.params.deviceCredentialId,
          async (current) => ({
            ...current,
            name: request.body.name,
            type: request.body.type,
            secrets: sealed,
          }),
        );
        await audit(request, 'device-credential.update', `device-credential/${after.deviceCredentialId}`, {
          before: redact('device-credential', before),
          after: redact('device-credential', after),
        });
        return withEtag(200, toDeviceCredentialView(after));
      },
    }),
    op({
      method: 'DELETE',
      path: credentialPath,
      summary: 'Delete a device credential',
      auth: 'tenant',
      permission: 'credentials:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('device-credential', request, request.params.deviceCredentialId);
        await audit(request, 'device-credential.delete', `device-credential/${removed.deviceCredentialId}`, {
          before: redact('device-credential', removed),
        });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),

    // ---- users (personal data: encrypted at rest)
    op({
      method: 'POST',
      path: '/v1/users',
      summary: 'Add a person (name, email and phone are encrypted at rest)',
      auth: 'tenant',
      permission: 'users:write',
      body: userInputSchema,
      responses: { 201: userView, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const user: User = { tenantId, userId: newId(), ...request.body, version: 1, createdAt: now() };
        const stored = await deps.tenants.createEntity(
          'user',
          (await crypto.sealAll(
            'user',
            tenantId,
            user as unknown as Record<string, unknown>,
          )) as unknown as User,
        );
        await audit(request, 'user.create', `user/${user.userId}`, { after: redact('user', stored) });
        return withEtag(201, toUserView({ ...user, version: stored.version }));
      },
    }),
    op({
      method: 'GET',
      path: '/v1/users',
      summary: 'List people',
      auth: 'tenant',
      permission: 'users:read',
      query: pageQuerySchema,
      responses: { 200: pageOf(userView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listEntities('user', principal.tenantId, query);
        const items = [];
        for (const u of page.items) items.push(toUserView(await openUser(u)));
        return json(200, { ...page, items });
      },
    }),
    op({
      method: 'GET',
      path: userPath,
      summary: 'Get a person',
      auth: 'tenant',
      permission: 'users:read',
      responses: { 200: userView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(200, toUserView(await openUser(await mustGet('user', principal.tenantId, params.userId)))),
    }),
    op({
      method: 'PATCH',
      path: userPath,
      summary: 'Change some fields of a person',
      auth: 'tenant',
      permission: 'users:write',
      body: userPatchSchema,
      responses: { 200: userView, 404: null, 409: null, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const sealedPatch = await crypto.sealAll('user', tenantId, request.body as Record<string, unknown>);
        const { before, after } = await modify('user', request, request.params.userId, async (current) => ({
          ...current,
          ...sealedPatch,
        }));
        await audit(request, 'user.update', `user/${after.userId}`, {
          before: redact('user', before),
          after: redact('user', after),
        });
        return withEtag(200, toUserView(await openUser(after)));
      },
    }),
    op({
      method: 'DELETE',
      path: userPath,
      summary: 'Remove a person',
      auth: 'tenant',
      permission: 'users:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('user', request, request.params.userId);
        await audit(request, 'user.delete', `user/${removed.userId}`, { before: redact('user', removed) });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),

    op({
      method: 'POST',
      path: `${userPath}/console-access`,
      summary: 'Let a person sign in to the console: a temporary password (shown once), then TOTP enrolment',
      auth: 'tenant',
      permission: 'users:write',
      responses: { 201: consoleInvitationView, 404: null, 409: null, ...std },
      run: async (request) => {
        if (!deps.consoleUsers) throw new NotFoundError('console sign-in is not configured here');
        const user = await openUser(await mustGet('user', request.principal.tenantId, request.params.userId));
        const invitation = await deps.consoleUsers.invite({
          email: user.email,
          tenantId: user.tenantId,
          userId: user.userId,
          group: user.role,
        });
        await audit(request, 'user.console-access', `user/${user.userId}`);
        return json(201, invitation);
      },
    }),

    // ---- API tokens
    op({
      method: 'POST',
      path: '/v1/tokens',
      summary: 'Create an API token with a role (the token is shown once)',
      auth: 'tenant',
      permission: 'tokens:manage',
      body: tokenInputSchema,
      responses: { 201: tokenIssuedView, ...std },
      run: async (request) => {
        const issued = issueCredential('tenant', request.principal.tenantId, deps.clock.now(), {
          role: request.body.role,
          name: request.body.name,
        });
        await deps.tenants.createCredential(issued.record);
        await audit(request, 'token.create', `token/${issued.record.credentialId}`, {
          after: redact('credential', issued.record),
        });
        return json(201, { ...toTokenView({ ...issued.record, version: 1 }), token: issued.token });
      },
    }),
    op({
      method: 'GET',
      path: '/v1/tokens',
      summary: 'List API tokens (never their secrets)',
      auth: 'tenant',
      permission: 'tokens:manage',
      query: pageQuerySchema,
      responses: { 200: pageOf(tokenView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listCredentials(principal.tenantId, query);
        return json(200, { ...page, items: page.items.filter((c) => c.kind === 'tenant').map(toTokenView) });
      },
    }),
    op({
      method: 'POST',
      path: `${tokenPath}/rotate`,
      summary: 'New secret for a token; the old one stops working at once',
      auth: 'tenant',
      permission: 'tokens:manage',
      responses: { 200: tokenIssuedView, 404: null, 409: null, ...std },
      run: async (request) => {
        const current = await ownToken(request.principal, request.params.tokenId);
        if (current.revokedAt) throw new ConflictError('a revoked token cannot be rotated', 'tokenId');
        const rotated = rotateCredential(current, deps.clock.now());
        const stored = await deps.tenants.updateCredential(rotated.record, current.version ?? 1);
        invalidateCredential(deps.tenants, current.credentialId);
        await audit(request, 'token.rotate', `token/${current.credentialId}`, {
          before: redact('credential', current),
          after: redact('credential', stored),
        });
        return json(200, { ...toTokenView(stored), token: rotated.token });
      },
    }),
    op({
      method: 'DELETE',
      path: tokenPath,
      summary: 'Revoke a token, at once',
      auth: 'tenant',
      permission: 'tokens:manage',
      responses: { 200: tokenView, 404: null, 409: null, ...std },
      run: async (request) => {
        const current = await ownToken(request.principal, request.params.tokenId);
        if (!current.revokedAt && current.role === 'admin' && !(await anotherActiveAdmin(current)))
          throw new ConflictError(
            'this is the last admin token; create another admin token first',
            'tokenId',
          );
        const stored = current.revokedAt
          ? current
          : await deps.tenants.updateCredential({ ...current, revokedAt: now() }, current.version ?? 1);
        invalidateCredential(deps.tenants, current.credentialId);
        await audit(request, 'token.revoke', `token/${current.credentialId}`, {
          before: redact('credential', current),
          after: redact('credential', stored),
        });
        return json(200, toTokenView(stored));
      },
    }),

    // ---- audit log and metrics
    op({
      method: 'GET',
      path: '/v1/audit-events',
      summary: 'The tenant’s audit log, newest first',
      auth: 'tenant',
      permission: 'audit:read',
      query: auditQuerySchema,
      responses: { 200: pageOf(auditEventView), ...std },
      run: async ({ principal, query }) => {
        const { from, to, action, ...page } = query;
        const result = await deps.audit.query(principal.tenantId, { from, to, action }, page);
        return json(200, { ...result, items: result.items.map(({ tenantId: _t, ...e }) => e) });
      },
    }),
    op({
      method: 'GET',
      path: '/v1/metrics/query',
      summary: 'Query a metric; other query parameters filter on dimensions',
      auth: 'tenant',
      permission: 'metrics:read',
      query: metricQueryDoc,
      responses: { 200: seriesView, ...std },
      run: async ({ principal, event }) => {
        const params: Record<string, string | undefined> = { ...(event.queryStringParameters ?? {}) };
        const series = await deps.metrics.query(principal.tenantId, parseMetricQuery(params));
        return json(200, { series });
      },
    }),
  ];

  async function ownToken(principal: Principal, tokenId: string | undefined) {
    const credential = tokenId ? await deps.tenants.getCredential(tokenId) : undefined;
    // Another tenant's token, or an ingest key, is "not found" here: existence is not revealed.
    if (!credential || credential.tenantId !== principal.tenantId || credential.kind !== 'tenant')
      throw new NotFoundError('no such token');
    return credential;
  }

  /** Whether the tenant keeps an admin token once `token` is revoked (so it cannot lock itself out). */
  async function anotherActiveAdmin(token: CredentialRecord): Promise<boolean> {
    let cursor: string | undefined;
    do {
      const page = await deps.tenants.listCredentials(token.tenantId, { limit: 100, cursor });
      for (const c of page.items)
        if (
          c.kind === 'tenant' &&
          c.role === 'admin' &&
          !c.revokedAt &&
          c.credentialId !== token.credentialId
        )
          return true;
      cursor = page.nextCursor;
    } while (cursor);
    return false;
  }

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

  operations.push(
    op({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This API, described in OpenAPI 3.1',
      auth: 'public',
      responses: { 200: null },
      run: async () => json(200, buildOpenApiDocument(operations)),
    }),
  );
  return operations;
}

/** The OpenAPI document without a running API (for docs and tests). */
export function apiOpenApiDocument(): unknown {
  return buildOpenApiDocument(apiOperations(undefined as unknown as ApiDeps));
}

/** The customer API: everything a tenant's own tooling does, scoped to the tenant of its token. */
export function createApiHandler(deps: ApiDeps): HttpHandler {
  const routes: Record<string, Route> = {};
  for (const operation of apiOperations(deps)) {
    routes[`${operation.method} ${operation.path}`] = async (event) => {
      let principal = undefined as unknown as Principal;
      if (operation.auth !== 'public') {
        principal = await authenticate(event, deps.tenants, operation.auth);
        if (operation.permission) requirePermission(principal, operation.permission);
      }
      let body: unknown;
      if (operation.body) {
        if (event.body) requireMediaType(event, ['application/json']);
        body = parseOrThrow(operation.body, readJson(event) ?? {});
      }
      const query = operation.query
        ? parseOrThrow(operation.query, { ...(event.queryStringParameters ?? {}) })
        : undefined;
      const params = { ...(event.pathParameters ?? {}) } as Record<string, string>;
      return operation.run({ event, principal, params, body, query });
    };
  }
  return httpHandler(deps.observability, router(routes));
}
