/**
 * Offboarding, return-or-destroy, as a job in every region (the model: shared/domain/offboarding.ts).
 *
 * startOffboarding (the admin API, 202): suspends the tenant (its credentials stop working), records
 * the job on the tenant's metadata item and queues one part per region that may hold its data.
 *
 * runOffboardingPart (each region's worker, SQS; in-process locally): streams the region's share of
 * the tenant's data into an archive in that region (constant memory, SHA-256 while writing), erases
 * it, counts what is left, and records the part. The coordinator region's part also covers the global
 * stores (metadata, audit, alert state). The worker whose part completes the set destroys the tenant's
 * key (what no store could erase — backups, PITR, replicas — becomes unreadable) and writes the
 * tombstone. A re-delivered message finds its part recorded and only helps finish.
 *
 * Late erasure: a store that receives writes late (a delivery buffer: the log store's Firehose
 * stream lands lines up to minutes after ingest accepted them) declares `lateWritesSeconds`. The
 * part then queues a second pass of its own region (`pass: 'late-erasure'`, SQS DelaySeconds) that
 * erases those stores again once that time has passed after the part, re-queuing itself while it is
 * early, and records what it removed on the part (`lateErasure`).
 *
 * Job state is written through the coordinator region's replica (tenantsIn), so its conditional
 * writes hold even when workers in several regions record parts at once.
 */
import { ConflictError, NotFoundError, UnavailableError } from '#domain/errors';
import {
  type OffboardingJob,
  type OffboardingPart,
  offboardingJobId,
  partArchiveId,
  pendingRegions,
  regionsToErase,
} from '#domain/offboarding';
import type { Tenant } from '#domain/tenant';
import { invalidateTenant } from '#http/auth';
import type { AlertStore } from '#ports/alert-store';
import type { ArchiveStore } from '#ports/archive-store';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { EmailSubscriptions } from '#ports/email-subscriptions';
import type { KeyService } from '#ports/key-service';
import {
  MAX_QUEUE_DELAY_SECONDS,
  type OffboardingMessage,
  type OffboardingQueue,
} from '#ports/offboarding-queue';
import type { TenantDataHolder } from '#ports/tenant-data';
import type { TenantStore } from '#ports/tenant-store';
import { writeArchive } from './archive-export';

export interface OffboardingBaseDeps {
  readonly tenants: TenantStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** This function's region. */
  readonly region: string;
}

export interface StartOffboardingDeps extends OffboardingBaseDeps {
  readonly queue: OffboardingQueue;
  /** Every configured region (used when the tenant has no home region on record). */
  readonly regions: readonly string[];
}

export interface OffboardingWorkerDeps extends OffboardingBaseDeps {
  /** The stores of this region (metric store, ingest state …). */
  readonly regional: readonly TenantDataHolder[];
  /** The global stores (metadata, audit, alert state): exported and erased by the coordinator's part. */
  readonly global: readonly TenantDataHolder[];
  readonly keys: KeyService;
  /** This region's archive store: a region's export stays in that region. */
  readonly archives: ArchiveStore;
  /** The tenant store writing to `region`'s replica (default: this function's `tenants`). */
  readonly tenantsIn?: (region: string) => TenantStore;
  /** How long a part's claim holds off a second delivery (default 15 min, the worker's timeout). */
  readonly claimLeaseMs?: number;
  /** This region's queue: the late erasure is queued here (required when a holder has lateWritesSeconds). */
  readonly queue?: OffboardingQueue;
  /**
   * The tenant's references to the region's shared e-mail subscriptions (coordinator's part): released
   * before any store is erased (the metadata store's erasure takes the reverse references with it),
   * unsubscribing each address no tenant references any more. Without `subscriptions` (local
   * platform) only the references go.
   */
  readonly emailRecipients?: {
    readonly references: Pick<AlertStore, 'releaseTenantEmailRecipients'>;
    readonly subscriptions?: EmailSubscriptions;
    /**
     * The addresses the tenant's notice channels and report schedules still name (read before any
     * store is erased): finds references written before the reverse ones.
     */
    readonly named?: (tenantId: string) => Promise<Iterable<string>>;
  };
}

