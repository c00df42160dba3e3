import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteLogStore } from '#adapters/local/sqlite-log-store';
import { parseLogQuery } from '#domain/logs/query';
import { logRecord, logStoreContract } from './log-store.contract';

const dir = mkdtempSync(join(tmpdir(), 'logs-store-'));
logStoreContract('sqlite', async () => new SqliteLogStore(join(dir, 'logs.sqlite')));

describe('SqliteLogStore', () => {
  it('gives a reopened store’s records the free slots of a millisecond others hold, and refuses the 1025th', async () => {
    const path = join(dir, 'slots.sqlite');
    const t = Date.UTC(2026, 0, 2);
    const first = new SqliteLogStore(path);
    await first.append(
      't1',
      Array.from({ length: 1000 }, (_, i) => logRecord({ timestampMs: t, message: `a${i}` })),
    );
    first.close();
    // A new process numbers its records from 0 again: every slot it tries first is taken.
    const again = new SqliteLogStore(path);
    await again.append(
      't1',
      Array.from({ length: 24 }, (_, i) => logRecord({ timestampMs: t, message: `b${i}` })),
    );
    const all = { fromMs: t, toMs: t + 1, query: parseLogQuery(''), limit: 2000, maxScan: 5000 };
    const page = await again.search('t1', all);
    expect(page.records).toHaveLength(1024);
    expect(new Set(page.records.map((r) => r.id)).size).toBe(1024);
    await expect(
      again.append('t1', [logRecord({ timestampMs: t, message: 'one too many' })]),
    ).rejects.toThrow('more than 1024 log records in one millisecond');
    expect((await again.search('t1', all)).records).toHaveLength(1024);
    again.close();
  });

  it('keeps records across reopen, and 2000 records in one millisecond', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = new SqliteLogStore(path);
    const t = Date.UTC(2026, 0, 1);
    await first.append(
      't1',
      Array.from({ length: 2000 }, (_, i) =>
        logRecord({ timestampMs: t + (i < 1000 ? 0 : 1), message: `m${i}` }),
      ),
    );
    first.close();
    const again = new SqliteLogStore(path);
    const page = await again.search('t1', {
      fromMs: t,
      toMs: t + 2,
      query: parseLogQuery(''),
      limit: 10,
      maxScan: 5000,
    });
    expect(page.records[0]!.timestampMs).toBe(t + 1);
    const h = await again.histogram('t1', {
      fromMs: t,
      toMs: t + 2,
      intervalMs: 1,
      query: parseLogQuery(''),
      maxScan: 5000,
    });
    expect(h.buckets.map((b) => b.count)).toEqual([1000, 1000]);
    again.close();
  });
});
