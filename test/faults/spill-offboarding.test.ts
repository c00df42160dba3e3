import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpillDirectory, startSpillReplay } from '#adapters/local/spill-directory';
import { TenantNotActiveError, type TenantStatusSource } from '#adapters/tenancy/tenant-status';
import type { Sample, WriteResult } from '#domain/metrics';
import type { Tenant } from '#domain/tenant';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { TenantDataHolder } from '#ports/tenant-data';
import type { TestPlatform } from '../support/platform';
import { expectQueryableExactlyOnce, waitFor } from './support/assertions';
import { FlakyMetricStore, RecordingMetricStore } from './support/fault-stores';
import { flakyPlatforms, ingest } from './support/flaky-platform';
import { nativeBatch } from './support/payloads';

const samples = (n: number, t0 = 1_700_000_000_000): Sample[] =>
  Array.from({ length: n }, (_, i) => ({
    metric: 'cpu.busy',
    dimensions: { host: `h${i}` },
    timestampMs: t0 + i * 1000,
    value: i,
  }));

/** A tenant store with fixed statuses; tenants not listed have no record. */
function statuses(byTenant: Record<string, Tenant['status']>): TenantStatusSource & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    getTenant: async (tenantId) => {
      reads.push(tenantId);
      const status = byTenant[tenantId];
      return status ? { tenantId, name: tenantId, status, createdAt: '2024-01-01T00:00:00Z' } : undefined;
    },
  };
}

const batchFiles = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.batch.json'));
const tenantsIn = (dir: string) =>
  batchFiles(dir).map(
    (n) => (JSON.parse(readFileSync(join(dir, n), 'utf8')) as { tenantId: string }).tenantId,
  );

