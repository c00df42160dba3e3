import { describe, expect, it } from 'vitest';
import { issueCredential, newId } from '../../shared/domain/credentials';
import { ConflictError } from '../../shared/domain/errors';
import type { Tenant } from '../../shared/domain/tenant';
import type { TenantStore } from '../../shared/ports/tenant-store';

/** The behaviour every TenantStore adapter must show; run against each adapter. */
export function tenantStoreContract(name: string, makeStore: () => Promise<TenantStore>): void {
  describe(`TenantStore contract: ${name}`, () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const tenant = (): Tenant => ({
      tenantId: newId(),
      name: 'acme',
      status: 'active',
      createdAt: now.toISOString(),
    });

    it('creates a tenant with its admin credential and reads both back', async () => {
      const store = await makeStore();
      const t = tenant();
      const admin = issueCredential('tenant', t.tenantId, now, { role: 'admin' });
      await store.createTenant(t, admin.record);
      expect(await store.getTenant(t.tenantId)).toEqual(t);
      expect(await store.getCredential(admin.record.credentialId)).toEqual(admin.record);
    });

    it('answers undefined for unknown ids', async () => {
      const store = await makeStore();
      expect(await store.getTenant(newId())).toBeUndefined();
      expect(await store.getCredential(newId())).toBeUndefined();
    });

    it('refuses to create a tenant twice and keeps the first', async () => {
      const store = await makeStore();
      const t = tenant();
      await store.createTenant(t, issueCredential('tenant', t.tenantId, now, { role: 'admin' }).record);
      await expect(
        store.createTenant({ ...t, name: 'other' }, issueCredential('tenant', t.tenantId, now).record),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getTenant(t.tenantId))?.name).toBe('acme');
    });

    it('lists only the collectors of the tenant asked for', async () => {
      const store = await makeStore();
      const a = tenant();
      const b = tenant();
      for (const t of [a, b]) await store.createTenant(t, issueCredential('tenant', t.tenantId, now).record);
      const collectorA = {
        tenantId: a.tenantId,
        collectorId: newId(),
        name: 'a1',
        createdAt: now.toISOString(),
      };
      const keyA = issueCredential('ingest', a.tenantId, now, { collectorId: collectorA.collectorId });
      await store.createCollector(collectorA, keyA.record);
      await store.createCollector(
        { tenantId: b.tenantId, collectorId: newId(), name: 'b1', createdAt: now.toISOString() },
        issueCredential('ingest', b.tenantId, now).record,
      );
      expect(await store.listCollectors(a.tenantId)).toEqual([collectorA]);
      expect(await store.getCredential(keyA.record.credentialId)).toEqual(keyA.record);
    });
  });
}