export const DEFAULT_CLAIM_LEASE_MS = 15 * 60_000;

export const ALREADY_ERASED_NOTE = 'metadata keeps 1 record: the tombstone';

async function audit(deps: OffboardingBaseDeps, tenantId: string, step: string, detail: unknown) {
  await deps.audit.append({
    tenantId: PROVIDER_AUDIT_PARTITION,
    at: deps.clock.now().toISOString(),
    action: `tenant.offboard.${step}`,
    actor: 'provider',
    outcome: 'success',
    target: `tenant/${tenantId}`,
    after: detail,
  });
}

/** Reads, changes and writes the tenant item with its version; a concurrent writer means read again. */
async function changeTenant(
  tenants: TenantStore,
  tenantId: string,
  change: (tenant: Tenant) => Tenant | undefined,
): Promise<{ tenant: Tenant; changed: boolean }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tenant = await tenants.getTenant(tenantId);
    if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`);
    const next = change(tenant);
    if (!next) return { tenant, changed: false };
    try {
      return { tenant: await tenants.updateTenant(next, tenant.version ?? 1), changed: true };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
    }
  }
  throw new Error(`tenant ${tenantId}: the offboarding job record kept changing under 20 attempts`);
}

/** The provider's request: suspend, record the job, queue a part per region. Answers the job. */
export async function startOffboarding(
  deps: StartOffboardingDeps,
  tenantId: string,
): Promise<OffboardingJob> {
  const now = deps.clock.now();
  const { tenant, changed } = await changeTenant(deps.tenants, tenantId, (current) => {
    if (current.status === 'offboarded') throw new ConflictError(`tenant ${tenantId} is already offboarded`);
    // A job already under way is answered again (the request is idempotent).
    if (current.offboarding) return undefined;
    const home = (current as Tenant & { region?: string }).region;
    const job: OffboardingJob = {
      jobId: offboardingJobId(tenantId, now),
      requestedAt: now.toISOString(),
      regions: regionsToErase(deps.regions, deps.region, home),
      coordinator: deps.region,
      state: 'running',
      parts: {},
    };
    return { ...current, status: 'offboarding', offboarding: job };
  });
  const job = tenant.offboarding as OffboardingJob;
  // Every credential of the tenant stops authenticating here (this instance's cache at once).
  invalidateTenant(deps.tenants, tenantId);
  if (changed) await audit(deps, tenantId, 'suspend', { status: 'offboarding', jobId: job.jobId });
  if (!changed) return job;
  for (const region of job.regions) await deps.queue.enqueue({ tenantId, jobId: job.jobId, region });
  await audit(deps, tenantId, 'requested', { jobId: job.jobId, regions: job.regions });
  return job;
}

/** One region's part, then the finish if this part completed the job. Safe to run twice. */
export async function runOffboardingPart(
  deps: OffboardingWorkerDeps,
  message: OffboardingMessage,
): Promise<OffboardingJob | undefined> {
  const { tenantId, jobId, region } = message;
  if (region !== deps.region) throw new Error(`offboarding part for ${region} reached ${deps.region}`);
  const current = await deps.tenants.getTenant(tenantId);
  const job = current?.offboarding;
  // A message of another (older) job, or of a tenant that is gone, has nothing left to do.
  if (!current || !job || job.jobId !== jobId) return undefined;
  const jobTenants = (deps.tenantsIn ?? (() => deps.tenants))(job.coordinator);
  if (message.pass === 'late-erasure') return lateErasure(deps, jobTenants, message, job);

  let latest = job;
  if (!job.parts[region] && job.state === 'running' && (await claimPart(deps, jobTenants, message))) {
    const part = await exportAndErase(deps, tenantId, job);
    const { tenant } = await changeTenant(jobTenants, tenantId, (t) =>
      t.offboarding?.jobId !== jobId || t.offboarding.parts[region]
        ? undefined
        : { ...t, offboarding: { ...t.offboarding, parts: { ...t.offboarding.parts, [region]: part } } },
    );
    latest = tenant.offboarding ?? latest;
  }
  // Queued on every delivery that finds the part without it (a failed send is retried with the
  // message; a duplicate late pass finds lateErasure recorded and does nothing).
  const part = latest.parts[region];
  if (part && !part.lateErasure && lateWritesSeconds(deps) > 0) await queueLateErasure(deps, message, part);
  if (pendingRegions(latest).length > 0 || latest.state === 'succeeded') return latest;
  return finish(deps, jobTenants, tenantId, jobId);
}

/**
 * Takes the region's part (conditional write) so that a duplicate delivery never exports again over
 * an archive whose data was already erased. False when the part was recorded meanwhile; a fresh
 * claim of another run is an UnavailableError (the queue delivers the message again later).
 */
async function claimPart(
  deps: OffboardingWorkerDeps,
  jobTenants: TenantStore,
  { tenantId, jobId, region }: OffboardingMessage,
): Promise<boolean> {
  const now = deps.clock.now();
  const lease = deps.claimLeaseMs ?? DEFAULT_CLAIM_LEASE_MS;
  const { changed } = await changeTenant(jobTenants, tenantId, (t) => {
    const job = t.offboarding;
    if (job?.jobId !== jobId || job.parts[region]) return undefined;
    const claimed = job.claims?.[region];
    if (claimed && now.getTime() - Date.parse(claimed) < lease)
      throw new UnavailableError(`offboarding part ${jobId}/${region} is being run`, 60);
    return { ...t, offboarding: { ...job, claims: { ...job.claims, [region]: now.toISOString() } } };
  });
  return changed;
}

async function exportAndErase(
  deps: OffboardingWorkerDeps,
  tenantId: string,
  job: OffboardingJob,
): Promise<OffboardingPart> {
  const holders = [...(deps.region === job.coordinator ? deps.global : []), ...deps.regional];
  const archiveId = partArchiveId(job.jobId, deps.region);
  const sink = await deps.archives.open(archiveId);
  const written = await writeArchive(
    sink,
    tenantId,
    { jobId: job.jobId, region: deps.region, createdAt: deps.clock.now().toISOString() },
    holders.map((holder) => ({ name: holder.dataName, holder })),
  );
  const { location } = await sink.close();
  const archive = { archiveId, downloadPath: `/admin/v1/exports/${archiveId}`, location, ...written };
  await audit(deps, tenantId, 'export', { region: deps.region, ...archive });

  const removed: Record<string, number> = {};
  const methods: Record<string, string> = {};
  const limitations: string[] = [];
  const recipients = deps.region === job.coordinator ? deps.emailRecipients : undefined;
  if (recipients) {
    const { subscriptions } = recipients;
    const unsubscribe = subscriptions && ((address: string) => subscriptions.unsubscribe(address));
    const named = (await recipients.named?.(tenantId)) ?? [];
    const unreferenced = await recipients.references.releaseTenantEmailRecipients(
      tenantId,
      unsubscribe,
      named,
    );
    if (subscriptions) removed.emailSubscriptions = unreferenced.length;
  }
  for (const holder of holders) {
    removed[holder.dataName] = await holder.deleteTenant(tenantId);
    if (holder.erasureLimitation) limitations.push(`${holder.dataName}: ${holder.erasureLimitation}`);
    if (holder.erasureMethod) methods[holder.dataName] = holder.erasureMethod;
  }
  const hasMethods = Object.keys(methods).length > 0;
  await audit(deps, tenantId, 'delete', {
    region: deps.region,
    removed,
    limitations,
    ...(hasMethods ? { methods } : {}),
  });

  // Verify: only the tombstone may remain (and what a limitation names).
  const remaining: Record<string, number> = {};
  for (const holder of holders) {
    let count = 0;
    for await (const _ of holder.exportTenant(tenantId)) count++;
    remaining[holder.dataName] = count;
  }
  await audit(deps, tenantId, 'verify', { region: deps.region, remaining, note: ALREADY_ERASED_NOTE });
  return {
    region: deps.region,
    at: deps.clock.now().toISOString(),
    archive,
    removed,
    remaining,
    limitations,
    ...(hasMethods ? { methods } : {}),
  };
}

/**
 * Every part is in: one worker claims the finish (state finalizing, conditional), destroys the key
 * and writes the tombstone. The claimant's own re-delivery may finish what it started.
 */
async function finish(
  deps: OffboardingWorkerDeps,
  jobTenants: TenantStore,
  tenantId: string,
  jobId: string,
): Promise<OffboardingJob | undefined> {
  const claim = await changeTenant(jobTenants, tenantId, (t) => {
    const job = t.offboarding;
    if (!job || job.jobId !== jobId || job.state !== 'running' || pendingRegions(job).length > 0)
      return undefined;
    return { ...t, offboarding: { ...job, state: 'finalizing', finalizedBy: deps.region } };
  });
  const job = claim.tenant.offboarding;
  if (job?.state !== 'finalizing' || job.finalizedBy !== deps.region) return job;

  let key: Record<string, unknown> = { outcome: 'no-key' };
  if (claim.tenant.keyRef) key = { ...(await deps.keys.destroyTenantKey(tenantId, claim.tenant.keyRef)) };
  await audit(deps, tenantId, 'destroy-key', key);

  const finishedAt = deps.clock.now().toISOString();
  const { tenant } = await changeTenant(jobTenants, tenantId, (t) => {
    if (t.offboarding?.state !== 'finalizing') return undefined;
    // The id stays taken; nothing else of the tenant is kept (the job holds ids and counts only).
    return {
      tenantId,
      name: '[offboarded]',
      status: 'offboarded',
      createdAt: t.createdAt,
      offboardedAt: finishedAt,
      offboarding: { ...t.offboarding, state: 'succeeded', key, finishedAt },
    };
  });
  await audit(deps, tenantId, 'tombstone', { status: 'offboarded', jobId });
  return tenant.offboarding;
}

/** The longest late-write window of this region's stores (0: none receives writes late). */
function lateWritesSeconds(deps: OffboardingWorkerDeps): number {
  return Math.max(0, ...deps.regional.map((holder) => holder.lateWritesSeconds ?? 0));
}

async function queueLateErasure(
  deps: OffboardingWorkerDeps,
  { tenantId, jobId, region }: OffboardingMessage,
  part: OffboardingPart,
): Promise<void> {
  if (!deps.queue)
    throw new Error(
      'offboarding: a store receives writes late but the worker has no queue for the late erasure',
    );
  const dueMs = Date.parse(part.at) + lateWritesSeconds(deps) * 1000;
  const delaySeconds = Math.min(
    MAX_QUEUE_DELAY_SECONDS,
    Math.max(1, Math.ceil((dueMs - deps.clock.now().getTime()) / 1000)),
  );
  await deps.queue.enqueue({ tenantId, jobId, region, pass: 'late-erasure' }, { delaySeconds });
}

/**
 * The second erasure: once `lateWritesSeconds` have passed since the part, erases the stores that
 * receive writes late again and records what they still held. Early (the part is younger than
 * that): queues itself again for the rest of the wait.
 */
async function lateErasure(
  deps: OffboardingWorkerDeps,
  jobTenants: TenantStore,
  message: OffboardingMessage,
  job: OffboardingJob,
): Promise<OffboardingJob> {
  const { tenantId, jobId, region } = message;
  const part = job.parts[region];
  if (!part || part.lateErasure) return job;
  const late = deps.regional.filter((holder) => (holder.lateWritesSeconds ?? 0) > 0);
  if (late.length === 0) return job;
  if (deps.clock.now().getTime() < Date.parse(part.at) + lateWritesSeconds(deps) * 1000) {
    await queueLateErasure(deps, message, part);
    return job;
  }
  const removed: Record<string, number> = {};
  for (const holder of late) removed[holder.dataName] = await holder.deleteTenant(tenantId);
  const at = deps.clock.now().toISOString();
  await audit(deps, tenantId, 'delete-late', { region, removed });
  const { tenant } = await changeTenant(jobTenants, tenantId, (t) => {
    const current = t.offboarding;
    const recorded = current?.parts[region];
    if (current?.jobId !== jobId || !recorded || recorded.lateErasure) return undefined;
    return {
      ...t,
      offboarding: {
        ...current,
        parts: { ...current.parts, [region]: { ...recorded, lateErasure: { at, removed } } },
      },
    };
  });
  return tenant.offboarding ?? job;
}
