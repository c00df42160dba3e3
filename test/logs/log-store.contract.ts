/**
 * What every LogStore must do (local SQLite FTS5 and the AWS adapter run it): tenant isolation,
 * newest first, full text by words and phrases, attribute and resource filters, cursor paging,
 * the bounded scan, histograms, export, erasure and retention.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLogQuery } from '#domain/logs/query';
import type { LogRecord } from '#domain/logs/record';
import type { LogStore } from '#ports/log-store';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

export function logRecord(over: Partial<LogRecord> & { message: string; timestampMs: number }): LogRecord {
  return { severity: 'info', severityNumber: 9, resource: {}, attributes: {}, ...over };
}

/** Twelve records a minute apart; every third an error "link down" on sw1, the rest info on sw2. */
export const FIXTURE: LogRecord[] = Array.from({ length: 12 }, (_, i) =>
  logRecord({
    timestampMs: T0 + i * 60_000,
    message: i % 3 === 0 ? `interface eth${i} link down` : `heartbeat ${i} ok_status`,
    severity: i % 3 === 0 ? 'error' : 'info',
    severityNumber: i % 3 === 0 ? 17 : 9,
    resource: { 'host.name': i % 3 === 0 ? 'sw1' : 'sw2' },
    attributes: { seq: String(i) },
  }),
);

