/**
 * Scheduled downtime (maintenance windows): while one covers an alert, the alert is still evaluated
 * and recorded, but its notifications are suppressed. A window covers resources (by the linked API
 * resource's id or name, or the series' resource value: a downtime on the resource `web-01` covers a
 * series pushed with only `system.hostname: web-01.example.com` when that links to it), a group of
 * series by dimension filters (e.g. `{"group": "db"}`), or whole rules.
 */
import type { Dimensions } from '../metrics';
import { matchesFilters } from '../query';
import * as z from '../zod';

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

const instant = z.union([z.number().check(z.int()), z.iso.datetime({ offset: true })]);
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

export const downtimeInputSchema = z
  .pipe(
    z.strictObject({
      name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
      startsAt: instant,
      endsAt: instant,
      resources: z.optional(z.array(text(1, 2048)).check(z.maxLength(100))),
      filters: z.optional(z.record(text(1, 60), text(1, 2048))),
      ruleIds: z.optional(z.array(text(1, 64)).check(z.maxLength(100))),
    }),
    z.transform((d) => ({
      ...d,
      startsAt: typeof d.startsAt === 'number' ? d.startsAt : Date.parse(d.startsAt),
      endsAt: typeof d.endsAt === 'number' ? d.endsAt : Date.parse(d.endsAt),
    })),
  )
  .check(
    z.refine((d) => d.endsAt > d.startsAt, { message: 'endsAt must be after startsAt', path: ['endsAt'] }),
    z.refine(
      (d) => d.resources?.length || (d.filters && Object.keys(d.filters).length) || d.ruleIds?.length,
      { message: 'a downtime needs resources, filters or ruleIds', path: ['resources'] },
    ),
  );

export interface DowntimeTarget {
  readonly ruleId: string;
  /** Every name the alert's resource goes by (resourceNamesOf: id, name, series value). */
  readonly resources: readonly string[];
  readonly dimensions: Dimensions;
}

export function downtimeCovers(downtime: Downtime, target: DowntimeTarget, atMs: number): boolean {
  if (atMs < downtime.startsAt || atMs >= downtime.endsAt) return false;
  if (downtime.ruleIds?.length && !downtime.ruleIds.includes(target.ruleId)) return false;
  if (downtime.resources?.length && !target.resources.some((r) => downtime.resources?.includes(r)))
    return false;
  if (downtime.filters && !matchesFilters(target.dimensions, downtime.filters)) return false;
  return true;
}

/** The first downtime covering the target now, if any. */
export const activeDowntime = (downtimes: readonly Downtime[], target: DowntimeTarget, atMs: number) =>
  downtimes.find((d) => downtimeCovers(d, target, atMs));
