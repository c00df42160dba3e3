/**
 * The per-tenant log retention sweep (functions/log-retention/sweep.ts) over the local twins: a
 * tenant with a shorter `logRetentionDays` loses its older lines, the others keep theirs, a run stops
 * at its budget and the next one resumes from its cursor.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteTenantLimitsStore } from '#adapters/local/sqlite-limits';
import { SqliteLogStore } from '#adapters/local/sqlite-log-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential } from '#domain/credentials';
import { parseLogQuery } from '#domain/logs/query';
import { sweepLogRetention } from '../../functions/log-retention/sweep';
import { logRecord } from './log-store.contract';

const dir = mkdtempSync(join(tmpdir(), 'log-retention-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 7, 0, 0, 0);
const short = 'a'.repeat(32);
const usual = 'b'.repeat(32);

describe('log retention sweep', () => {
  it('removes lines older than the tenant’s retention only, within a budget a run, resuming from the cursor', async () => {
    const tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
    const limits = new SqliteTenantLimitsStore(join(dir, 'limits.sqlite'));
    const logs = new SqliteLogStore(join(dir, 'logs.sqlite'));
    for (const tenantId of [short, usual]) {
      await tenants.createTenant(
        { tenantId, name: tenantId.slice(0, 1), status: 'active', createdAt: '2026-01-01T00:00:00.000Z' },
        issueCredential('tenant', tenantId, new Date(), { role: 'admin', name: 'admin' }).record,
      );
      // One line a day for 20 days, three of them 10 days old.
      await logs.append(
        tenantId,
        [
          ...Array.from({ length: 20 }, (_, d) => NOW - (d + 0.5) * DAY),
          NOW - 10.2 * DAY,
          NOW - 10.3 * DAY,
        ].map((t) => logRecord({ timestampMs: t, message: `at ${t}` })),
      );
    }
    await limits.put(short, { logRetentionDays: 7 }, 0, '2026-12-01T00:00:00.000Z');
    const deps = { tenants, limits, logs, clock: { now: () => new Date(NOW) }, storeRetentionDays: 30 };

    const first = await sweepLogRetention({ ...deps, budget: 5 });
    expect(first).toMatchObject({ removed: 5, tenantsSwept: 1, more: true });
    const second = await sweepLogRetention({ ...deps, budget: 100 }, first.cursor);
    // 13 days older than 7 (days 7..19) and the two extra lines of day 10: 15 lines in all.
    expect(second).toEqual({ removed: 10, tenantsSwept: 1, more: false });

    const range = { fromMs: NOW - 30 * DAY, toMs: NOW, query: parseLogQuery(''), limit: 100, maxScan: 1000 };
    const kept = (await logs.search(short, range)).records.map((r) => r.timestampMs);
    expect(kept).toHaveLength(7);
    expect(Math.min(...kept)).toBeGreaterThanOrEqual(NOW - 7 * DAY);
    expect((await logs.search(usual, range)).records).toHaveLength(22);

    // A setting longer than the store keeps changes nothing: the bucket-wide rule is the bound.
    await limits.put(usual, { logRetentionDays: 400 }, 0, '2026-12-01T00:00:00.000Z');
    expect(await sweepLogRetention({ ...deps, budget: 100 })).toEqual({
      removed: 0,
      tenantsSwept: 1,
      more: false,
    });
    expect((await logs.search(usual, range)).records).toHaveLength(22);
    logs.close();
  });
});
