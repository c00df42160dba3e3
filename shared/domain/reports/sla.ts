/**
 * SLA reports that exclude scheduled downtime (a LogicMonitor community request: "subtract
 * measurements taken during scheduled downtime from service availability").
 *
 * The period is cut into slots of `stepSeconds`. Each resource's slot is one of:
 * - excluded: a downtime window covering the resource overlaps the slot (downtimes made after the
 *   fact are the audited corrections); excluded slots leave the denominator;
 * - down: for a metric definition, a series of the resource breaks the condition in the slot (its
 *   average over the slot); for an alert definition, an alert of at least the given severity on the
 *   resource was open at some point in the slot;
 * - no data: a metric definition found no sample in the slot (counted per `noData`);
 * - up: otherwise.
 * Availability = up ÷ (up + down), with no-data slots counted as down, as up, or left out.
 * LogicMonitor's two aggregations: the average of the resources' availabilities, and the share of
 * counted slots in which every resource counted in that slot was up at once (a resource in downtime
 * does not hide another's outage).
 */
import { type Alert, resourceNamesOf } from '../alerting/alert';
import { type Downtime, downtimeTargetOf, downtimeTargets } from '../alerting/downtime';
import { windowsBetween } from '../alerting/recurrence';
import { SEVERITIES, type Severity } from '../alerting/thresholds';
import type { Dimensions } from '../metrics';
import type { Series } from '../query';
import type { LinkedResource } from '../resource-identity';
import * as z from '../zod';

export const MAX_SLA_SLOTS = 11_000;
export const MAX_SLA_RESOURCES = 500;

const instant = z.union([z.number().check(z.int(), z.gte(0)), z.iso.datetime({ offset: true })]);
const toMs = (v: number | string) => (typeof v === 'number' ? v : Date.parse(v));
const OPERATORS = ['>', '>=', '<', '<=', '==', '!='] as const;

export const slaReportInputSchema = z
  .pipe(
    z.strictObject({
      title: z.optional(z.string().check(z.minLength(1), z.maxLength(200))),
      from: instant,
      to: instant,
      /** Slot width; default: the smallest multiple of 60 s that keeps the period within 11,000 slots. */
      stepSeconds: z.optional(z.number().check(z.int(), z.gte(60), z.lte(86_400))),
      /** The resources reported on (values of `by`, or resource ids/names for the alert definition). */
      resources: z
        .array(z.string().check(z.minLength(1), z.maxLength(256)))
        .check(z.minLength(1), z.maxLength(MAX_SLA_RESOURCES)),
      availability: z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('metric'),
          metric: z.string().check(z.minLength(1), z.maxLength(256)),
          filters: z.optional(
            z.record(z.string().check(z.maxLength(60)), z.string().check(z.maxLength(2048))),
          ),
          /** The dimension whose value names the resource (e.g. `system.hostname`). */
          by: z.string().check(z.minLength(1), z.maxLength(60)),
          /** The condition an available slot meets, e.g. `>= 1` for an up/down check. */
          operator: z.enum(OPERATORS),
          threshold: z.number(),
          noData: z._default(z.enum(['exclude', 'down', 'up']), 'exclude'),
        }),
        z.strictObject({
          kind: z.literal('alerts'),
          /** Unavailable while an alert of at least this severity is open on the resource. */
          severity: z._default(z.enum(SEVERITIES), 'critical'),
        }),
      ]),
      format: z._default(z.enum(['json', 'pdf']), 'json'),
    }),
    z.transform((input) => ({ ...input, from: toMs(input.from), to: toMs(input.to) })),
  )
  .check(
    z.refine((r) => r.to > r.from, { message: 'to must be after from', path: ['to'] }),
    z.refine((r) => r.to - r.from <= 400 * 86_400_000, {
      message: 'the period is at most 400 days',
      path: ['to'],
    }),
    z.refine(
      (r) => r.stepSeconds === undefined || (r.to - r.from) / (r.stepSeconds * 1000) <= MAX_SLA_SLOTS,
      { message: `stepSeconds: the period holds at most ${MAX_SLA_SLOTS} slots`, path: ['stepSeconds'] },
    ),
  );
