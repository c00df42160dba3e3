/**
 * SLA numbers on constructed data, checked against a hand computation, and the PDF rendered to pixels
 * by poppler's pdftoppm (a real reader) to see the chart is drawn.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Alert } from '#domain/alerting/alert';
import type { Downtime } from '#domain/alerting/downtime';
import type { Series } from '#domain/query';
import { computeSlaReport, slaReportInputSchema } from '#domain/reports/sla';
import { renderSlaPdf } from '../../functions/alerts/sla-pdf';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const H = 3_600_000;
/** Hourly `up` values for a host; `undefined` is a missing sample. */
const series = (host: string, values: (number | undefined)[]): Series => ({
  metric: 'up',
  dimensions: { host },
  points: values.flatMap((v, i) => (v === undefined ? [] : [[T0 + i * H, v] as const])),
});
const downtime = (overrides: Partial<Downtime>): Downtime => ({
  tenantId: 't1',
  downtimeId: 'd1',
  name: 'patching',
  startsAt: T0 + 3 * H,
  endsAt: T0 + 5 * H,
  createdAt: '2026-11-01T00:00:00Z',
  ...overrides,
});
const metricInput = (noData: 'exclude' | 'down' | 'up' = 'exclude') =>
  slaReportInputSchema.parse({
    from: T0,
    to: T0 + 10 * H,
    stepSeconds: 3600,
    resources: ['a', 'b'],
    availability: { kind: 'metric', metric: 'up', by: 'host', operator: '>=', threshold: 1, noData },
  });
const data = {
  series: [series('a', [1, 1, 0, 0, 1, 1, 1, 1, 1, 1]), series('b', [1, 1, 1, 1, 1, 1, 0, 1, 1, undefined])],
  downtimes: [
    downtime({ resources: ['a'], reason: 'planned kernel upgrade' }),
    // Scoped to rules: says nothing about availability.
    downtime({ downtimeId: 'd2', resources: ['b'], ruleIds: ['r1'], startsAt: T0, endsAt: T0 + 10 * H }),
  ],
};

