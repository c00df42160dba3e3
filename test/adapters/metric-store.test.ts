import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '../../shared/adapters/local/sqlite-metric-store';
import { metricStoreContract } from './metric-store.contract';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'ms-')), 'metrics.sqlite');

metricStoreContract('SQLite (local)', async () => new SqliteMetricStore(dbPath()), Date.now);

describe('SqliteMetricStore', () => {
  it('keeps data across a reopen of the same file', async () => {
    const path = dbPath();
    const first = new SqliteMetricStore(path);
    await first.write('t', [{ metric: 'cpu', dimensions: { host: 'a' }, timestampMs: 1000, value: 7 }]);
    first.close();
    const second = new SqliteMetricStore(path);
    const result = await second.query('t', {
      metric: 'cpu',
      fromMs: 0,
      toMs: 2000,
      aggregation: 'avg',
      filters: {},
    });
    expect(result).toEqual([{ metric: 'cpu', dimensions: { host: 'a' }, points: [[1000, 7]] }]);
    second.close();
  });
});

describe('SqliteMetricStore group commit', () => {
  it('answers every write of one event-loop turn after one shared commit, each with its own count', async () => {
    const store = new SqliteMetricStore(dbPath());
    const writes = Array.from({ length: 20 }, (_, i) =>
      store.write(`t${i % 3}`, [
        { metric: 'cpu', dimensions: { host: `h${i}` }, timestampMs: 1000 + i, value: i },
      ]),
    );
    expect(await Promise.all(writes)).toEqual(writes.map(() => ({ accepted: 1, rejected: [] })));
    const t1 = await store.query('t1', {
      metric: 'cpu',
      fromMs: 0,
      toMs: 5000,
      aggregation: 'avg',
      filters: {},
    });
    expect(t1.map((s) => s.dimensions.host)).toEqual(['h1', 'h10', 'h13', 'h16', 'h19', 'h4', 'h7']);
    store.close();
  });

  it('commits writes still pending when it closes', async () => {
    const path = dbPath();
    const store = new SqliteMetricStore(path);
    const pending = store.write('t', [
      { metric: 'cpu', dimensions: { host: 'a' }, timestampMs: 1000, value: 1 },
    ]);
    store.close();
    await expect(pending).resolves.toEqual({ accepted: 1, rejected: [] });
    const reopened = new SqliteMetricStore(path);
    const result = await reopened.query('t', {
      metric: 'cpu',
      fromMs: 0,
      toMs: 2000,
      aggregation: 'avg',
      filters: {},
    });
    expect(result).toHaveLength(1);
    reopened.close();
  });

  it('refuses only the write that fails, not the others of its turn', async () => {
    const store = new SqliteMetricStore(dbPath());
    const good = store.write('t', [
      { metric: 'cpu', dimensions: { host: 'a' }, timestampMs: 1000, value: 1 },
    ]);
    // SQLite's NOT NULL constraint refuses a null value; the store must isolate that write.
    const bad = store.write('t', [
      { metric: 'cpu', dimensions: { host: 'b' }, timestampMs: 1000, value: null as unknown as number },
    ]);
    await expect(good).resolves.toEqual({ accepted: 1, rejected: [] });
    await expect(bad).rejects.toThrow();
    const result = await store.query('t', {
      metric: 'cpu',
      fromMs: 0,
      toMs: 2000,
      aggregation: 'avg',
      filters: {},
    });
    expect(result.map((s) => s.dimensions.host)).toEqual(['a']);
    store.close();
  });
});