export type SlaReportInput = z.infer<typeof slaReportInputSchema>;

export type SlotState = 'up' | 'down' | 'noData' | 'excluded';

export interface SlaResourceResult {
  readonly resource: string;
  /** Percent, or null when no slot counted. */
  readonly availability: number | null;
  readonly upSeconds: number;
  readonly downSeconds: number;
  readonly noDataSeconds: number;
  readonly excludedSeconds: number;
  /** Each slot's state, in order (the chart draws it). */
  readonly slots: readonly SlotState[];
}

export interface SlaReport {
  readonly title: string;
  readonly from: string;
  readonly to: string;
  readonly stepSeconds: number;
  readonly availability: SlaReportInput['availability'];
  readonly resources: readonly SlaResourceResult[];
  /** The average of the resources' availabilities (percent; null when none counted). */
  readonly averageAvailability: number | null;
  /** Percent of counted slots in which every counted resource was up at once. */
  readonly allOkAvailability: number | null;
  /** The downtime windows that were excluded, per downtime. */
  readonly excluded: readonly { downtimeId: string; name: string; windows: number; reason?: string }[];
}

export function defaultStepSeconds(fromMs: number, toMs: number): number {
  return Math.max(60, Math.ceil((toMs - fromMs) / 1000 / MAX_SLA_SLOTS / 60) * 60);
}

const breaks = (value: number, operator: (typeof OPERATORS)[number], threshold: number): boolean => {
  switch (operator) {
    case '>':
      return !(value > threshold);
    case '>=':
      return !(value >= threshold);
    case '<':
      return !(value < threshold);
    case '<=':
      return !(value <= threshold);
    case '==':
      return !(value === threshold);
    case '!=':
      return !(value !== threshold);
  }
};

/** Marks slots [start, end) overlaps; returns how many it marked anew. */
function markOverlap(
  slots: SlotState[],
  fromMs: number,
  stepMs: number,
  start: number,
  end: number,
  state: SlotState,
) {
  const first = Math.max(0, Math.floor((start - fromMs) / stepMs));
  const last = Math.min(slots.length - 1, Math.ceil((end - fromMs) / stepMs) - 1);
  for (let i = first; i <= last; i++) if (slots[i] !== 'excluded') slots[i] = state;
}

/** The windows of a downtime that overlap [fromMs, toMs). */
function downtimeWindows(downtime: Downtime, fromMs: number, toMs: number) {
  const effectiveFrom = Math.max(fromMs - 86_400_000, downtime.startsAt);
  const effectiveTo = Math.min(toMs, downtime.endsAt ?? toMs);
  if (!downtime.recurrence)
    return downtime.endsAt !== undefined && downtime.startsAt < toMs && downtime.endsAt > fromMs
      ? [{ startsAt: downtime.startsAt, endsAt: downtime.endsAt }]
      : [];
  return windowsBetween(downtime.recurrence, effectiveFrom, effectiveTo, 20_000).filter(
    (w) => w.endsAt > fromMs,
  );
}

const percent = (up: number, counted: number) =>
  counted === 0 ? null : Math.round((up / counted) * 1e6) / 1e4;

export interface SlaData {
  /** Metric definition: the query's answer (bucketed by stepSeconds, averaged). */
  readonly series?: readonly Series[];
  /** Alert definition: alerts that may overlap the period. */
  readonly alerts?: readonly Alert[];
  readonly downtimes: readonly Downtime[];
  /**
   * The API resource each report resource links to (by id, name or hostname): a downtime on its
   * id or name, its groups or its collector covers it as a downtime on the resource itself does.
   */
  readonly links?: Readonly<Record<string, LinkedResource>>;
}