export function logStoreContract(name: string, open: () => Promise<LogStore>) {
  describe(`${name}: LogStore contract`, () => {
    let store: LogStore;
    const tenant = `tenant-${name}-a`;
    const other = `tenant-${name}-b`;
    const all = { fromMs: T0, toMs: T0 + 3600_000, limit: 100, maxScan: 10_000 };

    beforeAll(async () => {
      store = await open();
      // Appended out of time order, to prove ordering comes from the timestamps.
      await store.append(tenant, [...FIXTURE].reverse().slice(0, 6));
      await store.append(tenant, [...FIXTURE].reverse().slice(6));
      await store.append(other, [logRecord({ timestampMs: T0 + 1000, message: 'link down elsewhere' })]);
    });

    it('returns the tenant’s records newest first, and nothing of another tenant', async () => {
      const page = await store.search(tenant, { ...all, query: parseLogQuery('') });
      expect(page.records.map((r) => r.attributes['seq'])).toEqual(
        Array.from({ length: 12 }, (_, i) => String(11 - i)),
      );
      expect(page.nextCursor).toBeUndefined();
      const found = await store.search(tenant, { ...all, query: parseLogQuery('elsewhere') });
      expect(found.records).toEqual([]);
      const theirs = await store.search(other, { ...all, query: parseLogQuery('link') });
      expect(theirs.records.map((r) => r.message)).toEqual(['link down elsewhere']);
    });

    it('matches words case-insensitively, phrases in order, severity, resource and attributes', async () => {
      const q = async (text: string) =>
        (await store.search(tenant, { ...all, query: parseLogQuery(text) })).records.map(
          (r) => r.attributes['seq'],
        );
      expect(await q('LINK')).toEqual(['9', '6', '3', '0']);
      expect(await q('"link down"')).toEqual(['9', '6', '3', '0']);
      expect(await q('"down link"')).toEqual([]);
      expect(await q('severity:error AND message:"link down" eth6')).toEqual(['6']);
      expect(await q('severity:warning')).toEqual([]);
      expect(await q('resource.host.name:sw2 heartbeat')).toHaveLength(8);
      expect(await q('seq:4')).toEqual(['4']);
      expect(await q('ok_status seq:5')).toEqual(['5']);
      expect(await q('ok')).toEqual([]); // `ok_status` is one word
    });

    it('keeps the record as sent', async () => {
      const [record] = (await store.search(tenant, { ...all, query: parseLogQuery('eth9') })).records;
      expect(record).toMatchObject({ ...FIXTURE[9], id: expect.any(String) });
    });

    it('honours the time range [from, to)', async () => {
      const page = await store.search(tenant, {
        ...all,
        fromMs: T0 + 3 * 60_000,
        toMs: T0 + 6 * 60_000,
        query: parseLogQuery(''),
      });
      expect(page.records.map((r) => r.attributes['seq'])).toEqual(['5', '4', '3']);
    });

    it('pages with a cursor, without repeats or gaps', async () => {
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await store.search(tenant, {
          ...all,
          limit: 5,
          query: parseLogQuery(''),
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.records.map((r) => r.attributes['seq'] as string));
        cursor = page.nextCursor;
        if (!cursor) break;
      }
      expect(seen).toEqual(Array.from({ length: 12 }, (_, i) => String(11 - i)));
    });

    it('stops at maxScan and says so; the cursor resumes the scan', async () => {
      const first = await store.search(tenant, { ...all, maxScan: 4, query: parseLogQuery('seq:1') });
      expect(first.records).toEqual([]);
      expect(first.scanned).toBe(4);
      expect(first.scanLimited).toBe(true);
      let cursor = first.nextCursor;
      const found: string[] = [];
      for (let i = 0; cursor && i < 10; i++) {
        const page = await store.search(tenant, {
          ...all,
          maxScan: 4,
          cursor,
          query: parseLogQuery('seq:1'),
        });
        expect(page.scanned).toBeLessThanOrEqual(4);
        found.push(...page.records.map((r) => r.attributes['seq'] as string));
        cursor = page.nextCursor;
      }
      expect(found).toEqual(['1']);
    });

    it('refuses a cursor it did not issue', async () => {
      await expect(
        store.search(tenant, { ...all, cursor: 'not-a-cursor', query: parseLogQuery('') }),
      ).rejects.toMatchObject({ status: 422, field: 'cursor' });
    });

    it('counts matches per interval', async () => {
      const histogram = await store.histogram(tenant, {
        fromMs: T0,
        toMs: T0 + 12 * 60_000,
        intervalMs: 3 * 60_000,
        query: parseLogQuery('severity:error'),
        maxScan: 1000,
      });
      expect(histogram.buckets).toEqual([0, 1, 2, 3].map((i) => ({ startMs: T0 + i * 180_000, count: 1 })));
      expect(histogram.scanLimited).toBe(false);
    });

    it('exports and erases a tenant, leaving the others', async () => {
      const scratch = `${tenant}-erase`;
      await store.append(scratch, FIXTURE.slice(0, 3));
      const exported: unknown[] = [];
      for await (const item of store.exportTenant(scratch)) exported.push(item);
      expect(exported).toHaveLength(3);
      expect(await store.deleteTenant(scratch)).toBe(3);
      expect((await store.search(scratch, { ...all, query: parseLogQuery('') })).records).toEqual([]);
      expect((await store.search(tenant, { ...all, query: parseLogQuery('') })).records).toHaveLength(12);
    });

    it('expires a tenant’s records older than its retention, within a budget a run, leaving the rest', async () => {
      const kept = `${tenant}-retention`;
      const hour = 3600_000;
      // Two old hours, written in two calls each (more than one unit of work), and the current hour.
      for (const h of [0, 0, 1, 1, 5])
        await store.append(kept, [logRecord({ timestampMs: T0 + h * hour + 1000, message: `hour ${h}` })]);
      const cutoff = T0 + 2 * hour;
      const first = await store.expireBefore(kept, cutoff, 1);
      expect(first).toEqual({ removed: 1, done: false });
      let runs = 1;
      for (let done = false; !done && runs < 10; runs++)
        done = (await store.expireBefore(kept, cutoff, 1)).done;
      expect(runs).toBeLessThanOrEqual(5);
      const left = await store.search(kept, { ...all, toMs: T0 + 6 * hour, query: parseLogQuery('') });
      expect(left.records.map((r) => r.message)).toEqual(['hour 5']);
      expect(await store.expireBefore(kept, cutoff, 100)).toEqual({ removed: 0, done: true });
      // Another tenant's old lines are not touched.
      expect((await store.search(tenant, { ...all, query: parseLogQuery('') })).records).toHaveLength(12);
      expect(await store.expireBefore('nobody-here', cutoff, 100)).toEqual({ removed: 0, done: true });
    });
  });
}
