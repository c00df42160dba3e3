import { describe, expect, it } from 'vitest';
import { duePeriods, periodAt, previousPeriod, reportScheduleInputSchema } from '#domain/reports/schedule';

const at = (iso: string) => Date.parse(iso);
const iso = (p: { from: number; to: number }) => ({
  from: new Date(p.from).toISOString(),
  to: new Date(p.to).toISOString(),
});

describe('report schedule periods', () => {
  it('the previous month in Europe/London runs from local midnight to local midnight across spring-forward', () => {
    // 2026-04-01 09:00 BST: the previous month is March, GMT at its start, BST (from 29 March) at its end.
    const period = previousPeriod('monthly', 'Europe/London', at('2026-04-01T08:00:00Z'));
    expect(iso(period)).toEqual({ from: '2026-03-01T00:00:00.000Z', to: '2026-03-31T23:00:00.000Z' });
    expect((period.to - period.from) / 3_600_000).toBe(31 * 24 - 1);
  });

  it('a week across fall-back lasts 169 hours, Monday to Monday local', () => {
    // Clocks go back on Sunday 25 October 2026 in London.
    const period = periodAt('weekly', 'Europe/London', at('2026-10-25T12:00:00Z'));
    expect(iso(period)).toEqual({ from: '2026-10-18T23:00:00.000Z', to: '2026-10-26T00:00:00.000Z' });
    expect((period.to - period.from) / 3_600_000).toBe(169);
  });

  it('a zone east of UTC: the previous month of New Year in Asia/Tokyo is December local', () => {
    // 2027-01-01 00:30 in Tokyo is still 31 December in UTC.
    const period = previousPeriod('monthly', 'Asia/Tokyo', at('2026-12-31T15:30:00Z'));
    expect(iso(period)).toEqual({ from: '2026-11-30T15:00:00.000Z', to: '2026-12-31T15:00:00.000Z' });
  });

  it('owes the periods that ended after the schedule was created, oldest first, the newest `limit`', () => {
    const schedule = {
      cadence: 'monthly' as const,
      timeZone: 'Europe/London',
      createdAt: '2026-01-15T10:00:00Z',
    };
    expect(duePeriods(schedule, at('2026-01-31T23:59:00Z'))).toEqual([]);
    expect(duePeriods(schedule, at('2026-02-01T00:00:00Z')).map(iso)).toEqual([
      { from: '2026-01-01T00:00:00.000Z', to: '2026-02-01T00:00:00.000Z' },
    ]);
    expect(duePeriods(schedule, at('2026-04-02T00:00:00Z')).map((p) => iso(p).from)).toEqual([
      '2026-01-01T00:00:00.000Z',
      '2026-02-01T00:00:00.000Z',
      '2026-03-01T00:00:00.000Z',
    ]);
    expect(duePeriods(schedule, at('2026-12-02T00:00:00Z'), 2).map((p) => iso(p).from)).toEqual([
      '2026-09-30T23:00:00.000Z', // 1 October, BST
      '2026-11-01T00:00:00.000Z',
    ]);
    // Made weekly on 2 December (a Wednesday): the first week owed is the one it ends, not earlier ones.
    const changed = {
      ...schedule,
      cadence: 'weekly' as const,
      periodsSince: '2026-12-02T12:00:00Z',
    };
    expect(duePeriods(changed, at('2026-12-03T00:00:00Z'))).toEqual([]);
    expect(duePeriods(changed, at('2026-12-20T00:00:00Z')).map((p) => iso(p).from)).toEqual([
      '2026-11-30T00:00:00.000Z',
      '2026-12-07T00:00:00.000Z',
    ]);
  });

  it('validates a schedule: the report without its period, an IANA zone, recipients', () => {
    const good = {
      name: 'Monthly web SLA',
      report: { resources: ['web-1'], availability: { kind: 'alerts' } },
      cadence: 'monthly',
      timeZone: 'Europe/London',
      recipients: { emails: ['ops@example.com'] },
    };
    expect(reportScheduleInputSchema.safeParse(good).success).toBe(true);
    expect(reportScheduleInputSchema.safeParse({ ...good, timeZone: 'Mars/Olympus' }).success).toBe(false);
    expect(reportScheduleInputSchema.safeParse({ ...good, recipients: {} }).success).toBe(false);
    expect(
      reportScheduleInputSchema.safeParse({ ...good, report: { ...good.report, from: 0 } }).success,
    ).toBe(false);
    expect(reportScheduleInputSchema.safeParse({ ...good, report: { resources: [] } }).success).toBe(false);
  });
});
