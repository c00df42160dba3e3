import type { OffboardingJob } from './offboarding';
import * as z from './zod';

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly status: 'active' | 'offboarding' | 'offboarded';
  readonly createdAt: string;
  /** The tenant's data key: a KMS key ARN in AWS, a key-file id locally. */
  readonly keyRef?: string;
  readonly offboardedAt?: string;
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
}

const displayName = z
  .string({ error: 'name must be a string' })
  .check(
    z.trim(),
    z.minLength(1, 'name must not be empty'),
    z.maxLength(128, 'name must be at most 128 characters'),
  );

export const createTenantSchema = z.strictObject({ name: displayName });
export const createCollectorSchema = z.strictObject({ name: displayName });
