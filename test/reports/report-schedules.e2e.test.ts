/**
 * Scheduled SLA reports end to end on the local platform, on a clock the test moves: a chain with an
 * e-mail recipient and a weekly schedule made through the API, a downtime on a resource's collector
 * and an alert raised by pushes in the week; once the week is over, the platform's own report timer e-mails the summary
 * and a link to both addresses, once, with the availability a hand computation gives.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useAlertingPlatform } from '../alerting/support/alerting-platform';
import { callApi } from '../support/api-call';

/** Monday 2 November 2026, 01:00 in New York (EST since 1 November): the week's first hour. */
let now = Date.parse('2026-11-02T06:00:00Z');
const e2e = useAlertingPlatform('acme', () => now, {
  // The evaluator runs on ingest (its timer is off); the report timer fires every 100 ms of real time.
  reportSchedules: { intervalMs: 100, firstRunAfterMs: 100 },
});
const api = <T = Record<string, unknown>>(method: string, path: string, body?: unknown, status = 200) =>
  callApi<T>(e2e.platform, path, { token: e2e.adminToken, method, body, status });

interface OutboxLine {
  kind: string;
  deliveryId: string;
  to: { type: string; address: string };
  subject: string;
  text: string;
}
const reportMails = (): OutboxLine[] => {
  let text = '';
  try {
    text = readFileSync(join(e2e.platform.dataDir, 'notifications-outbox.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as OutboxLine)
    .filter((l) => l.subject?.startsWith('SLA report:'));
};

describe('scheduled SLA reports on the local platform', () => {
  let scheduleId: string;

  it('e-mails the finished week’s report once to the schedule’s and the chain’s addresses', async () => {
    const chain = await api<{ chainId: string }>(
      'POST',
      '/v1/escalation-chains',
      {
        name: 'on call',
        stageIntervalSeconds: 300,
        stages: [{ recipients: [{ type: 'email', address: 'oncall@example.com' }] }],
      },
      201,
    );
    const schedule = await api<{
      scheduleId: string;
      version: number;
      createdAt: string;
      currentPeriod: unknown;
    }>(
      'POST',
      '/v1/report-schedules',
      {
        name: 'Web weekly',
        report: { resources: ['web-1', 'db-1'], availability: { kind: 'alerts', severity: 'critical' } },
        cadence: 'weekly',
        timeZone: 'America/New_York',
        recipients: { emails: ['sla@example.com'], chainId: chain.chainId },
      },
      201,
    );
    scheduleId = schedule.scheduleId;
    expect(schedule).toMatchObject({
      version: 1,
      createdAt: new Date(now).toISOString(),
      // Monday 00:00 EST to Monday 00:00 EST.
      currentPeriod: { from: '2026-11-02T05:00:00.000Z', to: '2026-11-09T05:00:00.000Z' },
    });

    // Planned maintenance of web-1's collector on Wednesday: 2 h out of web-1's denominator (web-1 is
    // an API resource that collector polls; the downtime names only the collector).
    const collector = await e2e.platform.createCollector(e2e.adminToken, 'rack-1-collector');
    await api(
      'POST',
      '/v1/resources',
      { type: 'device', name: 'web-1', address: 'web-1.example.com', collectorId: collector.collectorId },
      201,
    );
    await api(
      'POST',
      '/v1/downtimes',
      {
        name: 'collector upgrade',
        collectors: [collector.collectorId],
        startsAt: '2026-11-04T10:00:00Z',
        endsAt: '2026-11-04T12:00:00Z',
      },
      201,
    );
    await api(
      'POST',
      '/v1/alert-rules',
      {
        name: 'CPU busy',
        metric: 'cpu_busy',
        threshold: '> 60 80 90',
        windowSeconds: 60,
        triggerInterval: 1,
        clearInterval: 1,
      },
      201,
    );
    // A critical alert on web-1 on Thursday, open 45 minutes.
    now = Date.parse('2026-11-05T08:00:00Z');
    await e2e.ingestCpuBusy('web-1', 95);
    now = Date.parse('2026-11-05T08:45:00Z');
    await e2e.ingestCpuBusy('web-1', 10);
    const alerts = await api<{ alerts: { status: string; severity: string; clearedAt: string }[] }>(
      'GET',
      '/v1/alerts/history',
    );
    expect(alerts.alerts).toMatchObject([
      { status: 'cleared', severity: 'critical', clearedAt: '2026-11-05T08:45:00.000Z' },
    ]);
    // The week is not over: the timer has nothing to send.
    await e2e.platform.reportSchedules.run();
    expect(reportMails()).toEqual([]);

    // Monday 00:30 in New York: the week is over; the platform's timer sends on its next pass.
    now = Date.parse('2026-11-09T05:30:00Z');
    for (let i = 0; i < 100 && reportMails().length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    const mails = reportMails();
    expect(mails.map((m) => m.to.address).sort()).toEqual(['oncall@example.com', 'sla@example.com']);

    // By hand, in 60 s slots: the week is 604,800 s; web-1 is down 2,700 s (the alert) and 7,200 s
    // are excluded (the downtime); db-1 is up throughout.
    const web1 = (604_800 - 7_200 - 2_700) / (604_800 - 7_200);
    const average = (web1 + 1) / 2;
    // Both counted in every slot (db-1 during web-1's downtime): all up at once but for 45 minutes.
    const allOk = (10_080 - 45) / 10_080;
    const pct = (share: number) => `${(Math.round(share * 1e6) / 1e4).toFixed(3)} %`;
    expect(pct(web1)).toBe('99.548 %');
    for (const mail of mails) {
      expect(mail.subject).toBe('SLA report: Web weekly');
      expect(mail.text).toContain(
        'Web weekly: 2026-11-02T05:00:00.000Z to 2026-11-09T05:00:00.000Z (weekly, America/New_York)',
      );
      expect(mail.text).toContain(`Average availability per resource: ${pct(average)}`);
      expect(mail.text).toContain(`All resources available at once: ${pct(allOk)}`);
      expect(mail.text).toContain(`web-1: ${pct(web1)}`);
      expect(mail.text).toContain('db-1: 100.000 %');
      expect(mail.text).toMatch(/PDF \(the link expires\): \S+/);
    }
    // The e-mailed link opens the PDF through the platform's API, without a bearer token.
    const link = /PDF \(the link expires\): (\S+)/.exec(mails[0]?.text ?? '')?.[1] ?? '';
    expect(link).toMatch(/^http:\/\/.+\/v1\/report-files\/[\w.-]+$/);
    const pdf = await fetch(link);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(
      Buffer.from(await pdf.arrayBuffer())
        .subarray(0, 5)
        .toString(),
    ).toBe('%PDF-');
  });

  it('sends nothing twice: another pass of the timer finds the week sent', async () => {
    expect(await e2e.platform.reportSchedules.run()).toEqual({ sent: 0, failed: 0 });
    expect(reportMails()).toHaveLength(2);
  });

  it('sends nothing more once the schedule is deleted', async () => {
    await api('DELETE', `/v1/report-schedules/${scheduleId}`, undefined, 204);
    // Another week over: it would be owed had the schedule stayed.
    now = Date.parse('2026-11-16T05:30:00Z');
    expect(await e2e.platform.reportSchedules.run()).toEqual({ sent: 0, failed: 0 });
    expect(reportMails()).toHaveLength(2);
  });
});