describe('SLA report numbers (hand-computed)', () => {
  it('excludes downtime from the denominator, per resource and for both aggregations', () => {
    const report = computeSlaReport(metricInput(), data);
    // a: slot 2 down, slots 3–4 in downtime (slot 3's 0 does not count), 7 up → 7 / 8.
    // b: slot 6 down, slot 9 without data (left out), 8 up → 8 / 9.
    expect(report.resources.map((r) => [r.resource, r.availability])).toEqual([
      ['a', 87.5],
      ['b', 88.8889],
    ]);
    expect(report.resources[0]).toMatchObject({
      upSeconds: 7 * 3600,
      downSeconds: 3600,
      excludedSeconds: 2 * 3600,
    });
    expect(report.resources[1]).toMatchObject({ noDataSeconds: 3600, excludedSeconds: 0 });
    expect(report.averageAvailability).toBe(88.1944); // (87.5 + 88.8889) / 2
    // All at once: slots 2 and 6 fail; slots 3–4 count b alone, slot 9 counts a alone → 8 / 10.
    expect(report.allOkAvailability).toBe(80);
    expect(report.excluded).toEqual([
      { downtimeId: 'd1', name: 'patching', windows: 1, reason: 'planned kernel upgrade' },
    ]);
  });

  it('counts no data as down or up when asked', () => {
    expect(computeSlaReport(metricInput('down'), data).resources[1]?.availability).toBe(80);
    expect(computeSlaReport(metricInput('up'), data).resources[1]?.availability).toBe(90);
  });

  it('without the downtime, the same data gives the plain figure', () => {
    const report = computeSlaReport(metricInput(), { ...data, downtimes: [] });
    expect(report.resources[0]?.availability).toBe(80); // 8 up of 10
  });

  it('a recurring downtime excludes each of its windows', () => {
    const nightly = downtime({
      resources: ['a'],
      startsAt: T0 - H,
      recurrence: { frequency: 'daily', timeZone: 'UTC', startTime: '02:00', endTime: '04:00' },
    });
    delete (nightly as { endsAt?: number }).endsAt;
    const report = computeSlaReport(metricInput(), { ...data, downtimes: [nightly] });
    // Slots 2–3 excluded (both the down ones) → 8 up of 8.
    expect(report.resources[0]).toMatchObject({ availability: 100, excludedSeconds: 2 * 3600 });
  });

  it('an alert definition: down while a critical alert was open at any point in a slot', () => {
    const alert = (openedAt: number, clearedAt: number | undefined, severity: Alert['severity']): Alert =>
      ({
        tenantId: 't1',
        alertId: `a${openedAt}`,
        ruleId: 'r1',
        ruleName: 'down',
        seriesKey: 'k',
        metric: 'up',
        dimensions: {},
        resource: 'web-1',
        cause: 'threshold',
        status: clearedAt ? 'cleared' : 'open',
        severity,
        openedAt: new Date(openedAt).toISOString(),
        updatedAt: new Date(openedAt).toISOString(),
        ...(clearedAt ? { clearedAt: new Date(clearedAt).toISOString() } : {}),
        history: [],
      }) as Alert;
    const input = slaReportInputSchema.parse({
      from: T0,
      to: T0 + 10 * H,
      stepSeconds: 3600,
      resources: ['web-1'],
      availability: { kind: 'alerts' },
    });
    const report = computeSlaReport(input, {
      alerts: [
        alert(T0 + 1.5 * H, T0 + 2.2 * H, 'critical'), // slots 1 and 2
        alert(T0 + 5 * H, T0 + 9 * H, 'warning'), // below critical: ignored
        alert(T0 - 30 * H, T0 + 0.5 * H, 'critical'), // opened before the period: slot 0
      ],
      downtimes: [],
    });
    expect(report.resources[0]).toMatchObject({ availability: 70, downSeconds: 3 * 3600 });
  });

  it('refuses a period of more than 11,000 slots or reversed, naming the field', () => {
    const paths = (body: unknown) => {
      const r = slaReportInputSchema.safeParse(body);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    const base = { resources: ['a'], availability: { kind: 'alerts' } };
    expect(paths({ ...base, from: T0, to: T0 + 100 * 86_400_000, stepSeconds: 60 })).toEqual(['stepSeconds']);
    expect(paths({ ...base, from: T0, to: T0 - 1 })).toEqual(['to']);
    expect(paths({ ...base, from: T0, to: T0 + 31 * 86_400_000 })).toEqual([]);
  });
});

describe('SLA report PDF', () => {
  it('renders a document whose first page shows the timeline in green, red and grey', async () => {
    const pdf = await renderSlaPdf(computeSlaReport(metricInput(), data), 'Acme Corp');
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    const dir = mkdtempSync(join(tmpdir(), 'sla-pdf-'));
    writeFileSync(join(dir, 'report.pdf'), pdf);
    execFileSync('pdftoppm', ['-r', '60', '-f', '1', '-l', '1', join(dir, 'report.pdf'), join(dir, 'page')]);
    const ppm = readFileSync(join(dir, 'page-1.ppm'));
    // P6 header: magic, width, height, maxval, each followed by whitespace.
    const header = /^P6\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(ppm.subarray(0, 32).toString('latin1'));
    expect(header).not.toBeNull();
    const pixels = ppm.subarray(header![0].length);
    const counts = { green: 0, red: 0, grey: 0, dark: 0 };
    for (let i = 0; i + 2 < pixels.length; i += 3) {
      const [r, g, b] = [pixels[i]!, pixels[i + 1]!, pixels[i + 2]!];
      if (g > 100 && r < 80 && b < 80) counts.green++;
      else if (r > 160 && g < 80 && b < 80) counts.red++;
      else if (Math.abs(r - 0x90) < 16 && Math.abs(g - 0xa4) < 16 && Math.abs(b - 0xae) < 16) counts.grey++;
      else if (r < 60 && g < 60 && b < 60) counts.dark++;
    }
    // Up slots outnumber down ones, the excluded window is drawn, and there is text.
    expect(counts.green).toBeGreaterThan(counts.red);
    expect(counts.red).toBeGreaterThan(20);
    expect(counts.grey).toBeGreaterThan(20);
    expect(counts.dark).toBeGreaterThan(500);
  });
});
