/**
 * Offboarding, return-or-destroy: suspend the tenant, export everything every TenantDataHolder holds
 * into one archive, delete it, destroy the tenant's key (so any copy of its ciphertext left anywhere
 * — backups, PITR, replicas — is unreadable), verify nothing is left, keep a tombstone. Each step is
 * appended to the provider's audit partition (the tenant's own audit log is exported, then erased)
 * and returned in the receipt.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ConflictError, NotFoundError } from '#domain/errors';
import type { Tenant } from '#domain/tenant';
import { invalidateTenant } from '#http/auth';
import type { ArchiveStore } from '#ports/archive-store';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { KeyService } from '#ports/key-service';
import type { TenantDataHolder } from '#ports/tenant-data';
import type { TenantStore } from '#ports/tenant-store';

export interface OffboardingDeps {
  readonly tenants: TenantStore;
  /** Every store holding tenant data; the tenant store itself included (it keeps META as tombstone). */
  readonly holders: readonly TenantDataHolder[];
  readonly keys: KeyService;
  readonly archives: ArchiveStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export interface OffboardingStep {
  readonly step: 'suspend' | 'export' | 'delete' | 'destroy-key' | 'verify' | 'tombstone';
  readonly at: string;
  readonly detail: Record<string, unknown>;
}

export interface OffboardingReceipt {
  readonly tenantId: string;
  readonly status: 'offboarded';
  readonly archive: {
    readonly archiveId: string;
    readonly downloadPath: string;
    readonly location: string;
    readonly sha256: string;
    readonly bytes: number;
    readonly records: Record<string, number>;
  };
  readonly steps: OffboardingStep[];
  /** What could not be erased on demand, and what happens to it instead. */
  readonly limitations: string[];
}

export async function offboardTenant(deps: OffboardingDeps, tenantId: string): Promise<OffboardingReceipt> {
  let tenant = await deps.tenants.getTenant(tenantId);
  if (!tenant) throw new NotFoundError(`tenant ${tenantId} does not exist`);
  if (tenant.status === 'offboarded') throw new ConflictError(`tenant ${tenantId} is already offboarded`);
  const steps: OffboardingStep[] = [];
  const record = async (step: OffboardingStep['step'], detail: Record<string, unknown>) => {
    const at = deps.clock.now().toISOString();
    steps.push({ step, at, detail });
    await deps.audit.append({
      tenantId: PROVIDER_AUDIT_PARTITION,
      at,
      action: `tenant.offboard.${step}`,
      actor: 'provider',
      outcome: 'success',
      target: `tenant/${tenantId}`,
      after: detail,
    });
  };

  // 1. Suspend: every credential of the tenant stops authenticating (a re-run after a crash resumes).
  if (tenant.status === 'active')
    tenant = await deps.tenants.updateTenant({ ...tenant, status: 'offboarding' }, tenant.version ?? 1);
  invalidateTenant(deps.tenants, tenantId);
  await record('suspend', { status: 'offboarding' });

  // 2. Export: JSON lines, one header then `{section, record}` per record, gzipped.
  const records: Record<string, number> = {};
  const lines: string[] = [
    JSON.stringify({
      archive: 'tenant-offboarding',
      version: 1,
      tenantId,
      createdAt: deps.clock.now().toISOString(),
    }),
  ];
  for (const holder of deps.holders) {
    records[holder.dataName] = 0;
    for await (const item of holder.exportTenant(tenantId)) {
      lines.push(JSON.stringify({ section: holder.dataName, record: item }));
      records[holder.dataName]!++;
    }
  }
  const body = gzipSync(Buffer.from(`${lines.join('\n')}\n`, 'utf8'));
  const archiveId = `${tenantId}-${String(deps.clock.now().getTime()).padStart(13, '0')}`;
  const { location } = await deps.archives.put(archiveId, body);
  const sha256 = createHash('sha256').update(body).digest('hex');
  const archive = {
    archiveId,
    downloadPath: `/admin/v1/exports/${archiveId}`,
    location,
    sha256,
    bytes: body.length,
    records,
  };
  await record('export', archive);

  // 3. Delete what every holder can delete.
  const removed: Record<string, number> = {};
  const limitations: string[] = [
    'Confidential fields in the archive stay ciphertext under the tenant key, which step destroy-key destroys: device secrets and personal data are not returned in clear.',
  ];
  const methods: Record<string, string> = {};
  for (const holder of deps.holders) {
    removed[holder.dataName] = await holder.deleteTenant(tenantId);
    if (holder.erasureLimitation) limitations.push(`${holder.dataName}: ${holder.erasureLimitation}`);
    if (holder.erasureMethod) methods[holder.dataName] = holder.erasureMethod;
  }
  await record('delete', { removed, limitations, ...(Object.keys(methods).length > 0 ? { methods } : {}) });

  // 4. Destroy the key: what no store could erase (backups, retention) becomes unreadable.
  let keyDestruction: Record<string, unknown> = { outcome: 'no-key' };
  if (tenant.keyRef) keyDestruction = { ...(await deps.keys.destroyTenantKey(tenantId, tenant.keyRef)) };
  await record('destroy-key', keyDestruction);

  // 5. Verify: export again; only the tombstone may remain (and what a limitation names).
  const remaining: Record<string, number> = {};
  for (const holder of deps.holders) {
    let count = 0;
    for await (const _ of holder.exportTenant(tenantId)) count++;
    remaining[holder.dataName] = count;
  }
  await record('verify', { remaining, note: 'metadata keeps 1 record: the tombstone' });

  // 6. Tombstone: the id stays taken, nothing else of the tenant is kept.
  const current = (await deps.tenants.getTenant(tenantId)) as Tenant;
  const tombstone: Tenant = {
    tenantId,
    name: '[offboarded]',
    status: 'offboarded',
    createdAt: current.createdAt,
    offboardedAt: deps.clock.now().toISOString(),
  };
  await deps.tenants.updateTenant(tombstone, current.version ?? 1);
  await record('tombstone', { status: 'offboarded' });

  return { tenantId, status: 'offboarded', archive, steps, limitations };
}
