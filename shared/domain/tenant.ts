import { z } from 'zod';

export interface Tenant {
  readonly tenantId: string;
  readonly name: string;
  readonly status: 'active' | 'offboarded';
  readonly createdAt: string;
}

export interface Collector {
  readonly tenantId: string;
  readonly collectorId: string;
  readonly name: string;
  readonly createdAt: string;
}

const displayName = z
  .string({ error: 'name must be a string' })
  .trim()
  .min(1, 'name must not be empty')
  .max(128, 'name must be at most 128 characters');

export const createTenantSchema = z.strictObject({ name: displayName });
export const createCollectorSchema = z.strictObject({ name: displayName });
