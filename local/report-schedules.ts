/**
 * The report scheduler's local twin: the same runner (functions/report-scheduler/runner.ts) on a
 * timer, over the local platform's stores: the schedules of the tenants homed in this platform's
 * region, the alerting's notification ledger and notice sender (e-mail goes to the outbox file), PDFs
 * under DATA_DIR/reports, linked through the platform's report-file route. Each period is claimed per recipient in the ledger, so the timer firing
 * again, or a second platform on the same metadata, sends nothing twice.
 */
import { tenantOwnership } from '#adapters/tenancy/tenant-region';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import type { RegionSettings } from '#domain/region';
import { createObservability } from '#http/handler';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import type { NoticeSender } from '#ports/notice-store';
import type { NotificationLedger } from '#ports/notification-ledger';
import type { ReportFiles } from '#ports/report-files';
import type { TenantStore } from '#ports/tenant-store';
import { type RunOutcome, runReportSchedules } from '../functions/report-scheduler/runner';
import { allReportSchedules, reportRecipients } from '../functions/report-scheduler/sources';

export interface LocalReportScheduleOptions {
  /** Pass period; 0 turns the timer off (tests call `run()`). Default hourly. */
  readonly intervalMs?: number;
  /** The first pass after start (default 1 min), so a restart catches up without waiting a period. */
  readonly firstRunAfterMs?: number;
}

export interface LocalReportSchedules {
  /** One pass over every schedule, after any pass still running. */
  run(): Promise<RunOutcome>;
  /** Stops the timer and waits for a pass in progress. */
  close(): Promise<void>;
}

export function startLocalReportSchedules(
  deps: {
    readonly tenants: TenantStore;
    readonly alerts: Pick<
      AlertStore,
      'alertHistory' | 'openAlertsOnResources' | 'listDowntimes' | 'getChain'
    >;
    readonly metrics: MetricStore;
    readonly ledger: NotificationLedger;
    readonly sender: NoticeSender;
    readonly files: ReportFiles;
    readonly clock: Clock;
    readonly region: RegionSettings;
  },
  options: LocalReportScheduleOptions = {},
): LocalReportSchedules {
  const { logger } = createObservability('report-scheduler');
  const owns = tenantOwnership(deps.tenants, deps.region, { now: () => deps.clock.now().getTime() });
  const runnerDeps = {
    store: deps.alerts,
    metrics: deps.metrics,
    clock: deps.clock,
    ledger: deps.ledger,
    sender: deps.sender,
    files: deps.files,
    // A downtime on a report resource's collector or group is excluded like one on the resource.
    resources: new TenantResourceDirectory(deps.tenants, { now: () => deps.clock.now().getTime() }),
    schedules: () => allReportSchedules(deps.tenants, owns),
    recipients: (schedule: Parameters<typeof reportRecipients>[1]) => reportRecipients(deps.alerts, schedule),
    tenantName: async (tenantId: string) => (await deps.tenants.getTenant(tenantId))?.name ?? tenantId,
  };
  let running: Promise<unknown> = Promise.resolve();
  const run = () => {
    const pass = running.then(() => runReportSchedules(runnerDeps));
    running = pass.then(
      (outcome) => {
        if (outcome.failed > 0)
          logger.error('scheduled reports failed; the next pass retries', { ...outcome });
      },
      (error) => logger.error('scheduled reports pass failed', { error }),
    );
    return pass;
  };
  const interval = options.intervalMs ?? 3_600_000;
  const pass = () => void run().catch(() => {});
  const first = interval > 0 ? setTimeout(pass, options.firstRunAfterMs ?? 60_000) : undefined;
  const timer = interval > 0 ? setInterval(pass, interval) : undefined;
  first?.unref();
  timer?.unref();
  return {
    run,
    close: async () => {
      clearTimeout(first);
      clearInterval(timer);
      await running;
    },
  };
}
