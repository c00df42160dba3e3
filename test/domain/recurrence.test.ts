/**
 * Recurring downtime windows in named time zones, across both 2026 daylight-saving changes. The UTC
 * instants are worked out by hand from the zones' rules (Europe/London: BST from 01:00 UTC on
 * 29 March to 01:00 UTC on 25 October 2026; America/New_York: EDT from 07:00 UTC on 8 March to
 * 06:00 UTC on 1 November 2026), and checked again against Intl's own reading of each instant.
 */
import { describe, expect, it } from 'vitest';
import { type Downtime, downtimeCovers, upcomingWindows } from '#domain/alerting/downtime';
import {
  type Recurrence,
  recurrenceSchema,
  windowAt,
  windowsBetween,
  zonedInstant,
} from '#domain/alerting/recurrence';

const utc = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const localClock = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(ms);

const sundayLondon: Recurrence = {
  frequency: 'weekly',
  timeZone: 'Europe/London',
  startTime: '02:00',
  endTime: '04:00',
  daysOfWeek: ['sun'],
};

describe('weekly "every Sunday 02:00–04:00 Europe/London"', () => {
  const windows = windowsBetween(sundayLondon, utc('2026-03-15T00:00:00Z'), utc('2026-11-02T00:00:00Z'), 100);

  it('keeps 02:00 local across the spring change: 02:00 GMT, then 02:00 BST', () => {
    expect(windows.slice(0, 4).map((w) => [iso(w.startsAt), iso(w.endsAt)])).toEqual([
      ['2026-03-15T02:00:00.000Z', '2026-03-15T04:00:00.000Z'],
      ['2026-03-22T02:00:00.000Z', '2026-03-22T04:00:00.000Z'],
      // The change day itself: 01:00 GMT becomes 02:00 BST, so 02:00 local is 01:00 UTC.
      ['2026-03-29T01:00:00.000Z', '2026-03-29T03:00:00.000Z'],
      ['2026-04-05T01:00:00.000Z', '2026-04-05T03:00:00.000Z'],
    ]);
  });

  it('and across the autumn change: 02:00 BST, then 02:00 GMT (on the day itself 02:00 is GMT)', () => {
    const october = windows.filter(
      (w) => iso(w.startsAt).startsWith('2026-10') || iso(w.startsAt).startsWith('2026-11'),
    );
    expect(october.map((w) => [iso(w.startsAt), iso(w.endsAt)])).toEqual([
      ['2026-10-04T01:00:00.000Z', '2026-10-04T03:00:00.000Z'],
      ['2026-10-11T01:00:00.000Z', '2026-10-11T03:00:00.000Z'],
      ['2026-10-18T01:00:00.000Z', '2026-10-18T03:00:00.000Z'],
      ['2026-10-25T02:00:00.000Z', '2026-10-25T04:00:00.000Z'],
      ['2026-11-01T02:00:00.000Z', '2026-11-01T04:00:00.000Z'],
    ]);
  });

  it('every window, read back by Intl in the zone, is Sunday 02:00 to 04:00', () => {
    expect(windows.length).toBe(34);
    for (const w of windows) {
      expect(localClock(w.startsAt, 'Europe/London')).toBe('Sun 02:00');
      expect(localClock(w.endsAt, 'Europe/London')).toBe('Sun 04:00');
    }
  });

  it('covers an instant inside a window and not one a minute outside', () => {
    expect(windowAt(sundayLondon, utc('2026-03-29T02:59:00Z'))).toBeDefined();
    expect(windowAt(sundayLondon, utc('2026-03-29T03:00:00Z'))).toBeUndefined();
    expect(windowAt(sundayLondon, utc('2026-03-29T00:59:00Z'))).toBeUndefined();
    expect(windowAt(sundayLondon, utc('2026-10-25T01:30:00Z'))).toBeUndefined(); // 01:30 GMT, second pass
    expect(windowAt(sundayLondon, utc('2026-10-25T02:00:00Z'))).toBeDefined();
    expect(windowAt(sundayLondon, utc('2026-03-28T02:30:00Z'))).toBeUndefined(); // a Saturday
  });
});

describe('wall-clock times that do not exist or occur twice', () => {
  it('a time in the spring gap moves forward by the gap (Temporal "compatible")', () => {
    expect(iso(zonedInstant({ year: 2026, month: 3, day: 29 }, 90, 'Europe/London'))).toBe(
      '2026-03-29T01:30:00.000Z',
    );
    expect(
      localClock(zonedInstant({ year: 2026, month: 3, day: 29 }, 90, 'Europe/London'), 'Europe/London'),
    ).toBe('Sun 02:30');
    expect(iso(zonedInstant({ year: 2026, month: 3, day: 8 }, 150, 'America/New_York'))).toBe(
      '2026-03-08T07:30:00.000Z',
    );
  });

  it('a time that occurs twice in autumn takes the earlier', () => {
    expect(iso(zonedInstant({ year: 2026, month: 10, day: 25 }, 90, 'Europe/London'))).toBe(
      '2026-10-25T00:30:00.000Z',
    );
    expect(iso(zonedInstant({ year: 2026, month: 11, day: 1 }, 90, 'America/New_York'))).toBe(
      '2026-11-01T05:30:00.000Z',
    );
  });
});

