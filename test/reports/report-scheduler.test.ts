import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ReportLinks } from '#adapters/crypto/report-links';
import { FileLinkKey } from '#adapters/local/file-link-key';
import { LocalReportFiles } from '#adapters/local/report-files';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import { LocalNoticeSender } from '#adapters/webhook/notice-sender';
import type { ReportSchedule } from '#domain/reports/schedule';
import { runReportSchedules } from '../../functions/report-scheduler/runner';
import { clearedCriticalAlert } from './support/alerts';

const dir = mkdtempSync(join(tmpdir(), 'report-scheduler-'));
const store = new SqliteAlertStore(join(dir, 'alerts.sqlite'));
const ledger = new SqliteNotificationLedger(join(dir, 'alerts.sqlite'));
const outbox = join(dir, 'outbox.jsonl');
afterAll(() => ledger.close());

const TENANT = 't1';
let now = Date.parse('2026-03-20T12:00:00Z');
const clock = { now: () => new Date(now) };
const schedule: ReportSchedule = {
  tenantId: TENANT,
  scheduleId: 's1',
  name: 'Web SLA',
  report: { resources: ['web-1'], availability: { kind: 'alerts' } },
  cadence: 'monthly',
  timeZone: 'Europe/London',
  recipients: { emails: ['ops@example.com', 'cto@example.com'] },
  createdAt: '2026-02-15T00:00:00Z',
  version: 1,
};
const links = new ReportLinks(new FileLinkKey(join(dir, 'link.key')), () => 'http://127.0.0.1:8080');
const deps = {
  store,
  clock,
  ledger,
  schedules: async () => [schedule],
  recipients: async (s: ReportSchedule) => s.recipients.emails ?? [],
  tenantName: async () => 'Acme',
  files: new LocalReportFiles(join(dir, 'reports'), links, clock),
  sender: new LocalNoticeSender({ postSigned: async () => {} }, outbox),
};
const outboxLines = () => {
  try {
    return readFileSync(outbox, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

describe('scheduled SLA reports', () => {
  it('after the month ends, e-mails each recipient the summary and a link to the PDF, once', async () => {
    // A critical alert on web-1 open 7 h 25 min in March (London: GMT, then BST from the 29th).
    await store.putAlert(
      clearedCriticalAlert(
        TENANT,
        'web-1',
        Date.parse('2026-03-10T10:00:00Z'),
        Date.parse('2026-03-10T17:25:00Z'),
      ),
    );

    // Mid-March: February is owed (the schedule was created on the 15th), March is not yet.
    expect(await runReportSchedules(deps)).toEqual({ sent: 2, failed: 0 });
    expect(outboxLines().every((l) => l.subject === 'SLA report: Web SLA')).toBe(true);
    expect(outboxLines()[0].text).toContain('2026-02-01T00:00:00.000Z to 2026-03-01T00:00:00.000Z');

    now = Date.parse('2026-04-01T00:30:00Z'); // 01:30 BST on 1 April
    expect(await runReportSchedules(deps)).toEqual({ sent: 2, failed: 0 });
    const march = outboxLines().slice(2);
    expect(march.map((l) => l.to.address).sort()).toEqual(['cto@example.com', 'ops@example.com']);
    const text: string = march[0].text;
    // March in London is 743 h (31 days less the spring-forward hour); the alert took 26,700 s.
    const expected = ((1 - 26_700 / (743 * 3600)) * 100).toFixed(3);
    expect(text).toContain('2026-03-01T00:00:00.000Z to 2026-03-31T23:00:00.000Z');
    expect(text).toContain(`Average availability per resource: ${expected} %`);
    expect(text).toContain(`All resources available at once: ${expected} %`);
    expect(text).toContain(`web-1: ${expected} %`);
    const link = /PDF \(the link expires\): (\S+)/.exec(text)?.[1];
    expect(link).toBeDefined();
    // A link to the platform's own API that opens the tenant's PDF (report-files.test.ts: the route).
    const token = (link as string).replace('http://127.0.0.1:8080/v1/report-files/', '');
    const target = await links.open(token, now);
    expect(target).toEqual({ tenantId: TENANT, key: 'reports/s1/2026-03-01.pdf' });
    const file = await deps.files.fetch(target.tenantId, target.key);
    const pdf = (file as { kind: 'content'; pdf: Buffer }).pdf;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(1000);

    // A retry (the timer firing again, another process) sends nothing twice.
    expect(await runReportSchedules(deps)).toEqual({ sent: 0, failed: 0 });
    expect(outboxLines()).toHaveLength(4);
  });
});
