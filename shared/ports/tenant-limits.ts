import type { StoredLimitOverrides, TenantLimitOverrides } from '#domain/guardrails/limits';

/**
 * A tenant's limit overrides, kept with the tenant (metadata table, pk TENANT#<id>, sk LIMITS).
 * `put` names the version it read (0 when there were none) and fails with ConflictError otherwise.
 */
export interface TenantLimitsStore {
  get(tenantId: string): Promise<StoredLimitOverrides | undefined>;
  put(
    tenantId: string,
    overrides: TenantLimitOverrides,
    expectedVersion: number,
    updatedAt: string,
  ): Promise<StoredLimitOverrides>;
}
