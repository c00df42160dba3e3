/**
 * Authentication and authorization of every request, in one place.
 *
 * - The tenant always comes from the credential, never from the request.
 * - Unknown, malformed, revoked, wrong secret, inactive tenant: 401. A valid credential of the wrong
 *   kind (an ingest key on the customer API, a tenant token on ingest) or a role without the route's
 *   permission: 403.
 * - Decisions are cached per function instance for a short TTL (default 10 s, AUTH_CACHE_TTL_SECONDS),
 *   keyed by credential id *and* the hash of the whole presented token (kind prefix included), so a
 *   wrong secret or a swapped kind prefix never rides on a cached success; the token's kind is checked
 *   against the credential's on every request, cached or not, so the same string gets the same answer
 *   whatever the cache holds. Revocation and rotation invalidate the cache of the instance that performs them
 *   at once; any other instance (another Lambda container, the ingest function) notices within the
 *   TTL. That TTL is the documented upper bound on how long a revoked token can still be used.
 * - With an audit log configured for the store (configureAuth), every decision that reaches the store
 *   is recorded (`auth.success` / `auth.failure` with source IP, credential id and a reason, never the
 *   secret); cached successes are not recorded again within the TTL, failures are never cached.
 * - Console users present an ID token (a JWT: Cognito's, or the local twin's of the same shape) where
 *   tenant tokens go; with a verifier configured (configureAuth `consoleTokens`) it stands for a tenant
 *   credential with the role of its `cognito:groups` and the tenant of its `custom:tenant_id`, while
 *   the user record of its `custom:user_id` exists (deleting the person ends their sessions). Their
 *   sign-ins are audited by the identity provider; failures here are audited as above.
 */
