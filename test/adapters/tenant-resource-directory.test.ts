import { describe, expect, it } from 'vitest';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import type { Resource } from '#domain/entities';
import type { PageRequest } from '#domain/pagination';
import { deviceResource } from '../support/resources';

const device = (i: number) => deviceResource(`id-${i}`, `host-${i}`, `host-${i}.example.com`);

/** A tenant store answering pages of 100 from `resources`, counting the pages read. */
function storeOf(resources: Resource[]) {
  const reads: PageRequest[] = [];
  return {
    reads,
    listEntities: async (_kind: 'resource', _tenantId: string, page: PageRequest) => {
      reads.push(page);
      const start = Number(page.cursor ?? 0);
      const items = resources.slice(start, start + page.limit);
      const next = start + page.limit;
      return { items, ...(next < resources.length ? { nextCursor: String(next) } : {}) };
    },
  };
}

describe('TenantResourceDirectory', () => {
  it('reads every page of the tenant resources into one index', async () => {
    const store = storeOf(Array.from({ length: 250 }, (_, i) => device(i)));
    const index = await new TenantResourceDirectory(store as never).indexOf('t1');
    expect(index.size).toBe(250);
    expect(store.reads.map((r) => r.cursor)).toEqual([undefined, '100', '200']);
    const link = index.link({ 'system.hostname': 'host-249.example.com' });
    expect(link.kind === 'linked' && link.resource.resourceId).toBe('id-249');
  });

  it('caches per tenant for the TTL on its clock, and re-reads when asked for a fresh index', async () => {
    const resources = [device(1)];
    const store = storeOf(resources);
    let now = 0;
    const directory = new TenantResourceDirectory(store as never, { ttlMs: 30_000, now: () => now });
    await directory.indexOf('t1');
    resources.push(device(2));
    now = 29_999;
    expect((await directory.indexOf('t1')).size).toBe(1);
    expect((await directory.indexOf('t1', { fresh: true })).size).toBe(2);
    resources.push(device(3));
    now = 29_999 + 30_000;
    expect((await directory.indexOf('t1')).size).toBe(3);
    expect(store.reads).toHaveLength(3);
  });

  it('does not keep a failed read', async () => {
    let fail = true;
    const store = {
      listEntities: async () => {
        if (fail) throw new Error('table unavailable');
        return { items: [device(1)] };
      },
    };
    const directory = new TenantResourceDirectory(store as never);
    await expect(directory.indexOf('t1')).rejects.toThrow('table unavailable');
    fail = false;
    expect((await directory.indexOf('t1')).size).toBe(1);
  });
});
