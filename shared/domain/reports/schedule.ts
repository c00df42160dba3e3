/**
 * Scheduled SLA reports: a report request without its period, a cadence and a time zone. A period is
 * a calendar week (Monday 00:00 to Monday 00:00) or month (the 1st 00:00 to the next 1st 00:00) in
 * wall-clock time of the zone, so "the previous month in Europe/London" starts and ends at local
 * midnight on both sides of a daylight-saving change; its length in hours changes instead.
 */
import { addDays, type LocalDate, localDateOf, timeZoneSchema, zonedInstant } from '../alerting/recurrence';
import type { Versioned } from '../entities';
import * as z from '../zod';
import { slaReportInputSchema } from './sla';

export const REPORT_CADENCES = ['weekly', 'monthly'] as const;

/**
 * Schedules a tenant may keep: each costs the scheduler one SLA report and PDF per period. The API
 * refuses more; the runner also serves no more than this many a tenant, so creates racing past the
 * API's check cannot make its pass unbounded.
 */
export const MAX_REPORT_SCHEDULES = 100;
export type ReportCadence = (typeof REPORT_CADENCES)[number];

export interface ReportPeriod {
  readonly from: number;
  readonly to: number;
}

/** The longest period a schedule covers (31 days): a report valid for it is valid for any. */
const LONGEST_PERIOD_MS = 31 * 86_400_000;

/** The SLA request body (POST /v1/reports/sla) without `from`, `to` and `format`. */
const scheduledReportSchema = z.record(z.string(), z.unknown()).check(
  z.refine((r) => !('from' in r) && !('to' in r) && !('format' in r), {
    message: 'from, to and format are set by the schedule',
  }),
  z.refine((r) => slaReportInputSchema.safeParse({ ...r, from: 0, to: LONGEST_PERIOD_MS }).success, {
    message: 'must be a valid SLA report request (as POST /v1/reports/sla takes it) for a 31-day period',
  }),
);

const email = z.string().check(
  z.maxLength(254),
  z.refine((s) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(s), 'not an email address'),
);

export const reportScheduleInputSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  report: scheduledReportSchema,
  cadence: z.enum(REPORT_CADENCES),
  timeZone: timeZoneSchema,
  /** E-mail addresses, and/or an escalation chain whose e-mail recipients receive it too. */
  recipients: z
    .strictObject({
      emails: z.optional(z.array(email).check(z.maxLength(20))),
      chainId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
    })
    .check(
      z.refine((r) => (r.emails?.length ?? 0) > 0 || r.chainId !== undefined, {
        message: 'name at least one e-mail address or a chainId',
      }),
    ),
});
export type ReportScheduleInput = z.infer<typeof reportScheduleInputSchema>;

/**
 * A stored schedule (tenant-store entity `report-schedule`). Periods that ended before `periodsSince`
 * (else `createdAt`) are never sent: a new schedule does not back-fill, nor does one whose cadence or
 * time zone changed (its periods are new ones).
 */
export interface ReportSchedule extends ReportScheduleInput, Versioned {
  readonly tenantId: string;
  readonly scheduleId: string;
  /** When its cadence or time zone last changed (ISO 8601); absent while they are as created. */
  readonly periodsSince?: string;
}

const dayNumber = (d: LocalDate) => Date.UTC(d.year, d.month - 1, d.day) / 86_400_000;

/** The local date that starts the period holding `date`. */
function periodStart(cadence: ReportCadence, date: LocalDate): LocalDate {
  if (cadence === 'monthly') return { year: date.year, month: date.month, day: 1 };
  // 1970-01-01 was a Thursday: (days + 3) % 7 is 0 on Mondays.
  return addDays(date, -((((dayNumber(date) + 3) % 7) + 7) % 7));
}

function nextStart(cadence: ReportCadence, start: LocalDate): LocalDate {
  if (cadence === 'weekly') return addDays(start, 7);
  return start.month === 12
    ? { year: start.year + 1, month: 1, day: 1 }
    : { year: start.year, month: start.month + 1, day: 1 };
}

/** The period (in UTC instants) that holds `atMs`. */
export function periodAt(cadence: ReportCadence, timeZone: string, atMs: number): ReportPeriod {
  const start = periodStart(cadence, localDateOf(atMs, timeZone));
  return { from: zonedInstant(start, 0, timeZone), to: zonedInstant(nextStart(cadence, start), 0, timeZone) };
}

/** The last complete period before `nowMs`, e.g. "the previous calendar month in Europe/London". */
export function previousPeriod(cadence: ReportCadence, timeZone: string, nowMs: number): ReportPeriod {
  return periodAt(cadence, timeZone, periodAt(cadence, timeZone, nowMs).from - 1);
}

/**
 * The complete periods a schedule owes at `nowMs`, oldest first: those that ended after it was created
 * or its cadence or time zone changed (a missed run catches up), at most `limit`. Which were already sent is the ledger's concern.
 */
export function duePeriods(
  schedule: Pick<ReportSchedule, 'cadence' | 'timeZone' | 'createdAt' | 'periodsSince'>,
  nowMs: number,
  limit = 3,
): ReportPeriod[] {
  const periods: ReportPeriod[] = [];
  let period = previousPeriod(schedule.cadence, schedule.timeZone, nowMs);
  const sinceMs = Date.parse(schedule.periodsSince ?? schedule.createdAt);
  while (period.to > sinceMs && periods.length < limit) {
    periods.unshift(period);
    period = periodAt(schedule.cadence, schedule.timeZone, period.from - 1);
  }
  return periods;
}