describe('daily, monthly and monthly-by-week recurrences', () => {
  it('a daily window across midnight in New York lasts 2 h, also on both change nights', () => {
    const nightly: Recurrence = {
      frequency: 'daily',
      timeZone: 'America/New_York',
      startTime: '23:00',
      endTime: '01:00',
    };
    const march = windowsBetween(nightly, utc('2026-03-06T00:00:00Z'), utc('2026-03-09T12:00:00Z'), 10);
    expect(march.map((w) => [iso(w.startsAt), iso(w.endsAt)])).toEqual([
      ['2026-03-06T04:00:00.000Z', '2026-03-06T06:00:00.000Z'],
      ['2026-03-07T04:00:00.000Z', '2026-03-07T06:00:00.000Z'],
      // 23:00 EST Saturday to 01:00 EST Sunday; the change is at 02:00 local.
      ['2026-03-08T04:00:00.000Z', '2026-03-08T06:00:00.000Z'],
      ['2026-03-09T03:00:00.000Z', '2026-03-09T05:00:00.000Z'],
    ]);
    const covering = windowAt(nightly, utc('2026-03-09T04:59:00Z'));
    expect(covering && iso(covering.startsAt)).toBe('2026-03-09T03:00:00.000Z');
  });

  it('monthly on day 31 falls on the last day of shorter months', () => {
    const monthEnd: Recurrence = {
      frequency: 'monthly',
      timeZone: 'UTC',
      startTime: '22:00',
      endTime: '23:30',
      dayOfMonth: 31,
    };
    const starts = windowsBetween(monthEnd, utc('2026-01-01T00:00:00Z'), utc('2026-05-01T00:00:00Z'), 10).map(
      (w) => iso(w.startsAt),
    );
    expect(starts).toEqual([
      '2026-01-31T22:00:00.000Z',
      '2026-02-28T22:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
      '2026-04-30T22:00:00.000Z',
    ]);
  });

  it('monthly by week: the first and the last Sunday of each month', () => {
    const starts = (weekOfMonth: 'first' | 'last') =>
      windowsBetween(
        {
          frequency: 'monthlyByWeek',
          timeZone: 'Europe/Berlin',
          startTime: '03:00',
          endTime: '05:00',
          weekOfMonth,
          dayOfWeek: 'sun',
        },
        utc('2026-02-01T00:00:00Z'),
        utc('2026-05-01T00:00:00Z'),
        10,
      ).map((w) => iso(w.startsAt));
    expect(starts('first')).toEqual([
      '2026-02-01T02:00:00.000Z',
      '2026-03-01T02:00:00.000Z',
      '2026-04-05T01:00:00.000Z',
    ]);
    // The last Sunday of March is Berlin's change day: 03:00 CEST is 01:00 UTC.
    expect(starts('last')).toEqual([
      '2026-02-22T02:00:00.000Z',
      '2026-03-29T01:00:00.000Z',
      '2026-04-26T01:00:00.000Z',
    ]);
  });
});

describe('a recurring downtime', () => {
  const base: Downtime = {
    tenantId: 't1',
    downtimeId: 'd1',
    name: 'Sunday patching',
    startsAt: utc('2026-03-20T00:00:00Z'),
    endsAt: utc('2026-04-01T00:00:00Z'),
    recurrence: sundayLondon,
    groups: ['databases'],
    createdAt: '2026-03-01T00:00:00Z',
  };
  const target = (groups: string[], datasource = 'MySQL') => ({
    ruleId: 'r1',
    resources: ['db-01'],
    groups,
    dimensions: { datasource },
  });

  it('covers its group only inside a window and inside its effective range', () => {
    expect(downtimeCovers(base, target(['databases']), utc('2026-03-22T03:00:00Z'))).toBe(true);
    expect(downtimeCovers(base, target(['web']), utc('2026-03-22T03:00:00Z'))).toBe(false);
    expect(downtimeCovers(base, target(['databases']), utc('2026-03-22T05:00:00Z'))).toBe(false);
    expect(downtimeCovers(base, target(['databases']), utc('2026-03-15T03:00:00Z'))).toBe(false); // before startsAt
    expect(downtimeCovers(base, target(['databases']), utc('2026-04-05T01:30:00Z'))).toBe(false); // after endsAt
  });

  it('narrows by datasource when it names some', () => {
    const mysqlOnly = { ...base, datasources: ['MySQL'] };
    expect(downtimeCovers(mysqlOnly, target(['databases']), utc('2026-03-22T03:00:00Z'))).toBe(true);
    expect(downtimeCovers(mysqlOnly, target(['databases'], 'Postgres'), utc('2026-03-22T03:00:00Z'))).toBe(
      false,
    );
  });

  it('lists its next windows, the open one first, and none past its end', () => {
    const next = upcomingWindows(base, utc('2026-03-22T03:00:00Z'), 5).map((w) => iso(w.startsAt));
    expect(next).toEqual(['2026-03-22T02:00:00.000Z', '2026-03-29T01:00:00.000Z']);
  });
});

describe('the recurrence schema', () => {
  it('refuses an unknown time zone, a bad clock time and an empty window, naming the field', () => {
    const paths = (input: unknown) => {
      const result = recurrenceSchema.safeParse(input);
      return result.success ? [] : result.error.issues.map((i) => i.path.join('.'));
    };
    expect(
      paths({ frequency: 'daily', timeZone: 'Mars/Olympus', startTime: '02:00', endTime: '03:00' }),
    ).toEqual(['timeZone']);
    expect(paths({ frequency: 'daily', timeZone: 'UTC', startTime: '24:00', endTime: '03:00' })).toEqual([
      'startTime',
    ]);
    expect(paths({ frequency: 'daily', timeZone: 'UTC', startTime: '02:00', endTime: '02:00' })).toEqual([
      'endTime',
    ]);
    expect(
      paths({ frequency: 'weekly', timeZone: 'UTC', startTime: '02:00', endTime: '03:00', daysOfWeek: [] }),
    ).toEqual(['daysOfWeek']);
    expect(
      paths({
        frequency: 'weekly',
        timeZone: 'UTC',
        startTime: '02:00',
        endTime: '03:00',
        daysOfWeek: ['sun'],
      }),
    ).toEqual([]);
  });
});
