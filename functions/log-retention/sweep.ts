/**
 * The log retention sweep (docs/logs.md, "Retention and erasure"): every tenant whose
 * `logRetentionDays` is shorter than what the store keeps (the bucket's lifecycle rule, the upper
 * bound) has its lines older than that removed. One run does at most `budget` units of work (objects
 * in AWS) and answers a cursor (the tenant list's) when it stopped early; the next run resumes there,
 * and a tenant it stopped inside resumes at its oldest hour left.
 */
import { effectiveLimits, effectiveLogRetentionDays } from '#domain/guardrails/limits';
import type { Clock } from '#ports/clock';
import type { LogStore } from '#ports/log-store';
import type { TenantLimitsStore } from '#ports/tenant-limits';
import type { TenantStore } from '#ports/tenant-store';

export interface LogRetentionSweepDeps {
  readonly tenants: TenantStore;
  readonly limits: TenantLimitsStore;
  readonly logs: LogStore;
  readonly clock: Clock;
  /** Days the store keeps any line (infra `logDataRetentionDays`). */
  readonly storeRetentionDays: number;
  /** Units of work (objects deleted) one run may do. */
  readonly budget: number;
}

export interface LogRetentionSweep {
  readonly removed: number;
  readonly tenantsSwept: number;
  /** The run stopped at its budget: the next run passes `cursor` (absent: from the first page). */
  readonly more: boolean;
  readonly cursor?: string;
}

/** The env var with the days the log bucket keeps any line (its lifecycle rule), for the handler. */
export const LOG_STORE_RETENTION_ENV = 'LOG_STORE_RETENTION_DAYS';

const TENANT_PAGE = 100;

export async function sweepLogRetention(
  deps: LogRetentionSweepDeps,
  cursor?: string,
): Promise<LogRetentionSweep> {
  const now = deps.clock.now().getTime();
  let removed = 0;
  let tenantsSwept = 0;
  // A tenant the last run stopped inside is listed again: the cursor is the page before it.
  let page = cursor;
  do {
    const listed = await deps.tenants.listTenants({ limit: TENANT_PAGE, ...(page ? { cursor: page } : {}) });
    for (const tenant of listed.items) {
      if (tenant.status === 'offboarded') continue;
      const overrides = (await deps.limits.get(tenant.tenantId))?.overrides;
      const days = effectiveLogRetentionDays(effectiveLimits(overrides), deps.storeRetentionDays);
      if (days >= deps.storeRetentionDays) continue; // the bucket's rule already keeps it this long
      const expiry = await deps.logs.expireBefore(
        tenant.tenantId,
        now - days * 86_400_000,
        deps.budget - removed,
      );
      removed += expiry.removed;
      tenantsSwept++;
      if (!expiry.done || removed >= deps.budget)
        return { removed, tenantsSwept, more: true, ...(page ? { cursor: page } : {}) };
    }
    page = listed.nextCursor;
  } while (page);
  return { removed, tenantsSwept, more: false };
}
