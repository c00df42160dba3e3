/**
 * What the customer API's resource modules share: the dependencies, field encryption, the audit
 * trail of every change, and the read-change-conditional-write cycle with If-Match.
 */
import { ConflictError, NotFoundError } from '#domain/errors';
import type { RegionSettings } from '#domain/region';
import { sourceIpOf } from '#http/auth';
import type { Observability } from '#http/handler';
import type { AlertStore } from '#ports/alert-store';
import type { AuditLog, AuditLogReader } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { ConsoleUserDirectory } from '#ports/console-identity';
import type { KeyService } from '#ports/key-service';
import type { LogStore } from '#ports/log-store';
import type { MetricStore } from '#ports/metric-store';
import type { EntityKind, EntityTypes, TenantStore } from '#ports/tenant-store';
import { FieldCrypto } from './field-crypto';
import { ifMatch, type Request } from './operation';

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
  /** The log store; without one log search is 404. */
  readonly logs?: LogStore;
  /** Alerts, for a log search narrowed to an alert's resource (`alertId`); without it that is a 422. */
  readonly alerts?: Pick<AlertStore, 'getAlert' | 'getRule'>;
  /** Home regions: the collector config names the tenant's home and its endpoints. */
  readonly region?: RegionSettings;
  /**
   * A collector that was down beat again (the local platform clears its collector-down alert at once;
   * on AWS the evaluator's next pass does, within a minute).
   */
  readonly onCollectorUp?: (tenantId: string) => Promise<void>;
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

const MAX_UPDATE_ATTEMPTS = 5;

export type ApiContext = ReturnType<typeof createApiContext>;

/** `apiDeps` is only touched when an operation runs (the OpenAPI document builds without it). */
export function createApiContext(apiDeps: ApiDeps) {
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

  return { deps, crypto, now, audit, mustGet, modify, remove };
}
