/**
 * Group commit of the local guardrail stores: writes asked for in one event-loop turn share one
 * transaction, yet each is answered on its own, and one that fails is undone alone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { describe, expect, it } from 'vitest';
import { SqliteTenantTable } from '#adapters/local/sqlite-ingest-state';

class Counters extends SqliteTenantTable {
  readonly dataName = 'counters';
  constructor(file: string) {
    super(
      file,
      'counters',
      'CREATE TABLE IF NOT EXISTS counters (tenant_id TEXT PRIMARY KEY, n INTEGER NOT NULL)',
    );
  }
  add(tenantId: string, n: number, failAfterWrite = false): Promise<number> {
    return this.inGroupCommit(() => {
      this.statement(
        'INSERT INTO counters (tenant_id, n) VALUES (?, ?) ON CONFLICT (tenant_id) DO UPDATE SET n = n + excluded.n',
      ).run(tenantId, n);
      if (failAfterWrite) throw new Error('refused after writing');
      return Number(
        (this.statement('SELECT n FROM counters WHERE tenant_id = ?').get(tenantId) as { n: number }).n,
      );
    });
  }
}

describe('SQLite group commit', () => {
  it('answers each write of one turn with its own result, after one shared commit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'group-')), 'g.sqlite');
    const counters = new Counters(path);
    const reader = new DatabaseSync(path);
    const visible = () => reader.prepare('SELECT tenant_id, n FROM counters ORDER BY tenant_id').all();
    const writes = Promise.all([counters.add('a', 1), counters.add('a', 2), counters.add('b', 5)]);
    expect(visible()).toEqual([]); // nothing yet: the turn's writes wait for their shared commit
    expect(await writes).toEqual([1, 3, 5]);
    expect(visible()).toEqual([
      { tenant_id: 'a', n: 3 },
      { tenant_id: 'b', n: 5 },
    ]);
    reader.close();
    counters.close();
  });

  it('undoes only the write that throws; the others of its turn commit', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'group-')), 'g.sqlite');
    const counters = new Counters(path);
    const first = counters.add('a', 1);
    const failing = counters.add('a', 100, true);
    const third = counters.add('a', 10);
    await expect(first).resolves.toBe(1);
    await expect(failing).rejects.toThrow('refused after writing');
    await expect(third).resolves.toBe(11);
    expect(await counters.add('a', 0)).toBe(11);
    counters.close();
  });
});