describe('SpillDirectory and tenants that are no longer active', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spill-offboarding-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('drops, unwritten, the batches of offboarded and unknown tenants, writes the active ones and leaves an offboarding one to its offboarding', async () => {
    const spill = new SpillDirectory(dir);
    await spill.park({ tenantId: 'live', samples: samples(3), spilledAtMs: 1 });
    await spill.park({ tenantId: 'gone', samples: samples(4), spilledAtMs: 2 });
    await spill.park({ tenantId: 'leaving', samples: samples(2), spilledAtMs: 3 });
    await spill.park({ tenantId: 'never-was', samples: samples(1), spilledAtMs: 4 });
    const recording = new RecordingMetricStore();
    const logged: { message: string; details: object }[] = [];
    const tenants = statuses({ live: 'active', gone: 'offboarded', leaving: 'offboarding' });
    const report = await spill.drain(recording, tenants, (message, details) =>
      logged.push({ message, details }),
    );
    expect(report).toEqual({ replayed: 1, rejectedSamples: 0, remaining: 1, deadLettered: 0, dropped: 2 });
    expect(recording.writes.map((w) => [w.tenantId, w.samples.length])).toEqual([['live', 3]]);
    // The offboarding under way archives this one, then deletes it (deleteTenant below).
    expect(tenantsIn(dir)).toEqual(['leaving']);
    expect(logged).toEqual(
      [
        ['gone', 'offboarded', 4, 2],
        ['never-was', 'unknown', 1, 4],
      ].map(([tenantId, tenantStatus, count, spilledAtMs]) => ({
        message: 'spilled batch dropped: its tenant no longer accepts data',
        details: {
          name: expect.stringMatching(/\.batch\.json$/),
          tenantId,
          tenantStatus,
          samples: count,
          spilledAtMs,
        },
      })),
    );
    // Every tenant is read afresh for each batch (no cache between the check and the write).
    expect(tenants.reads).toEqual(['live', 'gone', 'leaving', 'never-was']);
  });

  it("drops an offboarded tenant's batch even while the store is still down, and keeps the live ones for later", async () => {
    const spill = new SpillDirectory(dir);
    await spill.park({ tenantId: 'gone', samples: samples(2), spilledAtMs: 1 });
    await spill.park({ tenantId: 'live', samples: samples(2), spilledAtMs: 2 });
    const store = new FlakyMetricStore(new RecordingMetricStore());
    store.down = true;
    const report = await spill.drain(store, statuses({ live: 'active', gone: 'offboarded' }));
    expect(report).toEqual({ replayed: 0, rejectedSamples: 0, remaining: 1, deadLettered: 0, dropped: 1 });
    expect(tenantsIn(dir)).toEqual(['live']);
  });

  it('drops the batch when the store refuses to create storage for a tenant offboarded meanwhile', async () => {
    const spill = new SpillDirectory(dir);
    await spill.park({ tenantId: 'raced', samples: samples(2), spilledAtMs: 1 });
    const refusing: MetricStore = {
      write: async (tenantId): Promise<WriteResult> => {
        throw new TenantNotActiveError(tenantId, 'offboarded');
      },
      query: async () => [],
    };
    const report = await spill.drain(refusing, statuses({ raced: 'active' }));
    expect(report).toEqual({ replayed: 0, rejectedSamples: 0, remaining: 0, deadLettered: 0, dropped: 1 });
    expect(batchFiles(dir)).toEqual([]);
  });

  it("exports and deletes one tenant's parked samples and leaves every other tenant's batches", async () => {
    const spill = new SpillDirectory(dir);
    await spill.park({ tenantId: 'gone', samples: samples(3, 1_000), spilledAtMs: 1 });
    await spill.park({ tenantId: 'live', samples: samples(2, 5_000), spilledAtMs: 2 });
    await spill.park({ tenantId: 'gone', samples: samples(1, 9_000), spilledAtMs: 3 });
    const exported: unknown[] = [];
    for await (const record of spill.exportTenant('gone')) exported.push(record);
    expect(exported).toEqual([...samples(3, 1_000), ...samples(1, 9_000)]);

    expect(await spill.deleteTenant('gone')).toBe(4);
    expect(tenantsIn(dir)).toEqual(['live']);
    const after: unknown[] = [];
    for await (const record of spill.exportTenant('gone')) after.push(record);
    expect(after).toEqual([]);
    expect(await spill.deleteTenant('gone')).toBe(0);
    expect(spill.erasureLimitation).toBeUndefined();
  });

  it('lets a running replay finish before it deletes, and names unreadable files it could not examine', async () => {
    const spill = new SpillDirectory(dir);
    await spill.park({ tenantId: 'gone', samples: samples(2), spilledAtMs: 1 });
    let release: () => void = () => {};
    const order: string[] = [];
    const slow: MetricStore = {
      write: async (tenantId, batch) => {
        order.push(`write ${tenantId} begins`);
        await new Promise<void>((r) => {
          release = r;
        });
        order.push(`write ${tenantId} ends`);
        return { accepted: batch.length, rejected: [] };
      },
      query: async () => [],
    };
    const draining = spill.drain(slow, statuses({ gone: 'active' }));
    await waitFor(async () => order.length === 1);
    const deleting = spill.deleteTenant('gone').then((n) => {
      order.push(`deleted ${n}`);
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(order).toEqual(['write gone begins']);
    release();
    await Promise.all([draining, deleting]);
    // The replay wrote and removed the batch first; the erasure of the store (after this holder) removes it.
    expect(order).toEqual(['write gone begins', 'write gone ends', 'deleted 0']);

    writeFileSync(join(dir, '000000000000009-x.batch.json'), '{"half-written');
    await spill.drain(new RecordingMetricStore(), statuses({}));
    expect(spill.erasureLimitation).toMatch(/1 unreadable spill file\(s\) under .*dead/);
  });

  it('the timer-driven replay logs each dropped batch and emits the dropped-batch metric', async () => {
    const spill = new SpillDirectory(dir);
    await spill.park({ tenantId: 'gone', samples: samples(2), spilledAtMs: 5 });
    await spill.park({ tenantId: 'gone', samples: samples(1), spilledAtMs: 6 });
    const warnings: [string, Record<string, unknown>][] = [];
    const metrics: [string, string, number][] = [];
    let published = 0;
    const observability = {
      logger: {
        warn: (message: string, details: Record<string, unknown>) => warnings.push([message, details]),
      },
      metrics: {
        addMetric: (name: string, unit: string, value: number) => metrics.push([name, unit, value]),
        publishStoredMetrics: () => {
          published++;
        },
      },
    };
    const replay = startSpillReplay(
      spill,
      new RecordingMetricStore(),
      statuses({ gone: 'offboarded' }),
      10_000,
      observability as never,
    );
    await waitFor(async () => published > 0);
    await replay.stop();
    expect(metrics).toEqual([[METRIC.spillReplayDroppedBatches, 'Count', 2]]);
    expect(warnings.map(([message, d]) => [message, d.tenantId, d.tenantStatus, d.samples])).toEqual([
      ['spilled batch dropped: its tenant no longer accepts data', 'gone', 'offboarded', 2],
      ['spilled batch dropped: its tenant no longer accepts data', 'gone', 'offboarded', 1],
    ]);
    expect(batchFiles(dir)).toEqual([]);
  });
});

describe('local platform: offboarding a tenant whose batches are parked', () => {
  const { start } = flakyPlatforms();

  /** Offboards through the job API and answers the platform region's part of the finished job. */
  const offboard = async (platform: TestPlatform, tenantId: string) => {
    const job = (await platform.offboard(tenantId)) as unknown as {
      state: string;
      regions: {
        archive: { records: Record<string, number> };
        removed: Record<string, number>;
        remaining: Record<string, number>;
      }[];
    };
    expect(job.state).toBe('succeeded');
    return job.regions[0]!;
  };

  const storedOf = async (store: TenantDataHolder, tenantId: string) => {
    const records: unknown[] = [];
    for await (const record of store.exportTenant(tenantId)) records.push(record);
    return records;
  };

  it('purges and archives its parked batches; after the store returns nothing of it is stored and the live tenant replays', async () => {
    const { platform, dataDir, flaky, inner } = await start();
    const leaving = await platform.createTenant('leaving');
    const leavingKey = (await platform.createCollector(leaving.adminToken)).ingestKey;
    const staying = await platform.createTenant('staying');
    const stayingKey = (await platform.createCollector(staying.adminToken)).ingestKey;
    const nowS = Math.floor(Date.now() / 1000);
    const leavingBatch = nativeBatch(nowS, { instances: 2, dataPoints: 2, values: 3 }, 1);
    const stayingBatch = nativeBatch(nowS, { instances: 1, dataPoints: 2, values: 2 }, 2);

    flaky.down = true;
    expect((await ingest(platform, leavingKey, leavingBatch.body)).status).toBe(202);
    expect((await ingest(platform, stayingKey, stayingBatch.body)).status).toBe(202);
    const spillDir = join(dataDir, 'spill');
    expect(tenantsIn(spillDir).sort()).toEqual([leaving.tenantId, staying.tenantId].sort());

    const receipt = await offboard(platform, leaving.tenantId);
    flaky.down = false;
    await waitFor(async () => batchFiles(spillDir).length === 0);
    // Nothing of the offboarded tenant came back; the live tenant's batch was replayed.
    expect(await storedOf(inner, leaving.tenantId)).toEqual([]);
    await expectQueryableExactlyOnce(platform, staying.adminToken, stayingBatch.points);
    expect(
      (
        await platform.request('/v1/metrics/query?metric=dp0&from=0&to=9999999999999', {
          token: leaving.adminToken,
        })
      ).status,
    ).toBe(401);

    // Offboarding itself archived the parked points, deleted them and verified none was left.
    expect(receipt.archive.records['spill']).toBe(leavingBatch.points.length);
    expect(receipt.removed['spill']).toBe(leavingBatch.points.length);
    expect(receipt.remaining['spill']).toBe(0);
  });

  it('drops a batch parked for the tenant after its purge (a request that outlived the suspension) and one of an unknown tenant', async () => {
    const { platform, dataDir, flaky, inner } = await start();
    const leaving = await platform.createTenant('leaving');
    flaky.down = true; // no replay writes until both batches are parked
    await offboard(platform, leaving.tenantId);
    const late = new SpillDirectory(join(dataDir, 'spill'));
    await late.park({ tenantId: leaving.tenantId, samples: samples(3, Date.now() - 60_000), spilledAtMs: 1 });
    await late.park({ tenantId: 'f'.repeat(32), samples: samples(2, Date.now() - 60_000), spilledAtMs: 2 });

    flaky.down = false;
    await waitFor(async () => batchFiles(join(dataDir, 'spill')).length === 0);
    expect(await storedOf(inner, leaving.tenantId)).toEqual([]);
    expect(await storedOf(inner, 'f'.repeat(32))).toEqual([]);
    expect(readdirSync(join(dataDir, 'spill', 'dead'))).toEqual([]);
  });
});
