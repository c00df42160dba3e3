/**
 * Scheduled downtime (maintenance windows, LogicMonitor's SDT): while one covers an alert, the alert
 * is still evaluated and recorded, but its notifications are suppressed. A downtime is one window or
 * a recurrence (daily, weekly, monthly by day or by week, in a named time zone) effective from
 * `startsAt` until `endsAt` (open-ended when absent).
 *
 * What it covers, cascading from the broadest target down to every series under it: resources (by
 * the linked API resource's id or name, or the series' resource value: a downtime on the resource
 * `web-01` covers a series pushed with only `system.hostname: web-01.example.com` when that links to
 * it; websites are resources of type website), resource groups (every resource in the group),
 * datasources (every instance of the datasource), collectors (every resource the collector polls,
 * and any series carrying its id in a `collectorId` dimension, such as a collector's own health
 * metric), a group of series by dimension filters (e.g. `{"group": "db"}`), or whole rules. Targets
 * of different kinds narrow each other.
 */
import type { Dimensions } from '../metrics';
import { matchesFilters } from '../query';
import type { LinkedResource } from '../resource-identity';
import * as z from '../zod';
import { type Recurrence, recurrenceSchema, type Window, windowAt, windowsBetween } from './recurrence';

export interface Downtime {
  readonly tenantId: string;
  readonly downtimeId: string;
  readonly name: string;
  /** Epoch ms, inclusive: the window's start, or when a recurrence takes effect. */
  readonly startsAt: number;
  /** Epoch ms, exclusive: the window's end, or when a recurrence stops (absent: never). */
  readonly endsAt?: number;
  readonly recurrence?: Recurrence;
  readonly resources?: readonly string[];
  readonly groups?: readonly string[];
  readonly datasources?: readonly string[];
  /** Collector ids: the resources each polls, and series naming it in `collectorId`. */
  readonly collectors?: readonly string[];
  readonly filters?: Dimensions;
  readonly ruleIds?: readonly string[];
  /** Why: a downtime made after the fact is a correction of the SLA reports (audited like any other). */
  readonly reason?: string;
  readonly createdAt: string;
  /** When it was last changed (PATCH); absent until then. */
  readonly updatedAt?: string;
}

const instant = z.union([z.number().check(z.int()), z.iso.datetime({ offset: true })]);
const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

const downtimeFields = {
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
  startsAt: instant,
  endsAt: z.optional(instant),
  recurrence: z.optional(recurrenceSchema),
  resources: z.optional(z.array(text(1, 2048)).check(z.maxLength(100))),
  groups: z.optional(z.array(text(1, 64)).check(z.maxLength(50))),
  datasources: z.optional(z.array(text(1, 256)).check(z.maxLength(100))),
  collectors: z.optional(z.array(text(1, 64)).check(z.maxLength(100))),
  filters: z.optional(z.record(text(1, 60), text(1, 2048))),
  ruleIds: z.optional(z.array(text(1, 64)).check(z.maxLength(100))),
  reason: z.optional(text(1, 1000)),
};

export const downtimeInputSchema = z
  .pipe(
    z.strictObject(downtimeFields),
    z.transform((d) => ({
      ...d,
      startsAt: typeof d.startsAt === 'number' ? d.startsAt : Date.parse(d.startsAt),
      endsAt: d.endsAt === undefined || typeof d.endsAt === 'number' ? d.endsAt : Date.parse(d.endsAt),
    })),
  )
  .check(
    z.refine((d) => d.endsAt !== undefined || d.recurrence !== undefined, {
      message: 'a one-time downtime needs endsAt (a recurring one may leave it open)',
      path: ['endsAt'],
    }),
    z.refine((d) => d.endsAt === undefined || d.endsAt > d.startsAt, {
      message: 'endsAt must be after startsAt',
      path: ['endsAt'],
    }),
    z.refine(
      (d) =>
        d.resources?.length ||
        d.groups?.length ||
        d.datasources?.length ||
        d.collectors?.length ||
        (d.filters && Object.keys(d.filters).length) ||
        d.ruleIds?.length,
      {
        message: 'a downtime needs resources, groups, datasources, collectors, filters or ruleIds',
        path: ['resources'],
      },
    ),
  );

/** What is optional can be removed with null (JSON merge patch, RFC 7396). */
const removable = <T extends z.ZodMiniType>(schema: T) => z.optional(z.nullable(schema));

/**
 * PATCH /v1/downtimes/{id}: the fields to change; null removes an optional one. The result is
 * checked whole by downtimeInputSchema (mergeDowntimePatch), so a change that leaves the downtime
 * invalid (an end before the start, nothing covered) is refused on the field it breaks.
 */
export const downtimePatchSchema = z.strictObject({
  name: z.optional(downtimeFields.name),
  startsAt: z.optional(instant),
  endsAt: removable(instant),
  recurrence: removable(recurrenceSchema),
  resources: removable(downtimeFields.resources.def.innerType),
  groups: removable(downtimeFields.groups.def.innerType),
  datasources: removable(downtimeFields.datasources.def.innerType),
  collectors: removable(downtimeFields.collectors.def.innerType),
  filters: removable(downtimeFields.filters.def.innerType),
  ruleIds: removable(downtimeFields.ruleIds.def.innerType),
  reason: removable(text(1, 1000)),
});

