/**
 * Where the report runner's schedules and recipients come from, on either platform: the schedules are
 * tenant-store entities (`report-schedule`) of the region's active tenants; the recipients are the
 * schedule's own e-mail addresses plus every e-mail recipient of its escalation chain, read at send
 * time so a chain edited after the schedule was made still decides who receives the report.
 */
import { MAX_REPORT_SCHEDULES, type ReportSchedule } from '#domain/reports/schedule';
import type { AlertStore } from '#ports/alert-store';
import type { TenantStore } from '#ports/tenant-store';

const PAGE = 100;

/**
 * Every schedule of every active tenant in this store, or of those `homedHere` accepts (a region's
 * runner serves only the tenants homed in it: their metrics are there).
 */
export async function allReportSchedules(
  tenants: TenantStore,
  homedHere: (tenantId: string) => Promise<boolean> = async () => true,
): Promise<ReportSchedule[]> {
  const schedules: ReportSchedule[] = [];
  let tenantCursor: string | undefined;
  do {
    const page = await tenants.listTenants({ limit: PAGE, cursor: tenantCursor });
    for (const tenant of page.items) {
      if (tenant.status !== 'active' || !(await homedHere(tenant.tenantId))) continue;
      // At most MAX_REPORT_SCHEDULES a tenant, even if racing creates got past the API's count.
      const own = await tenants.listEntities('report-schedule', tenant.tenantId, {
        limit: MAX_REPORT_SCHEDULES,
      });
      schedules.push(...own.items);
    }
    tenantCursor = page.nextCursor;
  } while (tenantCursor);
  return schedules;
}

/** The schedule's addresses and its chain's e-mail recipients, each once (a deleted chain adds none). */
export async function reportRecipients(
  chains: Pick<AlertStore, 'getChain'>,
  schedule: ReportSchedule,
): Promise<string[]> {
  const addresses = new Set(schedule.recipients.emails ?? []);
  if (schedule.recipients.chainId) {
    const chain = await chains.getChain(schedule.tenantId, schedule.recipients.chainId);
    for (const stage of chain?.stages ?? [])
      for (const recipient of stage.recipients)
        if (recipient.type === 'email') addresses.add(recipient.address);
  }
  return [...addresses];
}