import {
  bearerToken,
  type CredentialKind,
  type CredentialRecord,
  hashSecret,
  parseToken,
  secretMatches,
  type TenantRole,
} from '#domain/credentials';
import { ForbiddenError, UnauthorizedError, UnavailableError } from '#domain/errors';
import { type RegionSettings, requireHomeRegion } from '#domain/region';
import { type Permission, roleAtLeast, roleGrants } from '#domain/roles';
import type { Tenant } from '#domain/tenant';
import { type AuditLog, isAuthFailureLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import { type Clock, systemClock } from '#ports/clock';
import { type ConsoleTokenVerifier, PROVIDER_GROUP } from '#ports/console-identity';
import type { TenantStore } from '#ports/tenant-store';
import { type HttpEvent, header } from './types';

export interface Principal {
  readonly tenantId: string;
  readonly credential: CredentialRecord;
}

export interface AuthOptions {
  readonly audit?: AuditLog;
  readonly clock?: Clock;
  /** Decision cache TTL; 0 disables caching. */
  readonly cacheTtlMs?: number;
  /** Verifies console users' ID tokens; without one, a JWT is refused like any malformed token. */
  readonly consoleTokens?: ConsoleTokenVerifier;
  /**
   * The region serving here: a tenant whose home is another region is refused with 421 (its data is
   * neither served nor stored here). Absent: no home-region check (single-region tests).
   */
  readonly region?: RegionSettings;
}

export const DEFAULT_AUTH_CACHE_TTL_MS = 10_000;

interface AuthContext {
  readonly options: AuthOptions;
  readonly cache: Map<string, { principal: Principal; expiresAt: number }>;
}

const contexts = new WeakMap<TenantStore, AuthContext>();

function contextOf(store: TenantStore): AuthContext {
  let context = contexts.get(store);
  if (!context) {
    context = { options: {}, cache: new Map() };
    contexts.set(store, context);
  }
  return context;
}

/** Sets the audit log, clock and cache TTL used when authenticating against `store`. */
export function configureAuth(store: TenantStore, options: AuthOptions): void {
  contexts.set(store, { options, cache: new Map() });
}

/** Forgets cached decisions of one credential (call on rotate and revoke). */
export function invalidateCredential(store: TenantStore, credentialId: string): void {
  const { cache } = contextOf(store);
  for (const key of cache.keys()) if (key.startsWith(`${credentialId}:`)) cache.delete(key);
}

/** Forgets cached decisions of every credential of a tenant (offboarding). */
export function invalidateTenant(store: TenantStore, tenantId: string): void {
  const { cache } = contextOf(store);
  for (const [key, entry] of cache) if (entry.principal.tenantId === tenantId) cache.delete(key);
}

/** The tenant each event authenticated as (traces annotate a hash of it: shared/http/tracing.ts). */
const authenticatedTenants = new WeakMap<HttpEvent, string>();
export const authenticatedTenantOf = (event: HttpEvent): string | undefined =>
  authenticatedTenants.get(event);

export const sourceIpOf = (event: HttpEvent): string | undefined =>
  event.requestContext?.identity?.sourceIp ?? undefined;

const unauthorized = () => new UnauthorizedError('a valid bearer token is required', 'authorization');

export async function authenticate(
  event: HttpEvent,
  store: TenantStore,
  kind: CredentialKind,
): Promise<Principal> {
  const context = contextOf(store);
  const { audit, clock = systemClock } = context.options;
  const ttl = context.options.cacheTtlMs ?? envTtlMs();
  const now = clock.now();
  const target = `${event.httpMethod} ${event.resource}`;
  const record = async (
    outcome: 'success' | 'failure',
    tenantId: string,
    actor: string,
    reason?: string,
  ): Promise<void> => {
    await audit?.append({
      tenantId,
      at: now.toISOString(),
      action: `auth.${outcome}`,
      actor,
      outcome,
      target,
      ...(sourceIpOf(event) ? { sourceIp: sourceIpOf(event) } : {}),
      ...(reason ? { reason } : {}),
    });
  };
  const succeed = async (tenantId: string, actor: string) => {
    try {
      await record('success', tenantId, actor);
    } catch (cause) {
      // Fail closed: an authentication that cannot be recorded does not happen.
      throw new UnavailableError('the audit log is unavailable; retry', 1, { cause });
    }
  };
  // A refusal stays a refusal whether or not it could be recorded: anyone can cause one, so its
  // write must never decide anything (a throttled audit table would otherwise answer 503).
  const fail = async (tenantId: string, actor: string, reason: string, error: Error = unauthorized()) => {
    await recordFailure(audit, tenantId, actor, reason, event, now).catch(() => undefined);
    return error;
  };

  // Decided before anything is cached: a cached success is only ever one in the tenant's home.
  const homeRegionOrFail = async (tenant: Tenant, actor: string) => {
    const { region } = context.options;
    if (!region) return;
    try {
      requireHomeRegion(tenant, region);
    } catch (error) {
      throw await fail(tenant.tenantId, actor, `not the home region (${region.region})`, error as Error);
    }
  };

  const token = bearerToken(header(event, 'authorization'));
  if (token && context.options.consoleTokens && looksLikeJwt(token)) {
    const claims = await context.options.consoleTokens.verify(token);
    if (!claims) throw await fail(PROVIDER_AUDIT_PARTITION, 'console', 'invalid console token');
    const actor = `console:${claims.sub}`;
    if (!claims.tenantId) throw await fail(PROVIDER_AUDIT_PARTITION, actor, 'console token names no tenant');
    const role = consoleRole(claims.groups);
    if (!role) throw await fail(claims.tenantId, actor, 'console token carries no tenant role');
    const tenant = await store.getTenant(claims.tenantId);
    if (tenant?.status !== 'active') throw await fail(claims.tenantId, actor, 'tenant not active');
    await homeRegionOrFail(tenant, actor);
    // A deleted person's tokens stop at once (an ID token cannot be revoked; its user record can go).
    if (!claims.userId || !(await store.getEntity('user', claims.tenantId, claims.userId)))
      throw await fail(claims.tenantId, actor, 'console user no longer exists');
    if (kind !== 'tenant')
      throw await fail(
        claims.tenantId,
        actor,
        `a console token where ${kind} is needed`,
        new ForbiddenError(`this route needs a ${kind} credential`, 'authorization'),
      );
    return {
      tenantId: claims.tenantId,
      credential: {
        credentialId: actor,
        kind: 'tenant',
        tenantId: claims.tenantId,
        secretHash: '',
        role,
        createdAt: new Date(claims.issuedAtMs).toISOString(),
      },
    };
  }
  const parsed = token ? parseToken(token) : undefined;
  if (!parsed) throw await fail(PROVIDER_AUDIT_PARTITION, 'unknown', token ? 'malformed token' : 'no token');

  const cacheKey = `${parsed.credentialId}:${hashSecret(token!)}`;
  const cached = context.cache.get(cacheKey);
  let principal: Principal;
  if (cached && cached.expiresAt > now.getTime()) {
    principal = cached.principal;
    if (principal.credential.kind !== parsed.kind)
      throw await fail(principal.tenantId, parsed.credentialId, 'token kind does not match credential');
  } else {
    context.cache.delete(cacheKey);
    const credential = await store.getCredential(parsed.credentialId);
    if (!credential) throw await fail(PROVIDER_AUDIT_PARTITION, parsed.credentialId, 'unknown credential');
    if (credential.revokedAt) throw await fail(credential.tenantId, parsed.credentialId, 'revoked');
    if (!secretMatches(parsed.secret, credential.secretHash))
      throw await fail(credential.tenantId, parsed.credentialId, 'secret mismatch');
    if (credential.kind !== parsed.kind)
      throw await fail(credential.tenantId, parsed.credentialId, 'token kind does not match credential');
    const tenant = await store.getTenant(credential.tenantId);
    if (tenant?.status !== 'active')
      throw await fail(credential.tenantId, parsed.credentialId, 'tenant not active');
    await homeRegionOrFail(tenant, parsed.credentialId);
    principal = { tenantId: credential.tenantId, credential };
    if (ttl > 0) context.cache.set(cacheKey, { principal, expiresAt: now.getTime() + ttl });
    if (credential.kind === kind) await succeed(credential.tenantId, credential.credentialId);
  }
  if (principal.credential.kind !== kind) {
    throw await fail(
      principal.tenantId,
      principal.credential.credentialId,
      `a ${principal.credential.kind} credential where ${kind} is needed`,
      new ForbiddenError(`this route needs a ${kind} credential`, 'authorization'),
    );
  }
  authenticatedTenants.set(event, principal.tenantId);
  return principal;
}

/** 403 unless the principal's role grants `permission` (shared/domain/roles.ts). */
export function requirePermission(principal: Principal, permission: Permission): void {
  if (!roleGrants(principal.credential.role, permission))
    throw new ForbiddenError(`this action needs the ${permission} permission`, 'authorization');
}

/** 403 unless the principal's role is at least `role` (admin ⊃ operator ⊃ read-only). */
export function requireRole(principal: Principal, role: TenantRole): void {
  if (principal.credential.kind !== 'tenant' || !roleAtLeast(principal.credential.role, role))
    throw new ForbiddenError(`this action needs the ${role} role`, 'authorization');
}

/** The provider's admin token: compared by hash, in constant time. Synchronous on purpose. */
export function authenticateProvider(event: HttpEvent, providerTokenHash: string): void {
  const token = bearerToken(header(event, 'authorization'));
  if (!token || !secretMatches(token, providerTokenHash)) throw unauthorized();
}

/** A console ID token's tenant role: the highest role among its groups. */
function consoleRole(groups: readonly string[]): TenantRole | undefined {
  const roles = (['admin', 'operator', 'read-only'] as const).filter((r) => groups.includes(r));
  return roles[0];
}

const looksLikeJwt = (token: string): boolean => token.startsWith('eyJ') && token.split('.').length === 3;

/**
 * authenticateProvider, recording success in the provider's audit partition (fail closed) and counting
 * failure apart (recordFailure), never letting that count decide the answer. With `consoleTokens`, a
 * console ID token of the `provider` group is accepted too (the provider view).
 */
export async function authenticateProviderAudited(
  event: HttpEvent,
  providerTokenHash: string,
  audit: AuditLog,
  clock: Clock = systemClock,
  consoleTokens?: ConsoleTokenVerifier,
): Promise<void> {
  const now = clock.now();
  let actor = 'provider';
  try {
    const token = bearerToken(header(event, 'authorization'));
    if (token && consoleTokens && looksLikeJwt(token)) {
      const claims = await consoleTokens.verify(token);
      if (claims) actor = `console:${claims.sub}`;
      if (!claims?.groups.includes(PROVIDER_GROUP) || claims.tenantId) throw unauthorized();
    } else authenticateProvider(event, providerTokenHash);
  } catch (error) {
    await recordFailure(
      audit,
      PROVIDER_AUDIT_PARTITION,
      'provider',
      'provider token mismatch',
      event,
      now,
    ).catch(() => undefined);
    throw error;
  }
  try {
    await audit.append({
      tenantId: PROVIDER_AUDIT_PARTITION,
      at: now.toISOString(),
      action: 'auth.success',
      actor,
      outcome: 'success',
      target: `${event.httpMethod} ${event.resource}`,
      ...(sourceIpOf(event) ? { sourceIp: sourceIpOf(event) } : {}),
    });
  } catch (cause) {
    throw new UnavailableError('the audit log is unavailable; retry', 1, { cause });
  }
}

/**
 * A failure naming no tenant (the provider partition's) is counted per source, reason and minute in
 * its own sharded partitions (AuthFailureLog) where the audit log can; one naming a tenant is an
 * event of that tenant's trail.
 */
async function recordFailure(
  audit: AuditLog | undefined,
  tenantId: string,
  actor: string,
  reason: string,
  event: HttpEvent,
  at: Date,
): Promise<void> {
  if (!audit) return;
  const target = `${event.httpMethod} ${event.resource}`;
  const sourceIp = sourceIpOf(event);
  if (tenantId === PROVIDER_AUDIT_PARTITION && isAuthFailureLog(audit)) {
    await audit.countAuthFailure({ at: at.toISOString(), reason, target, ...(sourceIp ? { sourceIp } : {}) });
    return;
  }
  await audit.append({
    tenantId,
    at: at.toISOString(),
    action: 'auth.failure',
    actor,
    outcome: 'failure',
    target,
    ...(sourceIp ? { sourceIp } : {}),
    reason,
  });
}

function envTtlMs(): number {
  const seconds = Number(process.env.AUTH_CACHE_TTL_SECONDS);
  return Number.isFinite(seconds) && seconds >= 0 && process.env.AUTH_CACHE_TTL_SECONDS !== undefined
    ? seconds * 1000
    : DEFAULT_AUTH_CACHE_TTL_MS;
}
