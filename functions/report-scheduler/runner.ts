/**
 * Scheduled SLA reports: for each schedule and each period it owes, compute the report, render the
 * PDF, store it where a short-lived link can fetch it, and e-mail the summary and the link through the
 * notifier's e-mail channel (SNS e-mail carries no attachments, hence the link). Each schedule ×
 * period × recipient is claimed in the notification ledger first, so a retried run sends nothing twice.
 */
import { duePeriods, type ReportPeriod, type ReportSchedule } from '#domain/reports/schedule';
import { type SlaReport, slaReportInputSchema } from '#domain/reports/sla';
import type { Clock } from '#ports/clock';
import type { NoticeSender } from '#ports/notice-store';
import { type NotificationLedger, SENDING_LEASE_MS } from '#ports/notification-ledger';
import type { ReportFiles } from '#ports/report-files';
import { renderSlaPdf } from '../alerts/sla-pdf';
import { type SlaReportSources, slaReportFor } from '../alerts/sla-routes';

export interface ReportRunnerDeps extends SlaReportSources {
  /** Every schedule this runner serves (the region's tenants). */
  readonly schedules: () => Promise<readonly ReportSchedule[]>;
  /** The schedule's e-mail addresses plus its chain's e-mail recipients. */
  readonly recipients: (schedule: ReportSchedule) => Promise<readonly string[]>;
  readonly tenantName: (tenantId: string) => Promise<string>;
  readonly files: ReportFiles;
  readonly sender: NoticeSender;
  readonly ledger: NotificationLedger;
  readonly clock: Clock;
}

/**
 * How long a sent report is remembered after its period ends: longer than a period stays due (the
 * last three monthly periods, ≤ 92 days), so the ledger never forgets one the runner still owes.
 */
const SENT_REPORT_RETENTION_MS = 100 * 86_400_000;

export interface RunOutcome {
  readonly sent: number;
  readonly failed: number;
}

const iso = (ms: number) => new Date(ms).toISOString();
const percent = (value: number | null) => (value === null ? 'no data' : `${value.toFixed(3)} %`);

/** The e-mail text: the period, both aggregations, each resource, and the link. */
export function reportSummary(
  schedule: ReportSchedule,
  report: SlaReport,
  link: string,
): { subject: string; text: string } {
  const lines = [
    `${schedule.name}: ${report.from} to ${report.to} (${schedule.cadence}, ${schedule.timeZone})`,
    '',
    `Average availability per resource: ${percent(report.averageAvailability)}`,
    `All resources available at once: ${percent(report.allOkAvailability)}`,
    '',
    ...report.resources.map((r) => `${r.resource}: ${percent(r.availability)}`),
    '',
    `PDF (the link expires): ${link}`,
  ];
  return { subject: `SLA report: ${schedule.name}`, text: lines.join('\n') };
}

async function sendPeriod(deps: ReportRunnerDeps, schedule: ReportSchedule, period: ReportPeriod) {
  const nowMs = deps.clock.now().getTime();
  const deliveryKey = `report:${schedule.scheduleId}:${period.from}`;
  const recipients = await deps.recipients(schedule);
  const claimed: string[] = [];
  for (const address of recipients) {
    const deliveryId = `${deliveryKey}:${address}`;
    if (
      (await deps.ledger.claim(schedule.tenantId, deliveryId, nowMs + SENDING_LEASE_MS, nowMs)) === 'claimed'
    )
      claimed.push(address);
  }
  if (claimed.length === 0) return { sent: 0, failed: 0 };
  let sent = 0;
  let failed = 0;
  try {
    const input = slaReportInputSchema.parse({ ...schedule.report, from: period.from, to: period.to });
    const report = await slaReportFor(deps, schedule.tenantId, input);
    const pdf = await renderSlaPdf(report, await deps.tenantName(schedule.tenantId));
    const link = await deps.files.put(
      schedule.tenantId,
      `reports/${schedule.scheduleId}/${iso(period.from).slice(0, 10)}.pdf`,
      pdf,
    );
    const { subject, text } = reportSummary(schedule, report, link);
    for (const address of claimed) {
      const deliveryId = `${deliveryKey}:${address}`;
      try {
        await deps.sender.send({
          deliveryId,
          tenantId: schedule.tenantId,
          recipient: { type: 'email', address },
          subject,
          text,
          payload: { scheduleId: schedule.scheduleId, from: report.from, to: report.to },
        });
      } catch {
        await deps.ledger.release(schedule.tenantId, deliveryId);
        failed++;
        continue;
      }
      await deps.ledger.confirm(schedule.tenantId, deliveryId, period.to + SENT_REPORT_RETENTION_MS);
      sent++;
    }
  } catch (error) {
    // Nothing was sent: free the claims so the next run tries again.
    for (const address of claimed) await deps.ledger.release(schedule.tenantId, `${deliveryKey}:${address}`);
    throw error;
  }
  return { sent, failed };
}

/** One pass over every schedule; a schedule that fails does not stop the others. */
export async function runReportSchedules(deps: ReportRunnerDeps): Promise<RunOutcome> {
  let sent = 0;
  let failed = 0;
  const nowMs = deps.clock.now().getTime();
  for (const schedule of await deps.schedules()) {
    for (const period of duePeriods(schedule, nowMs)) {
      try {
        const outcome = await sendPeriod(deps, schedule, period);
        sent += outcome.sent;
        failed += outcome.failed;
      } catch {
        failed++;
      }
    }
  }
  return { sent, failed };
}
