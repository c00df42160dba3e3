import type { OffboardingJob } from './offboarding';
import { regionSchema } from './region';
import * as z from './zod';

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly status: 'active' | 'offboarding' | 'offboarded';
  readonly createdAt: string;
  /** The tenant's data key: a KMS key ARN in AWS, a key-file id locally. */
  readonly keyRef?: string;
  readonly offboardedAt?: string;
  /**
   * The home region (shared/domain/region.ts): absent on tenants from before home regions, which live
   * in the default one. Changed only by failover, which also bumps `configVersion`.
   */
  readonly region?: string;
  /** Bumped when the tenant's collectors must re-read their config (a failover moved the home). */
  readonly configVersion?: number;
  /** The offboarding job, from the provider's request on (kept on the tombstone: ids and counts only). */
  readonly offboarding?: OffboardingJob;
  /** Optimistic concurrency: absent means 1 (records written before versioning). */
  readonly version?: number;
}

export interface Collector {
  readonly tenantId: string;
  readonly collectorId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly updatedAt?: string;
  readonly version?: number;
  /** Seconds without a heartbeat after which it counts as down (LogicMonitor's 3 minutes unless set). */
  readonly downAfterSeconds?: number;
  /** The collector that takes over this one's resources while it is down. */
  readonly failoverCollectorId?: string;
  /** auto (default): resources return when it is up again; manual: a user moves them back. */
  readonly failback?: 'auto' | 'manual';
  /** The auto-balanced collector group it belongs to (collector-balance.ts). */
  readonly collectorGroup?: string;
  /** Devices its discovery finds become resources it polls at once (default: proposed for approval). */
  readonly discoveryAutoAdd?: boolean;
  /** Opt-in discovery: the ranges it scans (each at most a /22), how, and how often. */
  readonly discovery?: {
    readonly ranges: string[];
    readonly ports?: number[];
    readonly snmpPort?: number;
    readonly credentialIds?: string[];
    readonly intervalMinutes?: number;
  };
  /** The last heartbeat: when, and what the collector said of itself. */
  readonly heartbeat?: CollectorHeartbeat;
}

export interface CollectorHeartbeat {
  readonly at: string;
  readonly version: string;
  readonly queueDepth: number;
  readonly dropped: number;
  readonly state: string;
}

export const DEFAULT_COLLECTOR_DOWN_AFTER_SECONDS = 180;

/** never-seen until its first heartbeat; down once downAfterSeconds pass without one. */
export function collectorStatus(c: Collector, nowMs: number): 'up' | 'down' | 'never-seen' {
  if (!c.heartbeat) return 'never-seen';
  const silentMs = nowMs - Date.parse(c.heartbeat.at);
  return silentMs > (c.downAfterSeconds ?? DEFAULT_COLLECTOR_DOWN_AFTER_SECONDS) * 1000 ? 'down' : 'up';
}

const displayName = z
  .string({ error: 'name must be a string' })
  .check(
    z.trim(),
    z.minLength(1, 'name must not be empty'),
    z.maxLength(128, 'name must be at most 128 characters'),
  );

export const createTenantSchema = z.strictObject({ name: displayName, region: z.optional(regionSchema) });
export const createCollectorSchema = z.strictObject({ name: displayName });
