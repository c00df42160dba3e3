import { describe, expect, it } from 'vitest';
import type { NotificationLedger } from '#ports/notification-ledger';

const NOW = 1_800_000_000_000;
const MINUTE = 60_000;

/** One contract for every NotificationLedger adapter. */
export function notificationLedgerContract(name: string, create: () => Promise<NotificationLedger>) {
  describe(`NotificationLedger contract: ${name}`, () => {
    it('grants a delivery once; a second claim sees it being sent, then sent once confirmed', async () => {
      const ledger = await create();
      expect(await ledger.claim('t1', 'd1', NOW + 2 * MINUTE, NOW)).toBe('claimed');
      expect(await ledger.claim('t1', 'd1', NOW + 2 * MINUTE, NOW + 1000)).toBe('sending');
      await ledger.confirm('t1', 'd1', NOW + 7 * 24 * 60 * MINUTE);
      // Confirmed: still refused long after the sending lease would have run out.
      expect(await ledger.claim('t1', 'd1', NOW + 60 * MINUTE, NOW + 30 * MINUTE)).toBe('sent');
    });

    it('keeps claims apart per tenant and per delivery', async () => {
      const ledger = await create();
      expect(await ledger.claim('t1', 'd1', NOW + MINUTE, NOW)).toBe('claimed');
      expect(await ledger.claim('t2', 'd1', NOW + MINUTE, NOW)).toBe('claimed');
      expect(await ledger.claim('t1', 'd2', NOW + MINUTE, NOW)).toBe('claimed');
    });

    it('lets a released delivery be claimed again', async () => {
      const ledger = await create();
      expect(await ledger.claim('t1', 'd1', NOW + MINUTE, NOW)).toBe('claimed');
      await ledger.release('t1', 'd1');
      expect(await ledger.claim('t1', 'd1', NOW + MINUTE, NOW)).toBe('claimed');
      await ledger.release('t1', 'unknown');
    });

    it('treats an expired claim (sending or sent) as absent', async () => {
      const ledger = await create();
      expect(await ledger.claim('t1', 'd1', NOW + MINUTE, NOW)).toBe('claimed');
      expect(await ledger.claim('t1', 'd1', NOW + 3 * MINUTE, NOW + MINUTE - 1000)).toBe('sending');
      expect(await ledger.claim('t1', 'd1', NOW + 3 * MINUTE, NOW + MINUTE)).toBe('claimed');
      await ledger.confirm('t1', 'd1', NOW + 10 * MINUTE);
      expect(await ledger.claim('t1', 'd1', NOW + 20 * MINUTE, NOW + 9 * MINUTE)).toBe('sent');
      expect(await ledger.claim('t1', 'd1', NOW + 20 * MINUTE, NOW + 10 * MINUTE)).toBe('claimed');
    });

    it("exports and erases one tenant's claims at offboarding, and only its own", async () => {
      const ledger = await create();
      for (let i = 0; i < 30; i++)
        await ledger.claim('gone', `d${String(i).padStart(2, '0')}`, NOW + MINUTE, NOW);
      await ledger.confirm('gone', 'd00', NOW + 60 * MINUTE);
      await ledger.claim('kept', 'd00', NOW + MINUTE, NOW);
      const exported: { deliveryId: string; state: string }[] = [];
      for await (const record of ledger.exportTenant('gone'))
        exported.push(record as (typeof exported)[number]);
      expect(exported).toHaveLength(30);
      expect(exported.find((r) => r.deliveryId === 'd00')?.state).toBe('sent');
      expect(await ledger.deleteTenant('gone')).toBe(30);
      expect(await ledger.claim('gone', 'd00', NOW + MINUTE, NOW)).toBe('claimed');
      expect(await ledger.claim('kept', 'd00', NOW + MINUTE, NOW)).toBe('sending');
      const left: unknown[] = [];
      for await (const record of ledger.exportTenant('gone')) left.push(record);
      expect(left).toHaveLength(1);
    });

    it('grants one of many concurrent claims', async () => {
      const ledger = await create();
      const outcomes = await Promise.all(
        Array.from({ length: 8 }, () => ledger.claim('t1', 'race', NOW + MINUTE, NOW)),
      );
      expect(outcomes.filter((o) => o === 'claimed')).toHaveLength(1);
      expect(outcomes.filter((o) => o === 'sending')).toHaveLength(7);
    });
  });
}
