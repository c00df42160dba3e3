import { describe, expect, it } from 'vitest';
import { MAX_DEAD_LETTER_PAYLOAD_CHARS } from '#adapters/items/dead-letter-items';
import type { DeadLetter, DeadLetterStore } from '#ports/dead-letter-store';

const NOW = 1_800_000_000_000;

const letter = (tenantId: string, atMs: number, payload: unknown = { n: atMs }): DeadLetter => ({
  source: 'alert-event',
  tenantId,
  reason: 'MalformedDetail: Detail is malformed.',
  payload,
  atMs,
});

/** One contract for every DeadLetterStore adapter. */
export function deadLetterStoreContract(name: string, create: () => Promise<DeadLetterStore>) {
  describe(`DeadLetterStore contract: ${name}`, () => {
    it('keeps each letter whole, per tenant, oldest first, up to the limit', async () => {
      const store = await create();
      await store.put([letter('t1', NOW + 2), letter('t2', NOW + 1)]);
      await store.put([
        letter('t1', NOW + 1, { event: { detail: { value: -0.5, labels: ['ä', '"'] } } }),
        { ...letter('t1', NOW + 3), source: 'spill-replay', reason: 'ValidationException: bad' },
      ]);
      expect(await store.list('t1', 10)).toEqual([
        letter('t1', NOW + 1, { event: { detail: { value: -0.5, labels: ['ä', '"'] } } }),
        letter('t1', NOW + 2),
        { ...letter('t1', NOW + 3), source: 'spill-replay', reason: 'ValidationException: bad' },
      ]);
      expect(await store.list('t1', 2)).toHaveLength(2);
      expect(await store.list('t2', 10)).toEqual([letter('t2', NOW + 1)]);
      expect(await store.list('t3', 10)).toEqual([]);
    });

    it('cuts a payload past the item size limit and says so, rather than failing to keep it', async () => {
      const store = await create();
      await store.put([letter('t1', NOW, { blob: 'z'.repeat(MAX_DEAD_LETTER_PAYLOAD_CHARS + 10) })]);
      const [kept] = await store.list('t1', 1);
      const payload = kept?.payload;
      expect(typeof payload).toBe('string');
      expect(String(payload)).toHaveLength(MAX_DEAD_LETTER_PAYLOAD_CHARS);
      expect(String(payload).startsWith('{"blob":"zzz')).toBe(true);
    });

    it('exports and erases a tenant’s letters with its other data, and no one else’s', async () => {
      const store = await create();
      await store.put([letter('t1', NOW), letter('t1', NOW + 1), letter('t2', NOW)]);
      const exported: unknown[] = [];
      for await (const item of store.exportTenant('t1')) exported.push(item);
      expect(exported).toHaveLength(2);
      expect(await store.deleteTenant('t1')).toBe(2);
      expect(await store.list('t1', 10)).toEqual([]);
      expect(await store.list('t2', 10)).toEqual([letter('t2', NOW)]);
    });
  });
}
