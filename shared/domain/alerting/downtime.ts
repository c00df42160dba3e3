/**
 * Scheduled downtime (maintenance windows): while one covers an alert, the alert is still evaluated
 * and recorded, but its notifications are suppressed. A window covers resources by name, a group of
 * series by dimension filters (e.g. `{"group": "db"}`), or whole rules.
 */
import { z } from 'zod';
import type { Dimensions } from '../metrics';
import { matchesFilters } from '../query';

export interface Downtime {
  readonly tenantId: string;
  readonly downtimeId: string;
  readonly name: string;
  /** Epoch ms, inclusive. */
  readonly startsAt: number;
  /** Epoch ms, exclusive. */
  readonly endsAt: number;
  readonly resources?: readonly string[];
  readonly filters?: Dimensions;
  readonly ruleIds?: readonly string[];
  readonly createdAt: string;
}

export const downtimeInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(128),
    startsAt: z.union([z.number().int(), z.iso.datetime({ offset: true })]),
    endsAt: z.union([z.number().int(), z.iso.datetime({ offset: true })]),
    resources: z.array(z.string().min(1).max(2048)).max(100).optional(),
    filters: z.record(z.string().min(1).max(60), z.string().min(1).max(2048)).optional(),
    ruleIds: z.array(z.string().min(1).max(64)).max(100).optional(),
  })
  .transform((d) => ({
    ...d,
    startsAt: typeof d.startsAt === 'number' ? d.startsAt : Date.parse(d.startsAt),
    endsAt: typeof d.endsAt === 'number' ? d.endsAt : Date.parse(d.endsAt),
  }))
  .refine((d) => d.endsAt > d.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] })
  .refine((d) => d.resources?.length || (d.filters && Object.keys(d.filters).length) || d.ruleIds?.length, {
    message: 'a downtime needs resources, filters or ruleIds',
    path: ['resources'],
  });

export interface DowntimeTarget {
  readonly ruleId: string;
  readonly resource?: string;
  readonly dimensions: Dimensions;
}

export function downtimeCovers(downtime: Downtime, target: DowntimeTarget, atMs: number): boolean {
  if (atMs < downtime.startsAt || atMs >= downtime.endsAt) return false;
  if (downtime.ruleIds?.length && !downtime.ruleIds.includes(target.ruleId)) return false;
  if (downtime.resources?.length && !(target.resource && downtime.resources.includes(target.resource)))
    return false;
  if (downtime.filters && !matchesFilters(target.dimensions, downtime.filters)) return false;
  return true;
}

/** The first downtime covering the target now, if any. */
export const activeDowntime = (downtimes: readonly Downtime[], target: DowntimeTarget, atMs: number) =>
  downtimes.find((d) => downtimeCovers(d, target, atMs));