export function computeSlaReport(input: SlaReportInput, data: SlaData): SlaReport {
  const stepSeconds = input.stepSeconds ?? defaultStepSeconds(input.from, input.to);
  const stepMs = stepSeconds * 1000;
  const slotCount = Math.ceil((input.to - input.from) / stepMs);
  const definition = input.availability;
  const excludedBy = new Map<
    string,
    { downtimeId: string; name: string; windows: number; reason?: string }
  >();

  const results = input.resources.map((resource): SlaResourceResult => {
    const slots: SlotState[] = new Array(slotCount).fill(definition.kind === 'metric' ? 'noData' : 'up');
    const dimensions: Dimensions = definition.kind === 'metric' ? { [definition.by]: resource } : {};
    const linked = data.links?.[resource];
    const names = linked ? [resource, linked.resourceId, linked.name] : [resource];
    const target = downtimeTargetOf('', names, dimensions, linked);
    for (const downtime of data.downtimes) {
      // A downtime for some rules only says nothing about the resource's availability.
      if (downtime.ruleIds?.length) continue;
      if (!downtimeTargets(downtime, target)) continue;
      const windows = downtimeWindows(downtime, input.from, input.to);
      for (const w of windows) markOverlap(slots, input.from, stepMs, w.startsAt, w.endsAt, 'excluded');
      if (windows.length > 0)
        excludedBy.set(downtime.downtimeId, {
          downtimeId: downtime.downtimeId,
          name: downtime.name,
          windows: windows.length,
          ...(downtime.reason ? { reason: downtime.reason } : {}),
        });
    }
    if (definition.kind === 'metric') {
      const state = new Array<SlotState | undefined>(slotCount);
      for (const series of data.series ?? []) {
        if (series.dimensions[definition.by] !== resource) continue;
        for (const [at, value] of series.points) {
          const i = Math.floor((at - input.from) / stepMs);
          if (i < 0 || i >= slotCount || Number.isNaN(value)) continue;
          if (breaks(value, definition.operator, definition.threshold)) state[i] = 'down';
          else if (state[i] === undefined) state[i] = 'up';
        }
      }
      for (let i = 0; i < slotCount; i++) {
        if (slots[i] === 'excluded') continue;
        const s = state[i];
        slots[i] = s ?? (definition.noData === 'exclude' ? 'noData' : definition.noData);
      }
    } else {
      const minimum = SEVERITIES.indexOf(definition.severity);
      for (const alert of data.alerts ?? []) {
        if (SEVERITIES.indexOf(alert.severity as Severity) < minimum) continue;
        if (!resourceNamesOf(alert).includes(resource)) continue;
        const end = alert.clearedAt ? Date.parse(alert.clearedAt) : input.to;
        markOverlap(slots, input.from, stepMs, Date.parse(alert.openedAt), end, 'down');
      }
    }
    const count = (s: SlotState) => slots.reduce((n, x) => n + (x === s ? 1 : 0), 0);
    const up = count('up');
    const down = count('down');
    return {
      resource,
      availability: percent(up, up + down),
      upSeconds: up * stepSeconds,
      downSeconds: down * stepSeconds,
      noDataSeconds: count('noData') * stepSeconds,
      excludedSeconds: count('excluded') * stepSeconds,
      slots,
    };
  });

  // Averaged before rounding: each resource's exact share.
  const shares = results
    .filter((r) => r.upSeconds + r.downSeconds > 0)
    .map((r) => r.upSeconds / (r.upSeconds + r.downSeconds));
  let allOk = 0;
  let allCounted = 0;
  for (let i = 0; i < slotCount; i++) {
    const states = results.map((r) => r.slots[i]).filter((s) => s === 'up' || s === 'down');
    if (states.length === 0) continue;
    allCounted++;
    if (states.every((s) => s === 'up')) allOk++;
  }
  return {
    title: input.title ?? 'Availability report',
    from: new Date(input.from).toISOString(),
    to: new Date(input.to).toISOString(),
    stepSeconds,
    availability: definition,
    resources: results,
    averageAvailability: percent(
      shares.reduce((sum, share) => sum + share, 0),
      shares.length,
    ),
    allOkAvailability: percent(allOk, allCounted),
    excluded: [...excludedBy.values()],
  };
}
