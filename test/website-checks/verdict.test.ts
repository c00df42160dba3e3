import { describe, expect, it } from 'vitest';
import type { Resource } from '#domain/entities';
import {
  checkDue,
  locationFailing,
  requiredLocations,
  websiteCheckSettings,
  websiteVerdict,
} from '#domain/website-checks';

describe('how many failing locations fail a website (LM: all / half / more than one / any)', () => {
  it.each([
    ['all', 5, 5],
    ['all', 1, 1],
    ['half', 5, 3],
    ['half', 4, 2],
    ['half', 1, 1],
    ['more-than-one', 5, 2],
    ['more-than-one', 1, 1],
    ['any', 5, 1],
  ] as const)('%s of %i reporting needs %i', (policy, reporting, required) => {
    expect(requiredLocations(policy, reporting)).toBe(required);
  });

  it('with no location reporting, nothing can fail', () => {
    expect(requiredLocations('any', 0)).toBe(Number.POSITIVE_INFINITY);
    expect(websiteVerdict({ failedChecks: 1, locations: 'any' }, new Map())).toMatchObject({
      failing: false,
    });
  });
});

describe('a location is failing after N consecutive failed checks', () => {
  it('counts only the newest run of failures', () => {
    expect(locationFailing([0, 0, 0], 3)).toBe(true);
    expect(locationFailing([1, 0, 0], 3)).toBe(false);
    expect(locationFailing([0, 0, 1], 2)).toBe(false);
    expect(locationFailing([1, 1, 0, 0], 2)).toBe(true);
    expect(locationFailing([0], 2)).toBe(false);
  });
});

describe('website verdict', () => {
  const locations = (entries: Record<string, number[]>) => new Map(Object.entries(entries));

  it('fails "more than one" only when two locations each failed N times in a row', () => {
    const settings = { failedChecks: 2, locations: 'more-than-one' as const };
    expect(websiteVerdict(settings, locations({ eu: [0, 0], us: [1, 0], ap: [1, 1] }))).toEqual({
      reporting: 3,
      failingLocations: ['eu'],
      required: 2,
      failing: false,
    });
    expect(websiteVerdict(settings, locations({ eu: [0, 0], us: [0, 0], ap: [1, 1] }))).toMatchObject({
      failingLocations: ['eu', 'us'],
      failing: true,
    });
  });

  it('leaves a location that did not report out of the count', () => {
    const settings = { failedChecks: 1, locations: 'all' as const };
    expect(websiteVerdict(settings, locations({ eu: [0], us: [0], ap: [] }))).toEqual({
      reporting: 2,
      failingLocations: ['eu', 'us'],
      required: 2,
      failing: true,
    });
  });
});

describe('settings and schedule', () => {
  const website = (poll?: Resource['poll']): Resource =>
    ({
      type: 'website',
      resourceId: 'a'.repeat(32),
      name: 'shop',
      address: 'https://shop.example',
      ...(poll ? { poll } : {}),
    }) as Resource;

  it('checks websites by default (3 failed checks, half the locations, every minute)', () => {
    expect(websiteCheckSettings(website())).toEqual({
      failedChecks: 3,
      locations: 'half',
      intervalSeconds: 60,
    });
    expect(websiteCheckSettings({ ...website(), type: 'device' })).toBeUndefined();
    expect(websiteCheckSettings(website({ http: { platformCheck: false } }))).toBeUndefined();
    expect(
      websiteCheckSettings(website({ intervalSeconds: 10, http: { failedChecks: 1, locations: 'any' } })),
    ).toEqual({ failedChecks: 1, locations: 'any', intervalSeconds: 60 });
  });

  it('runs a 5-minute check in one minute out of five', () => {
    const minute = 60_000;
    const due = Array.from({ length: 10 }, (_, i) => checkDue(300, 1_800_000_000_000 + i * minute));
    expect(due.filter(Boolean)).toHaveLength(2);
    expect(checkDue(60, 1_800_000_000_000 + 7 * minute)).toBe(true);
  });
});
