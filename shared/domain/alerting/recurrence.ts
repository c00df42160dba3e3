/**
 * Recurring windows in a named time zone (LogicMonitor's SDT kinds: daily, weekly, monthly by day,
 * monthly by week). A window is defined in wall-clock time, so "every Sunday 02:00–04:00
 * Europe/London" stays 02:00 local across daylight-saving changes; its UTC instants move instead.
 *
 * Wall-clock times that do not exist (the spring-forward gap) resolve as Temporal's "compatible"
 * disambiguation does: moved forward by the gap. Times that occur twice (fall back) take the earlier.
 */
import * as z from '../zod';

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const WEEKS_OF_MONTH = ['first', 'second', 'third', 'fourth', 'last'] as const;
export type WeekOfMonth = (typeof WEEKS_OF_MONTH)[number];

export type Recurrence =
  | {
      readonly frequency: 'daily';
      readonly timeZone: string;
      readonly startTime: string;
      readonly endTime: string;
    }
  | {
      readonly frequency: 'weekly';
      readonly timeZone: string;
      readonly startTime: string;
      readonly endTime: string;
      readonly daysOfWeek: readonly Weekday[];
    }
  | {
      readonly frequency: 'monthly';
      readonly timeZone: string;
      readonly startTime: string;
      readonly endTime: string;
      /** 1–31; in a shorter month the window falls on its last day. */
      readonly dayOfMonth: number;
    }
  | {
      readonly frequency: 'monthlyByWeek';
      readonly timeZone: string;
      readonly startTime: string;
      readonly endTime: string;
      readonly weekOfMonth: WeekOfMonth;
      readonly dayOfWeek: Weekday;
    };

export interface Window {
  /** Epoch ms, inclusive. */
  readonly startsAt: number;
  /** Epoch ms, exclusive. */
  readonly endsAt: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

export interface LocalDate {
  readonly year: number;
  /** 1–12 */
  readonly month: number;
  readonly day: number;
}

/** The wall-clock fields of an instant in a zone, as if they were UTC (ms). */
function wallClockMs(atMs: number, timeZone: string): number {
  const field = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  for (const part of formatterFor(timeZone).formatToParts(atMs))
    if (part.type in field) field[part.type as keyof typeof field] = Number(part.value);
  return Date.UTC(field.year, field.month - 1, field.day, field.hour, field.minute, field.second);
}

const offsetAt = (atMs: number, timeZone: string) => wallClockMs(atMs, timeZone) - (atMs - (atMs % 1000));

/** The instant of a wall-clock time in a zone (see the module comment for gaps and overlaps). */
export function zonedInstant(date: LocalDate, minutes: number, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  // The offsets a day either side bracket any transition near this wall time.
  const before = offsetAt(wall - 86_400_000, timeZone);
  const after = offsetAt(wall + 86_400_000, timeZone);
  const earlier = wall - before;
  if (before === after || offsetAt(earlier, timeZone) === before) return earlier;
  const later = wall - after;
  if (offsetAt(later, timeZone) === after) return later;
  // In the gap: the offset before the transition, which lands past it (Temporal's "compatible").
  return earlier;
}

export function localDateOf(atMs: number, timeZone: string): LocalDate {
  const wall = new Date(wallClockMs(atMs, timeZone));
  return { year: wall.getUTCFullYear(), month: wall.getUTCMonth() + 1, day: wall.getUTCDate() };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

const daysInMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const weekdayOf = (date: LocalDate): Weekday =>
  WEEKDAYS[new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay()] as Weekday;
const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether a window of this recurrence starts on the given local date. */
function startsOn(recurrence: Recurrence, date: LocalDate): boolean {
  switch (recurrence.frequency) {
    case 'daily':
      return true;
    case 'weekly':
      return recurrence.daysOfWeek.includes(weekdayOf(date));
    case 'monthly':
      return date.day === Math.min(recurrence.dayOfMonth, daysInMonth(date.year, date.month));
    case 'monthlyByWeek': {
      if (weekdayOf(date) !== recurrence.dayOfWeek) return false;
      if (recurrence.weekOfMonth === 'last') return date.day + 7 > daysInMonth(date.year, date.month);
      return Math.ceil(date.day / 7) === WEEKS_OF_MONTH.indexOf(recurrence.weekOfMonth) + 1;
    }
  }
}

/** The window that starts on a local date; an end at or before the start is on the next day. */
function windowOn(recurrence: Recurrence, date: LocalDate): Window {
  const start = minutesOf(recurrence.startTime);
  const end = minutesOf(recurrence.endTime);
  return {
    startsAt: zonedInstant(date, start, recurrence.timeZone),
    endsAt: zonedInstant(end > start ? date : addDays(date, 1), end, recurrence.timeZone),
  };
}

/** The window covering an instant, if any (a window lasts under a day, so today's or yesterday's). */
export function windowAt(recurrence: Recurrence, atMs: number): Window | undefined {
  const today = localDateOf(atMs, recurrence.timeZone);
  for (const date of [today, addDays(today, -1)]) {
    if (!startsOn(recurrence, date)) continue;
    const window = windowOn(recurrence, date);
    if (window.startsAt <= atMs && atMs < window.endsAt) return window;
  }
  return undefined;
}

/** The windows that start in [fromMs, toMs), oldest first, at most `limit`. */
export function windowsBetween(
  recurrence: Recurrence,
  fromMs: number,
  toMs: number,
  limit: number,
): Window[] {
  const windows: Window[] = [];
  let date = addDays(localDateOf(fromMs, recurrence.timeZone), -1);
  const last = localDateOf(toMs, recurrence.timeZone);
  while (
    windows.length < limit &&
    Date.UTC(date.year, date.month - 1, date.day) <= Date.UTC(last.year, last.month - 1, last.day)
  ) {
    if (startsOn(recurrence, date)) {
      const window = windowOn(recurrence, date);
      if (window.startsAt >= fromMs && window.startsAt < toMs) windows.push(window);
    }
    date = addDays(date, 1);
  }
  return windows;
}

const clockTime = z
  .string()
  .check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a 24-hour local time HH:MM'));
export const timeZoneSchema = z
  .string()
  .check(z.maxLength(64), z.refine(isTimeZone, 'must be an IANA time zone, e.g. Europe/London'));
const weekday = z.enum(WEEKDAYS);
const common = { timeZone: timeZoneSchema, startTime: clockTime, endTime: clockTime };

export const recurrenceSchema = z
  .discriminatedUnion('frequency', [
    z.strictObject({ frequency: z.literal('daily'), ...common }),
    z.strictObject({
      frequency: z.literal('weekly'),
      ...common,
      daysOfWeek: z.array(weekday).check(z.minLength(1), z.maxLength(7)),
    }),
    z.strictObject({
      frequency: z.literal('monthly'),
      ...common,
      dayOfMonth: z.number().check(z.int(), z.gte(1), z.lte(31)),
    }),
    z.strictObject({
      frequency: z.literal('monthlyByWeek'),
      ...common,
      weekOfMonth: z.enum(WEEKS_OF_MONTH),
      dayOfWeek: weekday,
    }),
  ])
  .check(
    z.refine((r) => r.startTime !== r.endTime, {
      message: 'endTime must differ from startTime (an end before the start means the next day)',
      path: ['endTime'],
    }),
  );
