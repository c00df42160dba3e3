/**
 * One contract for the QueryLeases port, run against the SQLite twin and against DynamoDbQueryLeases
 * on DynamoDB Local. `open()` returns two independent instances over ONE backing store (two Lambda
 * instances on one table): the cap must hold across both, including when they race.
 */
import { describe, expect, it } from 'vitest';
import type { QueryLease, QueryLeases } from '#ports/query-leases';
import type { TenantDataHolder } from '#ports/tenant-data';

const T0 = 1_800_000_000_000;
const TTL = 60_000;
let tenantSeq = 0;
const tenant = () => `t${Date.now().toString(36)}q${tenantSeq++}`;

const granted = (d: Awaited<ReturnType<QueryLeases['acquire']>>): QueryLease => {
  if (!d.granted) throw new Error(`expected a lease, refused with ${d.held} held`);
  return d.lease;
};

type Leases = QueryLeases & TenantDataHolder;

export function queryLeasesContract(name: string, open: () => Promise<[Leases, Leases]>) {
  describe(`query leases: ${name}`, () => {
    it('grants the limit across two instances, refuses the next with what is held, and frees on release', async () => {
      const [a, b] = await open();
      const t = tenant();
      const first = granted(await a.acquire(t, 3, TTL, T0));
      const second = granted(await b.acquire(t, 3, TTL, T0 + 10));
      const third = granted(await a.acquire(t, 3, TTL, T0 + 20));
      expect(new Set([first.slot, second.slot, third.slot])).toEqual(new Set([0, 1, 2]));
      expect(new Set([first.holder, second.holder, third.holder]).size).toBe(3);
      expect(third.expiresAtMs).toBe(T0 + 20 + TTL);
      expect(await b.acquire(t, 3, TTL, T0 + 30)).toEqual({
        granted: false,
        held: 3,
        earliestExpiryMs: T0 + TTL,
      });
      await b.release(second);
      const again = granted(await a.acquire(t, 3, TTL, T0 + 40));
      expect(again.slot).toBe(second.slot);
      expect((await b.acquire(t, 3, TTL, T0 + 50)).granted).toBe(false);
    });

    it('holds the cap when many acquirers race on two instances', async () => {
      const [a, b] = await open();
      // One round: 16 acquirers for 3 slots already race on every slot (each round cost ~4 s on
      // DynamoDB Local under load, and a second limit proved nothing the first did not).
      const t = tenant();
      const limit = 3;
      const decisions = await Promise.all(
        Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? a : b).acquire(t, limit, TTL, T0)),
      );
      const leases = decisions.flatMap((d) => (d.granted ? [d.lease] : []));
      expect(leases).toHaveLength(limit);
      expect(new Set(leases.map((l) => l.slot)).size).toBe(limit);
      for (const d of decisions) if (!d.granted) expect(d.held).toBe(limit);
      // Released concurrently too: every slot comes back.
      await Promise.all(leases.map((l, i) => (i % 2 === 0 ? b : a).release(l)));
      const after = await Promise.all(Array.from({ length: limit }, () => a.acquire(t, limit, TTL, T0 + 1)));
      expect(after.every((d) => d.granted)).toBe(true);
    });

    it('lets a crashed holder’s lease expire, and its late release does not free the new holder’s slot', async () => {
      const [a, b] = await open();
      const t = tenant();
      const crashed = granted(await a.acquire(t, 1, TTL, T0));
      expect((await b.acquire(t, 1, TTL, T0 + TTL - 1)).granted).toBe(false);
      const next = granted(await b.acquire(t, 1, TTL, T0 + TTL));
      expect(next.slot).toBe(crashed.slot);
      await a.release(crashed);
      expect(await a.acquire(t, 1, TTL, T0 + TTL + 1)).toMatchObject({ granted: false, held: 1 });
      await b.release(next);
      expect((await a.acquire(t, 1, TTL, T0 + TTL + 2)).granted).toBe(true);
    });

    it('keeps tenants apart and never hands out a slot above a lowered limit', async () => {
      const [a, b] = await open();
      const t = tenant();
      const other = tenant();
      granted(await a.acquire(t, 1, TTL, T0));
      expect((await b.acquire(t, 1, TTL, T0)).granted).toBe(false);
      granted(await b.acquire(other, 1, TTL, T0));
      // Limit raised to 3: two more; lowered back to 2: none, though slot 2's holder may end first.
      const l2 = granted(await a.acquire(t, 3, TTL, T0));
      const l3 = granted(await b.acquire(t, 3, TTL, T0));
      await a.release(l2.slot === 2 ? l2 : l3);
      expect(await a.acquire(t, 2, TTL, T0 + 1)).toMatchObject({ granted: false, held: 2 });
    });

    it('exports and erases a tenant’s leases for offboarding, and only that tenant’s', async () => {
      const [a, b] = await open();
      const t = tenant();
      const other = tenant();
      granted(await a.acquire(t, 2, TTL, T0));
      granted(await b.acquire(t, 2, TTL, T0));
      granted(await b.acquire(other, 1, TTL, T0));
      const exported: unknown[] = [];
      for await (const item of a.exportTenant(t)) exported.push(item);
      expect(exported).toHaveLength(2);
      expect(await b.deleteTenant(t)).toBe(2);
      expect((await a.acquire(t, 2, TTL, T0 + 1)).granted).toBe(true);
      expect((await a.acquire(other, 1, TTL, T0 + 1)).granted).toBe(false);
    });
  });
}
