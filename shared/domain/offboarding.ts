/**
 * Offboarding as a job (return-or-destroy across regions): the provider's request suspends the
 * tenant and records the job on the tenant's metadata item (global table), then every region that
 * may hold the tenant's data runs its part (export, erase, verify); the part that completes the set
 * destroys the tenant's key and leaves the tombstone. Pure types and rules; the runner is
 * functions/offboarding/job.ts.
 */

/** One region's share of the work: its archive, what it erased, what remained. */
export interface OffboardingPart {
  readonly region: string;
  readonly at: string;
  readonly archive: {
    readonly archiveId: string;
    readonly downloadPath: string;
    readonly location: string;
    /** SHA-256 (hex) of the archive's bytes, computed while they were written. */
    readonly sha256: string;
    readonly bytes: number;
    readonly records: Record<string, number>;
  };
  readonly removed: Record<string, number>;
  /** Records found after the erasure (metadata keeps 1: the tombstone). */
  readonly remaining: Record<string, number>;
  readonly methods?: Record<string, string>;
  readonly limitations: readonly string[];
  /**
   * The second erasure of the stores that receive writes late (a delivery buffer), run once their
   * `lateWritesSeconds` have passed after the part: what it removed.
   */
  readonly lateErasure?: { readonly at: string; readonly removed: Record<string, number> };
}

export type OffboardingState = 'running' | 'finalizing' | 'succeeded';

export interface OffboardingJob {
  readonly jobId: string;
  readonly requestedAt: string;
  /** Every region that ever held the tenant (its home region if known, else every configured region). */
  readonly regions: readonly string[];
  /** Exports and erases the global stores (metadata, audit, alerts) beside its own region's. */
  readonly coordinator: string;
  readonly state: OffboardingState;
  readonly parts: Readonly<Record<string, OffboardingPart>>;
  /** When a region's worker took its part (a second delivery waits while the claim is fresh). */
  readonly claims?: Readonly<Record<string, string>>;
  /** The region whose worker destroys the key and writes the tombstone (set with state finalizing). */
  readonly finalizedBy?: string;
  readonly key?: Record<string, unknown>;
  readonly finishedAt?: string;
}

/** `<tenantId>-<13-digit ms>`: sortable, and names the tenant it is for. */
export function offboardingJobId(tenantId: string, at: Date): string {
  return `${tenantId}-${String(at.getTime()).padStart(13, '0')}`;
}

export const OFFBOARDING_JOB_ID_PATTERN = /^([a-f0-9]{32})-[0-9]{13}$/;

/** The tenant a job id names, or undefined for anything that is not a job id. */
export function tenantOfJob(jobId: string): string | undefined {
  return OFFBOARDING_JOB_ID_PATTERN.exec(jobId)?.[1];
}

/** The archive of one region's part. */
export const partArchiveId = (jobId: string, region: string): string => `${jobId}-${region}`;

/** Regions whose part is still to run. */
export function pendingRegions(job: OffboardingJob): string[] {
  return job.regions.filter((r) => job.parts[r] === undefined);
}

/**
 * Which regions offboarding must visit: the tenant's home region when it has one (data lives only
 * there, plus the coordinator for the global stores), else every configured region.
 */
export function regionsToErase(
  configured: readonly string[],
  coordinator: string,
  homeRegion?: string,
): string[] {
  const regions = homeRegion ? [homeRegion] : [...configured];
  if (!regions.includes(coordinator)) regions.unshift(coordinator);
  return [...new Set(regions)];
}
