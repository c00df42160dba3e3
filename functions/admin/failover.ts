/**
 * Failover by runbook (issue #17 item 3; RUNBOOK "Region failover"): moves tenants' home region, the
 * one mutation of a home there is, audited in the provider's trail and the tenant's own. Collectors
 * re-point through their config: the move bumps the tenant's `configVersion`, and the new home's
 * `/v1/collector/config` names its endpoints (the old home answers 421 with them if it comes back).
 * What the metadata holds (rules, chains, open alerts and their escalations, the alert outbox) is in
 * the global table: the new home's evaluator takes it over on its next pass. Parked batches in the
 * failed region's spill are moved to the new home's spill (which replays them into its store) when
 * that spill can still be read.
 */
import { ConflictError, NotFoundError, UnprocessableError } from '#domain/errors';
import { homeRegionOf, type RegionSettings, regionSchema } from '#domain/region';
import type { Tenant } from '#domain/tenant';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { SpillQueue } from '#ports/spill-queue';
import type { TenantStore } from '#ports/tenant-store';

/**
 * The failed region's spill, when it can be read (local: its directory; AWS: its SQS queue, read from
 * the surviving region, shared/adapters/aws/spill-sqs-queue.ts). One call moves the parked batches of
 * every tenant named (one pass over an SQS queue, not one per tenant); returns batches moved per tenant.
 */
export interface SpillSource {
  moveTenants(tenantIds: readonly string[], to: SpillQueue): Promise<ReadonlyMap<string, number>>;
}

export interface FailoverDeps {
  readonly tenants: TenantStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Where tenants without a recorded home live (the deployment's default home region). */
  readonly region: Pick<RegionSettings, 'defaultHomeRegion'>;
  readonly spill?: { readonly from: SpillSource; readonly to: SpillQueue };
  /** Who runs it (an operator's name), for the audit trail. */
  readonly actor: string;
}

export interface FailoverReceipt {
  readonly tenantId: string;
  readonly from: string;
  readonly to: string;
  /** Unchanged when the tenant already lived there (running the procedure again is harmless). */
  readonly moved: boolean;
  readonly configVersion: number;
  /** Parked batches moved to the new home's spill; absent when the failed region's spill was not read. */
  readonly spilledBatchesMoved?: number;
}

const MAX_ATTEMPTS = 5;

export async function failoverTenant(
  deps: FailoverDeps,
  tenantId: string,
  to: string,
): Promise<FailoverReceipt> {
  const receipt = await moveHome(deps, tenantId, to);
  return (await withSpillMoved(deps, [receipt]))[0] as FailoverReceipt;
}

/** The home move alone: conditional on the tenant's version, audited; the spill is moved by the caller. */
async function moveHome(
  deps: FailoverDeps,
  tenantId: string,
  to: string,
): Promise<Omit<FailoverReceipt, 'spilledBatchesMoved'>> {
  checkRegion(to);
  for (let attempt = 1; ; attempt++) {
    const tenant = await deps.tenants.getTenant(tenantId);
    if (!tenant) throw new NotFoundError(`no tenant ${tenantId}`, 'tenant');
    if (tenant.status !== 'active')
      throw new ConflictError(`tenant ${tenantId} is ${tenant.status}: nothing to fail over`, 'tenant');
    const from = homeRegionOf(tenant, { ...deps.region, region: to });
    const configVersion = tenant.configVersion ?? 1;
    if (from === to) return { tenantId, from, to, moved: false, configVersion };
    const moved: Tenant = { ...tenant, region: to, configVersion: configVersion + 1 };
    try {
      await deps.tenants.updateTenant(moved, tenant.version ?? 1);
    } catch (error) {
      // Another change of the tenant got there first: read again and re-decide.
      if (error instanceof ConflictError && attempt < MAX_ATTEMPTS) continue;
      throw error;
    }
    const at = deps.clock.now().toISOString();
    const change = {
      action: 'tenant.failover',
      actor: deps.actor,
      outcome: 'success' as const,
      target: `tenant/${tenantId}`,
      before: { region: from, configVersion },
      after: { region: to, configVersion: configVersion + 1 },
    };
    await deps.audit.append({ tenantId: PROVIDER_AUDIT_PARTITION, at, ...change });
    await deps.audit.append({ tenantId, at, ...change });
    return { tenantId, from, to, moved: true, configVersion: configVersion + 1 };
  }
}

/** Every tenant homed in `failed` moves to `to`, one at a time (each its own audited move). */
export async function failoverRegion(
  deps: FailoverDeps,
  failed: string,
  to: string,
): Promise<FailoverReceipt[]> {
  checkRegion(failed);
  checkRegion(to);
  if (failed === to) throw new UnprocessableError('the failed region and the new home must differ', 'to');
  const homedThere: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.tenants.listTenants({ limit: 100, ...(cursor ? { cursor } : {}) });
    for (const t of page.items)
      if (t.status === 'active' && homeRegionOf(t, { ...deps.region, region: failed }) === failed)
        homedThere.push(t.tenantId);
    cursor = page.nextCursor;
  } while (cursor);
  const receipts: Omit<FailoverReceipt, 'spilledBatchesMoved'>[] = [];
  for (const tenantId of homedThere) receipts.push(await moveHome(deps, tenantId, to));
  return withSpillMoved(deps, receipts);
}

/** Moves the spill of every tenant in `receipts` in one pass, once their homes have moved. */
async function withSpillMoved(
  deps: FailoverDeps,
  receipts: readonly Omit<FailoverReceipt, 'spilledBatchesMoved'>[],
): Promise<FailoverReceipt[]> {
  if (!deps.spill || receipts.length === 0) return [...receipts];
  const moved = await deps.spill.from.moveTenants(
    receipts.map((r) => r.tenantId),
    deps.spill.to,
  );
  return receipts.map((r) => ({ ...r, spilledBatchesMoved: moved.get(r.tenantId) ?? 0 }));
}

function checkRegion(region: string) {
  if (!regionSchema.safeParse(region).success)
    throw new UnprocessableError(`${region} is not an AWS region name`, 'region');
}
