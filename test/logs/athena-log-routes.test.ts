/**
 * `GET /v1/logs/search` through the API function with the AWS log store behind it (Firehose and
 * Athena backed by DuckDB, test/support/duckdb-log-lake.ts): what a tenant's lines are found by
 * its token, never by another tenant's, and a search the workgroup's byte cap cancels is a 422.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AthenaLogStore } from '#adapters/aws/athena-log-store';
import { type DuckDbLogLake, duckDbLogLake } from '../support/duckdb-log-lake';
import { type Harness, startHarness } from '../tenancy/support/harness';
import { logRecord } from './log-store.contract';

describe('log search API on the AWS log store', () => {
  let lake: DuckDbLogLake;
  let store: AthenaLogStore;
  let harness: Harness;
  let a: { tenantId: string; adminToken: string };
  let b: { tenantId: string; adminToken: string };
  const now = Date.now();

  beforeAll(async () => {
    lake = await duckDbLogLake({ database: 'obs_logs', table: 'log_lines' });
    store = new AthenaLogStore({
      firehose: lake.firehose,
      athena: lake.athena,
      s3: lake.s3,
      deliveryStream: 'logs',
      database: 'obs_logs',
      table: 'log_lines',
      workGroup: 'logs',
      bucket: 'logs-bucket',
      bytesScannedCutoff: 10 * 1024 ** 3,
      sleep: async () => {},
    });
    harness = await startHarness('sqlite', undefined, { logs: store });
    a = await harness.onboard('log tenant a');
    b = await harness.onboard('log tenant b');
    await store.append(a.tenantId, [
      logRecord({ timestampMs: now - 60_000, message: 'uplink ge-0/0/1 link down', severity: 'error' }),
      logRecord({ timestampMs: now - 30_000, message: 'uplink ge-0/0/1 link up' }),
    ]);
  });
  afterAll(() => lake.close());

  const search = (token: string, q: string) =>
    harness.call('GET', '/v1/logs/search', {
      token,
      query: { q, from: String(now - 3600_000), to: String(now + 1000), interval: '600' },
    });

  it('finds the tenant’s lines, newest first, with a histogram', async () => {
    const r = await search(a.adminToken, 'uplink');
    expect(r.status, r.text).toBe(200);
    expect(r.body.items.map((i: { message: string }) => i.message)).toEqual([
      'uplink ge-0/0/1 link up',
      'uplink ge-0/0/1 link down',
    ]);
    expect(r.body.histogram.buckets.reduce((n: number, x: { count: number }) => n + x.count, 0)).toBe(2);
    const phrase = await search(a.adminToken, 'severity:error "link down"');
    expect(phrase.body.items).toHaveLength(1);
  });

  it('finds nothing of another tenant', async () => {
    const r = await search(b.adminToken, 'uplink');
    expect(r.status, r.text).toBe(200);
    expect(r.body.items).toEqual([]);
  });

  it('answers 422 naming the limit when Athena cancels the search at the bytes-scanned cap', async () => {
    lake.cancelQueriesAtByteCap();
    const r = await search(a.adminToken, 'uplink');
    expect(r.status, r.text).toBe(422);
    expect(r.body.error).toMatchObject({
      field: 'from',
      message: expect.stringContaining('10737418240 bytes'),
    });
  });
});
