import { describe, expect, it } from 'vitest';
import { issueCredential, newId, rotateCredential } from '#domain/credentials';
import type { Resource } from '#domain/entities';
import { ConflictError, NotFoundError, UnprocessableError } from '#domain/errors';
import { encodeCursor } from '#domain/pagination';
import type { ReportSchedule } from '#domain/reports/schedule';
import type { Tenant } from '#domain/tenant';
import type { TenantDataHolder } from '#ports/tenant-data';
import type { TenantStore } from '#ports/tenant-store';

type Store = TenantStore & TenantDataHolder;

/** The behaviour every TenantStore adapter must show; run against each adapter. */
export function tenantStoreContract(name: string, makeStore: () => Promise<Store>): void {
  describe(`TenantStore contract: ${name}`, () => {
    const now = new Date('2026-01-01T00:00:00Z');
    const tenant = (): Tenant => ({
      tenantId: newId(),
      name: 'acme',
      status: 'active',
      createdAt: now.toISOString(),
    });
    const resource = (tenantId: string, extra: Partial<Resource> = {}): Resource => ({
      tenantId,
      resourceId: newId(),
      type: 'device',
      name: 'router',
      address: '10.0.0.1',
      properties: { location: 'rack 1' },
      groups: [],
      dependsOn: [],
      credentialIds: [],
      version: 1,
      createdAt: now.toISOString(),
      ...extra,
    });
    const onboard = async (store: Store) => {
      const t = tenant();
      await store.createTenant(t, issueCredential('tenant', t.tenantId, now, { role: 'admin' }).record);
      return t;
    };

    it('creates a tenant with its admin credential and reads both back at version 1', async () => {
      const store = await makeStore();
      const t = tenant();
      const admin = issueCredential('tenant', t.tenantId, now, { role: 'admin' });
      await store.createTenant(t, admin.record);
      expect(await store.getTenant(t.tenantId)).toEqual({ ...t, version: 1 });
      expect(await store.getCredential(admin.record.credentialId)).toEqual({ ...admin.record, version: 1 });
    });

    it('answers undefined for unknown ids', async () => {
      const store = await makeStore();
      expect(await store.getTenant(newId())).toBeUndefined();
      expect(await store.getCredential(newId())).toBeUndefined();
      expect(await store.getEntity('resource', newId(), newId())).toBeUndefined();
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
      const a = await onboard(store);
      const b = await onboard(store);
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
      expect(await store.listCollectors(a.tenantId)).toEqual([{ ...collectorA, version: 1 }]);
      expect(await store.getCredential(keyA.record.credentialId)).toEqual({ ...keyA.record, version: 1 });
    });

    it('updates an entity only from the version it read: 409 on a stale version, 404 when absent', async () => {
      const store = await makeStore();
      const t = await onboard(store);
      const r = await store.createEntity('resource', resource(t.tenantId));
      const updated = await store.updateEntity('resource', { ...r, name: 'core router' }, 1);
      expect(updated.version).toBe(2);
      expect(await store.getEntity('resource', t.tenantId, r.resourceId)).toEqual(updated);
      await expect(store.updateEntity('resource', { ...r, name: 'stale' }, 1)).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect((await store.getEntity('resource', t.tenantId, r.resourceId))?.name).toBe('core router');
      await expect(store.updateEntity('resource', resource(t.tenantId), 1)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('loses no update under concurrent writers (read, modify, conditional write, retry)', async () => {
      const store = await makeStore();
      const t = await onboard(store);
      const r = await store.createEntity('resource', resource(t.tenantId, { groups: [] }));
      const writers = 8;
      let conflicts = 0;
      await Promise.all(
        Array.from({ length: writers }, async (_, i) => {
          for (;;) {
            const current = (await store.getEntity('resource', t.tenantId, r.resourceId))!;
            try {
              await store.updateEntity(
                'resource',
                { ...current, groups: [...current.groups, `g${i}`] },
                current.version,
              );
              return;
            } catch (error) {
              if (!(error instanceof ConflictError)) throw error;
              conflicts++;
            }
          }
        }),
      );
      const final = (await store.getEntity('resource', t.tenantId, r.resourceId))!;
      expect([...final.groups].sort()).toEqual(Array.from({ length: writers }, (_, i) => `g${i}`).sort());
      expect(final.version).toBe(1 + writers);
      // The writers really raced: some lost the conditional write and had to re-read.
      expect(conflicts).toBeGreaterThan(0);
    });

    it('pages through a tenant’s entities with opaque cursors, never into another tenant', async () => {
      const store = await makeStore();
      const a = await onboard(store);
      const b = await onboard(store);
      const mine = [];
      for (let i = 0; i < 5; i++) mine.push(await store.createEntity('resource', resource(a.tenantId)));
      await store.createEntity('resource', resource(b.tenantId));
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const page = await store.listEntities('resource', a.tenantId, { limit: 2, cursor });
        seen.push(...page.items.map((i) => i.resourceId));
        for (const item of page.items) expect(item.tenantId).toBe(a.tenantId);
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      expect(seen.sort()).toEqual(mine.map((m) => m.resourceId).sort());
      expect(pages).toBe(3);
      await expect(
        store.listEntities('resource', a.tenantId, { limit: 2, cursor: 'garbage!' }),
      ).rejects.toBeInstanceOf(UnprocessableError);
      // A cursor of another key family is refused rather than followed.
      await expect(
        store.listEntities('resource', a.tenantId, { limit: 2, cursor: encodeCursor('USER#x') }),
      ).rejects.toBeInstanceOf(UnprocessableError);
    });

    it('filters resources by group and reports dependencies', async () => {
      const store = await makeStore();
      const t = await onboard(store);
      const parent = await store.createEntity('resource', resource(t.tenantId, { groups: ['core'] }));
      const child = await store.createEntity(
        'resource',
        resource(t.tenantId, { groups: ['edge'], dependsOn: [parent.resourceId] }),
      );
      const core = await store.listEntities('resource', t.tenantId, { limit: 50 }, { group: 'core' });
      expect(core.items.map((i) => i.resourceId)).toEqual([parent.resourceId]);
      expect(await store.resourceDependencies(t.tenantId)).toEqual({
        [parent.resourceId]: [],
        [child.resourceId]: [parent.resourceId],
      });
    });

    it('deletes an entity, honouring an expected version', async () => {
      const store = await makeStore();
      const t = await onboard(store);
      const r = await store.createEntity('resource', resource(t.tenantId));
      await expect(store.deleteEntity('resource', t.tenantId, r.resourceId, 7)).rejects.toBeInstanceOf(
        ConflictError,
      );
      expect(await store.deleteEntity('resource', t.tenantId, r.resourceId, 1)).toEqual(r);
      expect(await store.getEntity('resource', t.tenantId, r.resourceId)).toBeUndefined();
      await expect(store.deleteEntity('resource', t.tenantId, r.resourceId)).rejects.toBeInstanceOf(
        NotFoundError,
      );
    });

    it('keeps report schedules: create, get, page, versioned update and delete, per tenant', async () => {
      const store = await makeStore();
      const a = await onboard(store);
      const b = await onboard(store);
      const schedule = (tenantId: string, name: string): ReportSchedule => ({
        tenantId,
        scheduleId: newId(),
        name,
        report: { resources: ['web-1'], availability: { kind: 'alerts' } },
        cadence: 'monthly',
        timeZone: 'Europe/London',
        recipients: { emails: ['ops@example.com'], chainId: 'c1' },
        version: 1,
        createdAt: now.toISOString(),
      });
      const mine = [];
      for (const name of ['one', 'two', 'three'])
        mine.push(await store.createEntity('report-schedule', schedule(a.tenantId, name)));
      await store.createEntity('report-schedule', schedule(b.tenantId, 'theirs'));
      await expect(store.createEntity('report-schedule', mine[0]!)).rejects.toBeInstanceOf(ConflictError);
      const first = mine[0]!;
      expect(await store.getEntity('report-schedule', a.tenantId, first.scheduleId)).toEqual(first);
      expect(await store.getEntity('report-schedule', b.tenantId, first.scheduleId)).toBeUndefined();

      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listEntities('report-schedule', a.tenantId, { limit: 2, cursor });
        seen.push(...page.items.map((s) => s.scheduleId));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.sort()).toEqual(mine.map((s) => s.scheduleId).sort());
      // The other kinds' cursors do not lead into schedules, nor schedules' into them.
      await expect(
        store.listEntities('report-schedule', a.tenantId, { limit: 2, cursor: encodeCursor('RESOURCE#x') }),
      ).rejects.toBeInstanceOf(UnprocessableError);

      const weekly = await store.updateEntity('report-schedule', { ...first, cadence: 'weekly' }, 1);
      expect(weekly.version).toBe(2);
      expect(await store.getEntity('report-schedule', a.tenantId, first.scheduleId)).toEqual(weekly);
      await expect(
        store.updateEntity('report-schedule', { ...first, name: 'stale' }, 1),
      ).rejects.toBeInstanceOf(ConflictError);
      await expect(
        store.updateEntity('report-schedule', schedule(a.tenantId, 'absent'), 1),
      ).rejects.toBeInstanceOf(NotFoundError);
      // Another tenant's id is absent in this tenant, never someone else's schedule.
      await expect(
        store.updateEntity('report-schedule', { ...first, tenantId: b.tenantId }, 2),
      ).rejects.toBeInstanceOf(NotFoundError);

      await expect(
        store.deleteEntity('report-schedule', a.tenantId, first.scheduleId, 1),
      ).rejects.toBeInstanceOf(ConflictError);
      expect(await store.deleteEntity('report-schedule', a.tenantId, first.scheduleId, 2)).toEqual(weekly);
      expect(await store.getEntity('report-schedule', a.tenantId, first.scheduleId)).toBeUndefined();
      expect((await store.listEntities('report-schedule', a.tenantId, { limit: 50 })).items).toHaveLength(2);
      expect((await store.listEntities('report-schedule', b.tenantId, { limit: 50 })).items).toHaveLength(1);
    });

    it('rotates and revokes a credential by conditional update and lists a tenant’s credentials', async () => {
      const store = await makeStore();
      const t = await onboard(store);
      const token = issueCredential('tenant', t.tenantId, now, { role: 'read-only', name: 'ci' });
      await store.createCredential(token.record);
      const rotated = rotateCredential({ ...token.record, version: 1 }, now);
      const stored = await store.updateCredential(rotated.record, 1);
      expect(stored.secretHash).not.toBe(token.record.secretHash);
      await expect(
        store.updateCredential({ ...token.record, revokedAt: now.toISOString() }, 1),
      ).rejects.toBeInstanceOf(ConflictError);
      await store.updateCredential({ ...stored, revokedAt: now.toISOString() }, 2);
      expect((await store.getCredential(token.record.credentialId))?.revokedAt).toBe(now.toISOString());
      const listed = await store.listCredentials(t.tenantId, { limit: 50 });
      expect(listed.items.map((c) => c.credentialId)).toContain(token.record.credentialId);
      for (const c of listed.items) expect(c.tenantId).toBe(t.tenantId);
    });

    it('revokes one of two admins only while the other is active, atomically: two crossed revocations leave one admin', async () => {
      const store = await makeStore();
      const t = tenant();
      const a = issueCredential('tenant', t.tenantId, now, { role: 'admin' }).record;
      const b = issueCredential('tenant', t.tenantId, now, { role: 'admin' }).record;
      await store.createTenant(t, a);
      await store.createCredential(b);
      const revoke = (c: typeof a, other: typeof a) =>
        store.updateCredential({ ...c, revokedAt: now.toISOString() }, 1, {
          whileActive: other.credentialId,
        });
      const outcomes = await Promise.allSettled([revoke(a, b), revoke(b, a)]);
      const active = [
        await store.getCredential(a.credentialId),
        await store.getCredential(b.credentialId),
      ].filter((c) => !c?.revokedAt);
      expect(active).toHaveLength(1);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
      // A failed condition is a 409; a transaction conflict a retryable 503, never "already exists".
      expect([409, 503]).toContain(refused.reason.status);
      // The survivor cannot go while no other admin is active.
      const survivor = active[0]!;
      const other = survivor.credentialId === a.credentialId ? b : a;
      await expect(
        store.updateCredential({ ...survivor, revokedAt: now.toISOString() }, survivor.version ?? 1, {
          whileActive: other.credentialId,
        }),
      ).rejects.toBeInstanceOf(ConflictError);
      expect((await store.getCredential(survivor.credentialId))?.revokedAt).toBeUndefined();
    });

    it('lists tenants and updates a tenant by version', async () => {
      const store = await makeStore();
      const t = await onboard(store);
      const listed: Tenant[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listTenants({ limit: 100, cursor });
        listed.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(listed.map((x) => x.tenantId)).toContain(t.tenantId);
      const updated = await store.updateTenant({ ...t, status: 'offboarding' }, 1);
      expect(updated.version).toBe(2);
      await expect(store.updateTenant({ ...t, status: 'active' }, 1)).rejects.toBeInstanceOf(ConflictError);
    });

    it('exports and deletes exactly one tenant’s data, keeping its tombstone', async () => {
      const store = await makeStore();
      const a = await onboard(store);
      const b = await onboard(store);
      await store.createEntity('resource', resource(a.tenantId));
      await store.createCollector(
        { tenantId: a.tenantId, collectorId: newId(), name: 'c', createdAt: now.toISOString() },
        issueCredential('ingest', a.tenantId, now).record,
      );
      const bResource = await store.createEntity('resource', resource(b.tenantId));
      const exported: Record<string, unknown>[] = [];
      for await (const item of store.exportTenant(a.tenantId)) exported.push(item as Record<string, unknown>);
      // META, resource, collector, admin token, ingest key
      expect(exported).toHaveLength(5);
      for (const item of exported) expect(item.tenantId).toBe(a.tenantId);
      expect(await store.deleteTenant(a.tenantId)).toBe(4);
      expect(await store.getTenant(a.tenantId)).toBeDefined();
      const left: unknown[] = [];
      for await (const item of store.exportTenant(a.tenantId)) left.push(item);
      expect(left).toHaveLength(1);
      expect(await store.getEntity('resource', b.tenantId, bResource.resourceId)).toEqual(bResource);
    });
  });
}
