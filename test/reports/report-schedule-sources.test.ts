/**
 * The runner's sources: every active tenant's schedules (offboarding tenants' not), at most
 * MAX_REPORT_SCHEDULES a tenant even when more got stored (creates racing past the API's count),
 * only the tenants `homedHere` accepts; recipients are the schedule's and its chain's e-mail
 * addresses, each once.
 */
import { describe, expect, it } from 'vitest';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential } from '#domain/credentials';
import { MAX_REPORT_SCHEDULES, type ReportSchedule } from '#domain/reports/schedule';
import type { Tenant } from '#domain/tenant';
import { allReportSchedules, reportRecipients } from '../../functions/report-scheduler/sources';

const schedule = (tenantId: string, n: number): ReportSchedule => ({
  tenantId,
  scheduleId: `s-${String(n).padStart(4, '0')}`,
  name: `report ${n}`,
  report: { resources: ['web-1'], availability: { kind: 'alerts' } },
  cadence: 'weekly',
  timeZone: 'UTC',
  recipients: { emails: ['ops@example.com'] },
  createdAt: '2026-11-01T00:00:00.000Z',
  version: 1,
});

async function storeWith(counts: Record<string, { status: Tenant['status']; schedules: number }>) {
  const tenants = new SqliteTenantStore(':memory:');
  for (const [tenantId, { status, schedules }] of Object.entries(counts)) {
    await tenants.createTenant(
      { tenantId, name: tenantId, status, createdAt: '2026-01-01T00:00:00.000Z', keyRef: `key-${tenantId}` },
      issueCredential('tenant', tenantId, new Date(), { role: 'admin', name: 'admin' }).record,
    );
    for (let n = 0; n < schedules; n++) await tenants.createEntity('report-schedule', schedule(tenantId, n));
  }
  return tenants;
}

describe('report runner sources', () => {
  it("serves every active tenant's schedules, at most MAX_REPORT_SCHEDULES a tenant", async () => {
    const tenants = await storeWith({
      crowded: { status: 'active', schedules: MAX_REPORT_SCHEDULES + 7 },
      small: { status: 'active', schedules: 2 },
      leaving: { status: 'offboarding', schedules: 3 },
    });
    const served = await allReportSchedules(tenants);
    const of = (tenantId: string) => served.filter((s) => s.tenantId === tenantId).map((s) => s.scheduleId);
    expect(of('crowded')).toHaveLength(MAX_REPORT_SCHEDULES);
    expect(of('small')).toEqual(['s-0000', 's-0001']);
    expect(of('leaving')).toEqual([]);
  });

  it('serves only the tenants homed here', async () => {
    const tenants = await storeWith({
      here: { status: 'active', schedules: 1 },
      elsewhere: { status: 'active', schedules: 1 },
    });
    const served = await allReportSchedules(tenants, async (tenantId) => tenantId === 'here');
    expect(served.map((s) => s.tenantId)).toEqual(['here']);
  });

  it("names the schedule's addresses and its chain's e-mail recipients once each", async () => {
    const chains = {
      getChain: async (_tenantId: string, chainId: string) =>
        chainId === 'c1'
          ? {
              tenantId: 't1',
              chainId,
              name: 'on call',
              stageIntervalSeconds: 300,
              stages: [
                { recipients: [{ type: 'email' as const, address: 'ops@example.com' }] },
                {
                  recipients: [
                    { type: 'sms' as const, address: '+15555550100' },
                    { type: 'email' as const, address: 'cto@example.com' },
                  ],
                },
              ],
              createdAt: '2026-01-01T00:00:00.000Z',
              updatedAt: '2026-01-01T00:00:00.000Z',
            }
          : undefined,
    };
    const withChain = { ...schedule('t1', 1), recipients: { emails: ['ops@example.com'], chainId: 'c1' } };
    expect(await reportRecipients(chains, withChain)).toEqual(['ops@example.com', 'cto@example.com']);
    // A deleted chain adds nobody.
    const gone = { ...withChain, recipients: { emails: ['ops@example.com'], chainId: 'deleted' } };
    expect(await reportRecipients(chains, gone)).toEqual(['ops@example.com']);
  });
});
