import { appendFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { type Sample, seriesKey } from '#domain/metrics';
import type { MetricQuery, Point } from '#domain/query';
import { metricStoreContract } from './metric-store.contract';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'ms-')), 'metrics.sqlite');

metricStoreContract('SQLite (local), head', async () => new SqliteMetricStore(dbPath()), Date.now);
// Every write checkpointed at once: the same contract answered from SQLite's chunks.
metricStoreContract(
  'SQLite (local), checkpointed chunks',
  async () => new SqliteMetricStore(dbPath(), { checkpointSamples: 1 }),
  Date.now,
);

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

describe('SqliteMetricStore head and head log', () => {
  const cpu = (host: string, timestampMs: number, value: number): Sample => ({
    metric: 'cpu',
    dimensions: { host },
    timestampMs,
    value,
  });
  const all: MetricQuery = { metric: 'cpu', fromMs: 0, toMs: 10_000_000, aggregation: 'avg', filters: {} };

  it('recovers from its head log what a killed process had acknowledged but not checkpointed', async () => {
    const path = dbPath();
    const killed = new SqliteMetricStore(path);
    await killed.write('t', [cpu('a', 1000, 1), cpu('b', 1000, 2)]);
    await killed.write('t', [cpu('a', 2000, 3)]);
    // No close(): the head was never checkpointed, as after kill -9. A new process opens the file.
    expect(statSync(`${path}.head-log`).size).toBeGreaterThan(0);
    const recovered = new SqliteMetricStore(path);
    expect(await recovered.query('t', all)).toEqual([
      {
        metric: 'cpu',
        dimensions: { host: 'a' },
        points: [
          [1000, 1],
          [2000, 3],
        ],
      },
      { metric: 'cpu', dimensions: { host: 'b' }, points: [[1000, 2]] },
    ]);
    // Replay checkpoints what it read: the log is empty again.
    expect(statSync(`${path}.head-log`).size).toBe(0);
    recovered.close();
  });

  it('cuts a torn or corrupt tail off the head log and keeps every whole record before it', async () => {
    const path = dbPath();
    const killed = new SqliteMetricStore(path);
    await killed.write('t', [cpu('a', 1000, 1)]);
    const intact = statSync(`${path}.head-log`).size;
    // A write cut short by the kill: a length that runs past the end, then a record with a bad crc.
    appendFileSync(`${path}.head-log`, Buffer.from([200, 0, 0, 0, 1, 2, 3, 4, 2, 9]));
    const recovered = new SqliteMetricStore(path);
    expect(await recovered.query('t', all)).toEqual([
      { metric: 'cpu', dimensions: { host: 'a' }, points: [[1000, 1]] },
    ]);
    await recovered.write('t', [cpu('a', 2000, 2)]);
    recovered.close();
    const corruptPath = dbPath();
    const other = new SqliteMetricStore(corruptPath);
    await other.write('t', [cpu('a', 1000, 1)]);
    await other.write('t', [cpu('a', 2000, 2)]);
    const log = readFileSync(`${corruptPath}.head-log`);
    log[log.length - 1] = (log[log.length - 1] as number) ^ 0xff; // flip a bit of the last record
    writeFileSync(`${corruptPath}.head-log`, log);
    const reopened = new SqliteMetricStore(corruptPath);
    expect((await reopened.query('t', all))[0]?.points).toEqual([[1000, 1]]);
    expect(intact).toBeGreaterThan(0);
    reopened.close();
  });

  it('keeps one point per series and timestamp, the last written, across head, checkpoints and reopen', async () => {
    const path = dbPath();
    const store = new SqliteMetricStore(path);
    await store.write('t', [cpu('a', 1000, 1), cpu('a', 2000, 2)]);
    store.checkpoint();
    await store.write('t', [cpu('a', 1000, 10)]); // a retry with a corrected value
    expect((await store.query('t', all))[0]?.points).toEqual([
      [1000, 10],
      [2000, 2],
    ]);
    store.checkpoint();
    await store.write('t', [cpu('a', 2000, 20), cpu('a', 2000, 21)]);
    expect((await store.query('t', all))[0]?.points).toEqual([
      [1000, 10],
      [2000, 21],
    ]);
    store.close();
    const reopened = new SqliteMetricStore(path);
    expect((await reopened.query('t', all))[0]?.points).toEqual([
      [1000, 10],
      [2000, 21],
    ]);
    reopened.close();
  });

  it('checkpoints by itself once the head holds checkpointSamples, and rolls chunks at 240 points', async () => {
    const path = dbPath();
    const store = new SqliteMetricStore(path, { checkpointSamples: 100 });
    const written: Point[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const samples = Array.from({ length: 60 }, (_, i) =>
        cpu('a', (batch * 60 + i) * 1000, batch + i / 100),
      );
      for (const s of samples) written.push([s.timestampMs, s.value]);
      await store.write('t', samples);
      await new Promise((resolve) => setImmediate(resolve));
    }
    // 600 points in: at most the last write is still only in the head.
    expect(statSync(`${path}.head-log`).size).toBeLessThan(60 * 20 + 100);
    expect((await store.query('t', all))[0]?.points).toEqual(written);
    store.close();
    const db = new DatabaseSync(path);
    const chunks = db.prepare('SELECT points FROM chunks ORDER BY seq').all() as { points: number }[];
    db.close();
    expect(chunks.map((c) => c.points)).toEqual([240, 240, 120]);
  });

  it('checkpoints checkpointIntervalMs after the first sample since the last checkpoint', async () => {
    const path = dbPath();
    const store = new SqliteMetricStore(path, { checkpointIntervalMs: 20 });
    await store.write('t', [cpu('a', 1000, 1)]);
    expect(statSync(`${path}.head-log`).size).toBeGreaterThan(0);
    // Timers run late on a loaded machine: wait for the checkpoint rather than a fixed time.
    const deadline = Date.now() + 5_000;
    while (statSync(`${path}.head-log`).size > 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(statSync(`${path}.head-log`).size).toBe(0);
    expect((await store.query('t', all))[0]?.points).toEqual([[1000, 1]]);
    store.close();
  });

  it('offboarding removes a tenant from the head and its log too, so no replay brings it back', async () => {
    const path = dbPath();
    const store = new SqliteMetricStore(path);
    await store.write('gone', [cpu('a', 1000, 1)]);
    store.checkpoint();
    await store.write('gone', [cpu('a', 2000, 2)]);
    await store.write('kept', [cpu('a', 1000, 5)]);
    expect(await store.deleteTenant('gone')).toBe(2);
    expect(await store.query('gone', all)).toEqual([]);
    const reopened = new SqliteMetricStore(path); // the first was never closed, as after a kill
    expect(await reopened.query('gone', all)).toEqual([]);
    expect((await reopened.query('kept', all))[0]?.points).toEqual([[1000, 5]]);
    reopened.close();
  });

  it('keeps NaN, ±Inf, -0 and stale markers bit for bit through the head log, its replay, chunks and export', async () => {
    const path = dbPath();
    const killed = new SqliteMetricStore(path);
    const marker: Sample = { ...cpu('a', 2000, Number.NaN), stale: true };
    await killed.write('t', [
      cpu('a', 1000, Number.NaN),
      marker,
      cpu('a', 3000, -0),
      cpu('a', 4000, Number.POSITIVE_INFINITY),
      cpu('a', 5000, Number.NEGATIVE_INFINITY),
    ]);
    // No close(): the head log is all there is; replaying it must tell the marker from a NaN.
    const recovered = new SqliteMetricStore(path);
    const expected: Point[] = [
      [1000, Number.NaN],
      [3000, -0],
      [4000, Number.POSITIVE_INFINITY],
      [5000, Number.NEGATIVE_INFINITY],
    ];
    expect((await recovered.query('t', all))[0]?.points).toEqual(expected);
    // The replay checkpointed into a chunk: the marker is written as its own bits, the NaN as a quiet NaN.
    const db = new DatabaseSync(path);
    const { data } = db.prepare('SELECT data FROM chunks').get() as { data: Uint8Array };
    db.close();
    const words = (i: number) => {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      return [view.getUint32(16 * i + 12, true), view.getUint32(16 * i + 8, true)];
    };
    expect(words(0)).toEqual([0x7ff80000, 0]);
    expect(words(1)).toEqual([0x7ff00000, 2]);
    expect(words(2)).toEqual([0x80000000, 0]);
    const exported: unknown[] = [];
    for await (const record of recovered.exportTenant('t')) exported.push(record);
    const base = { metric: 'cpu', dimensions: { host: 'a' } };
    expect(exported).toEqual([
      { ...base, timestampMs: 1000, value: 'NaN' },
      { ...base, timestampMs: 2000, value: 'NaN', stale: true },
      { ...base, timestampMs: 3000, value: -0 },
      { ...base, timestampMs: 4000, value: '+Inf' },
      { ...base, timestampMs: 5000, value: '-Inf' },
    ]);
    // A value written later at the marker's time replaces it, as any rewrite does.
    await recovered.write('t', [cpu('a', 2000, 7)]);
    expect((await recovered.query('t', all))[0]?.points).toContainEqual([2000, 7]);
    recovered.close();
  });

  it('folds a store written by the earlier one-row-per-point schema into chunks', async () => {
    const path = dbPath();
    const legacy = new DatabaseSync(path);
    legacy.exec(`
      CREATE TABLE series (id INTEGER PRIMARY KEY, tenant_id TEXT NOT NULL, metric TEXT NOT NULL,
        series_key TEXT NOT NULL, dimensions TEXT NOT NULL, UNIQUE (tenant_id, series_key));
      CREATE TABLE points (series_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL,
        PRIMARY KEY (series_id, ts)) WITHOUT ROWID;
      INSERT INTO points VALUES (1, 2000, 2), (1, 1000, 1);
    `);
    legacy
      .prepare('INSERT INTO series VALUES (1, ?, ?, ?, ?)')
      .run('t', 'cpu', seriesKey('cpu', { host: 'a' }), '{"host":"a"}');
    legacy.close();
    const store = new SqliteMetricStore(path);
    expect(await store.query('t', all)).toEqual([
      {
        metric: 'cpu',
        dimensions: { host: 'a' },
        points: [
          [1000, 1],
          [2000, 2],
        ],
      },
    ]);
    await store.write('t', [cpu('a', 3000, 3)]);
    store.close();
    const reopened = new SqliteMetricStore(path);
    expect((await reopened.query('t', all))[0]?.points).toEqual([
      [1000, 1],
      [2000, 2],
      [3000, 3],
    ]);
    reopened.close();
  });

  it('refuses a write with a non-numeric value as a whole, leaving the others alone', async () => {
    const store = new SqliteMetricStore(dbPath());
    const good = store.write('t', [cpu('a', 1000, 1)]);
    const bad = store.write('t', [cpu('b', 1000, 2), cpu('c', 1000, null as unknown as number)]);
    await expect(good).resolves.toEqual({ accepted: 1, rejected: [] });
    await expect(bad).rejects.toThrow(TypeError);
    expect((await store.query('t', all)).map((s) => s.dimensions.host)).toEqual(['a']);
    store.close();
  });
});