/** The input body of `downtime` with `patch` applied: what downtimeInputSchema validates. */
export function mergeDowntimePatch(
  downtime: Downtime,
  patch: z.infer<typeof downtimePatchSchema>,
): Record<string, unknown> {
  const { tenantId: _t, downtimeId: _d, createdAt: _c, updatedAt: _u, ...input } = downtime;
  const merged: Record<string, unknown> = { ...input };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  delete merged.version;
  return merged;
}

export interface DowntimeTarget {
  readonly ruleId: string;
  /** Every name the alert's resource goes by (resourceNamesOf: id, name, series value). */
  readonly resources: readonly string[];
  /** The linked resource's groups, when it is linked. */
  readonly groups?: readonly string[];
  /** The collector polling the linked resource, when it is linked and has one. */
  readonly collectorId?: string;
  readonly dimensions: Dimensions;
}

/**
 * What a downtime must cover to silence an alert (or leave a slot out of an SLA): the rule, every
 * name of the resource, the series and, when it links to an API resource, that one's groups and
 * collector.
 */
export function downtimeTargetOf(
  ruleId: string,
  resources: readonly string[],
  dimensions: Dimensions,
  linked: Pick<LinkedResource, 'groups' | 'collectorId'> | undefined,
): DowntimeTarget {
  return {
    ruleId,
    resources,
    ...(linked ? { groups: linked.groups } : {}),
    ...(linked?.collectorId ? { collectorId: linked.collectorId } : {}),
    dimensions,
  };
}

/** The window of a downtime that contains an instant, if any. */
export function downtimeWindowAt(downtime: Downtime, atMs: number): Window | undefined {
  if (atMs < downtime.startsAt) return undefined;
  if (!downtime.recurrence)
    return downtime.endsAt !== undefined && atMs < downtime.endsAt
      ? { startsAt: downtime.startsAt, endsAt: downtime.endsAt }
      : undefined;
  const window = windowAt(downtime.recurrence, atMs);
  // An occurrence belongs to the downtime when it starts inside the effective range.
  if (!window || window.startsAt < downtime.startsAt) return undefined;
  if (downtime.endsAt !== undefined && window.startsAt >= downtime.endsAt) return undefined;
  return window;
}

/** The next windows (the current one first, if open) from an instant, at most `limit`, within a year. */
export function upcomingWindows(downtime: Downtime, fromMs: number, limit: number): Window[] {
  const current = downtimeWindowAt(downtime, fromMs);
  if (!downtime.recurrence) {
    if (current) return [current];
    return downtime.endsAt !== undefined && downtime.startsAt > fromMs
      ? [{ startsAt: downtime.startsAt, endsAt: downtime.endsAt }]
      : [];
  }
  const horizon = Math.min(downtime.endsAt ?? Number.POSITIVE_INFINITY, fromMs + 366 * 86_400_000);
  const later = windowsBetween(downtime.recurrence, Math.max(fromMs + 1, downtime.startsAt), horizon, limit);
  return (current ? [current, ...later] : later).slice(0, limit);
}

const coversAny = (listed: readonly string[] | undefined, values: readonly string[]) =>
  !listed?.length || values.some((v) => listed.includes(v));

/** Whether the downtime's targets include this alert's (whenever its windows are). */
export function downtimeTargets(downtime: Downtime, target: DowntimeTarget): boolean {
  if (downtime.ruleIds?.length && !downtime.ruleIds.includes(target.ruleId)) return false;
  if (!coversAny(downtime.resources, target.resources)) return false;
  if (!coversAny(downtime.groups, target.groups ?? [])) return false;
  const datasource = target.dimensions.datasource;
  if (!coversAny(downtime.datasources, datasource === undefined ? [] : [datasource])) return false;
  const collectors = [target.collectorId, target.dimensions.collectorId].filter((c) => c !== undefined);
  if (!coversAny(downtime.collectors, collectors)) return false;
  if (downtime.filters && !matchesFilters(target.dimensions, downtime.filters)) return false;
  return true;
}

export const downtimeCovers = (downtime: Downtime, target: DowntimeTarget, atMs: number): boolean =>
  downtimeTargets(downtime, target) && downtimeWindowAt(downtime, atMs) !== undefined;

/** The first downtime covering the target now, with the end of its current window, if any. */
export function activeDowntime(
  downtimes: readonly Downtime[],
  target: DowntimeTarget,
  atMs: number,
): (Downtime & { readonly windowEndsAt: number }) | undefined {
  for (const downtime of downtimes) {
    const window = downtimeTargets(downtime, target) ? downtimeWindowAt(downtime, atMs) : undefined;
    if (window) return { ...downtime, windowEndsAt: window.endsAt };
  }
  return undefined;
}
