import { NotFoundError, UnprocessableError } from '#domain/errors';
import {
  DEFAULT_TENANT_LIMITS,
  effectiveLimits,
  type StoredLimitOverrides,
  tenantLimitOverridesSchema,
} from '#domain/guardrails/limits';
import { parseOrThrow } from '#domain/validation';
import { authenticate, authenticateProviderAudited } from '#http/auth';
import { readJson, requireMediaType } from '#http/body';
import { httpHandler, type Observability, router } from '#http/handler';
import { json } from '#http/response';
import { type HttpEvent, type HttpHandler, header } from '#http/types';
import { type UsageReportDeps, usageReport } from '#ingest/usage-report';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { TenantLimitsStore } from '#ports/tenant-limits';
import type { TenantStore } from '#ports/tenant-store';

export interface LimitsDeps extends UsageReportDeps {
  readonly tenants: TenantStore;
  readonly limits: TenantLimitsStore;
  /** SHA-256 (base64url) of the provider's admin token. */
  readonly providerTokenHash: () => Promise<string>;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Every provider authentication and every limit change is recorded here. */
  readonly audit: AuditLog;
}

/**
 * Tenant limits: the provider reads and changes a tenant's overrides; a tenant reads its usage
 * against its limits. Ingest picks changes up within LIMITS_CACHE_TTL_MS.
 */
export function createLimitsHandler(deps: LimitsDeps): HttpHandler {
  function view(tenantId: string, stored: StoredLimitOverrides | undefined) {
    const version = stored?.version ?? 0;
    return json(
      200,
      {
        tenantId,
        limits: effectiveLimits(stored?.overrides),
        overrides: stored?.overrides ?? {},
        defaults: DEFAULT_TENANT_LIMITS,
        version,
        ...(stored ? { updatedAt: stored.updatedAt } : {}),
      },
      { etag: `"${version}"` },
    );
  }

  async function existingTenant(event: HttpEvent): Promise<string> {
    await authenticateProviderAudited(event, await deps.providerTokenHash(), deps.audit, deps.clock);
    const tenantId = event.pathParameters?.tenantId ?? '';
    const tenant = await deps.tenants.getTenant(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`, 'tenantId');
    return tenantId;
  }

  async function getLimits(event: HttpEvent) {
    const tenantId = await existingTenant(event);
    return view(tenantId, await deps.limits.get(tenantId));
  }

  /**
   * Replaces the tenant's overrides (absent fields fall back to the defaults). With If-Match, only
   * if the stored version is still that one (409 otherwise); without, against the version just read.
   */
  async function putLimits(event: HttpEvent) {
    const tenantId = await existingTenant(event);
    requireMediaType(event, ['application/json']);
    const overrides = parseOrThrow(tenantLimitOverridesSchema, readJson(event));
    const limits = effectiveLimits(overrides);
    if (limits.requestRate > 0 && limits.requestBurstSize < 1)
      throw new UnprocessableError(
        'requestBurstSize must be at least 1 when requestRate is set',
        'requestBurstSize',
      );
    const ifMatch = header(event, 'if-match');
    let expected: number | undefined;
    if (ifMatch !== undefined) {
      const parsed = /^"?(\d+)"?$/.exec(ifMatch.trim());
      if (!parsed) throw new UnprocessableError('If-Match must be a version ETag such as "3"', 'if-match');
      expected = Number(parsed[1]);
    }
    const before = await deps.limits.get(tenantId);
    expected ??= before?.version ?? 0;
    const now = deps.clock.now().toISOString();
    const stored = await deps.limits.put(tenantId, overrides, expected, now);
    // The provider's trail (ids and numbers only, so it may outlive offboarding), like tenant.create.
    await deps.audit.append({
      tenantId: PROVIDER_AUDIT_PARTITION,
      at: now,
      action: 'tenant.limits.update',
      actor: 'provider',
      outcome: 'success',
      target: `tenant/${tenantId}`,
      before: { overrides: before?.overrides ?? {}, version: before?.version ?? 0 },
      after: { overrides: stored.overrides, version: stored.version },
    });
    deps.observability.logger.info('tenant limits changed', { tenantId, overrides, version: stored.version });
    return view(tenantId, stored);
  }

  /** The calling tenant's usage against each limit, with warnings at 80 %. */
  async function getUsage(event: HttpEvent) {
    const { tenantId } = await authenticate(event, deps.tenants, 'tenant');
    const stored = await deps.limits.get(tenantId);
    const report = await usageReport(
      deps,
      tenantId,
      effectiveLimits(stored?.overrides),
      deps.clock.now().getTime(),
    );
    return json(200, { tenantId, ...report });
  }

  return httpHandler(
    deps.observability,
    router({
      'GET /admin/v1/tenants/{tenantId}/limits': getLimits,
      'PUT /admin/v1/tenants/{tenantId}/limits': putLimits,
      'GET /v1/usage': getUsage,
    }),
  );
}
