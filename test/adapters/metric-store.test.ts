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
