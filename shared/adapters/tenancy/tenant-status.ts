/**
 * Whether a tenant's data may still be written, for the writers that act after the fact: the replay
 * of batches parked during a store outage and the lazy creation of a tenant's table. Offboarding
 * erases a tenant's data; a parked batch replayed afterwards, or a table created again, would bring
 * it back. Ingest itself is covered by authentication (a tenant that is not active has no credential
 * that works).
 */
import { ForbiddenError } from '#domain/errors';
import type { Tenant } from '#domain/tenant';
import type { TenantStore } from '#ports/tenant-store';

/** All a status check needs of the tenant store. */
export type TenantStatusSource = Pick<TenantStore, 'getTenant'>;

/** The tenant's status, or `unknown` when it has no record (never onboarded here, or purged). */
export type TenantDataStatus = Tenant['status'] | 'unknown';

/** Only an active tenant's data is written; `offboarding` is already past the point of no return. */
export const acceptsData = (status: TenantDataStatus): boolean => status === 'active';

export async function tenantDataStatus(
  tenants: TenantStatusSource,
  tenantId: string,
): Promise<TenantDataStatus> {
  return (await tenants.getTenant(tenantId))?.status ?? 'unknown';
}

/** A store refused to create storage for a tenant whose data may no longer be written. */
export class TenantNotActiveError extends ForbiddenError {
  constructor(
    readonly tenantId: string,
    readonly tenantStatus: TenantDataStatus,
  ) {
    super(`tenant ${tenantId} is ${tenantStatus}: its data is no longer accepted`);
  }
}

/** How long a replay instance trusts a status it read; the same bound as an authentication decision. */
export const DEFAULT_TENANT_STATUS_TTL_MS = 10_000;

/**
 * Tenant statuses cached per function instance for a short TTL, so a replay of many batches of one
 * tenant reads its record once. A failed read is not cached. A stale `active` is covered by the store:
 * the Timestream adapter reads the status afresh before it creates a table (timestream-tables.ts).
 */
export class TenantStatusCache {
  private readonly entries = new Map<string, { at: number; status: Promise<TenantDataStatus> }>();
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(
    private readonly tenants: TenantStatusSource,
    options: { ttlMs?: number; now?: () => number } = {},
  ) {
    this.ttlMs = options.ttlMs ?? DEFAULT_TENANT_STATUS_TTL_MS;
    this.now = options.now ?? Date.now;
  }

  status(tenantId: string): Promise<TenantDataStatus> {
    const now = this.now();
    const cached = this.entries.get(tenantId);
    if (cached && now - cached.at < this.ttlMs) return cached.status;
    if (this.entries.size >= 10_000) this.evictExpired(now);
    const status = tenantDataStatus(this.tenants, tenantId);
    this.entries.set(tenantId, { at: now, status });
    status.catch(() => {
      if (this.entries.get(tenantId)?.status === status) this.entries.delete(tenantId);
    });
    return status;
  }

  private evictExpired(now: number): void {
    for (const [tenantId, entry] of this.entries)
      if (now - entry.at >= this.ttlMs) this.entries.delete(tenantId);
  }
}
