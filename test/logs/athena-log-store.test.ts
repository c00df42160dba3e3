/**
 * The AWS log store: the LogStore contract with its SQL really executed (DuckDB over the Parquet files
 * its Firehose records become: test/support/duckdb-log-lake.ts), and the exact requests it makes to
 * Firehose, Athena and S3, its partial-failure retries, deadlines and limits.
 */
import {
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { PutRecordBatchCommand, type PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import { DeleteObjectsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AthenaLogStore, type AthenaLogStoreOptions, FIREHOSE_LIMITS } from '#adapters/aws/athena-log-store';
import { parseLogQuery } from '#domain/logs/query';
import { type DuckDbLogLake, duckDbLogLake } from '../support/duckdb-log-lake';
import { logRecord, logStoreContract } from './log-store.contract';

const NAMES = { database: 'obs_logs', table: 'log_lines' };
const lakes: DuckDbLogLake[] = [];

function storeOn(lake: DuckDbLogLake, over: Partial<AthenaLogStoreOptions> = {}): AthenaLogStore {
  let ids = 0;
  return new AthenaLogStore({
    firehose: lake.firehose,
    athena: lake.athena,
    s3: lake.s3,
    deliveryStream: 'obs-logs',
    ...NAMES,
    workGroup: 'obs-logs',
    bucket: 'obs-logs-bucket',
    bytesScannedCutoff: 10 * 1024 ** 3,
    sleep: async () => {},
    newId: () => (++ids).toString(16).padStart(16, '0'),
    ...over,
  });
}

async function lake(): Promise<DuckDbLogLake> {
  const l = await duckDbLogLake(NAMES);
  lakes.push(l);
  return l;
}

afterAll(() => {
  for (const l of lakes) l.close();
});

logStoreContract('athena', async () => storeOn(await lake()));

const T = Date.UTC(2026, 11, 6, 12, 30, 0);
const TENANT = '0123456789abcdef0123456789abcdef';

describe('AthenaLogStore requests', () => {
  let l: DuckDbLogLake;
  let store: AthenaLogStore;
  beforeAll(async () => {
    l = await lake();
    store = storeOn(l);
  });
  beforeEach(() => {
    l.mocks.firehose.resetHistory();
    l.mocks.athena.resetHistory();
    l.mocks.s3.resetHistory();
  });

  it('writes JSON lines with their tenant and event hour, one Firehose record per hour', async () => {
    await store.append(TENANT, [
      logRecord({ timestampMs: T, message: 'a', resource: { 'host.name': 'sw1' }, traceId: 'ab' }),
      logRecord({ timestampMs: T + 3600_000, message: 'b' }),
      logRecord({ timestampMs: T + 1, message: 'c' }),
    ]);
    const calls = l.mocks.firehose.commandCalls(PutRecordBatchCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.DeliveryStreamName).toBe('obs-logs');
    const records = (input.Records ?? []).map((r) =>
      Buffer.from(r.Data as Uint8Array)
        .toString('utf8')
        .trimEnd()
        .split('\n')
        .map((line) => JSON.parse(line)),
    );
    expect(records.map((lines) => lines.map((line: { message: string }) => line.message))).toEqual([
      ['a', 'c'],
      ['b'],
    ]);
    expect(records[0]![0]).toEqual({
      tenant: TENANT,
      event_hour: '2026-12-06-12',
      ts: T,
      id: expect.stringMatching(/^[0-9a-f]{16}$/),
      severity: 'info',
      severity_number: 9,
      message: 'a',
      resource: { 'host.name': 'sw1' },
      attributes: {},
      trace_id: 'ab',
    });
    expect(records[1]![0].event_hour).toBe('2026-12-06-13');
  });

  it('searches with a parameterized query pruned to the tenant and the hours of the range', async () => {
    const page = await store.search(TENANT, {
      fromMs: T - 1000,
      toMs: T + 2 * 3600_000,
      query: parseLogQuery(`"a" severity:info resource.host.name:sw1 note:"it's ' OR 1=1 --"`),
      limit: 10,
      maxScan: 500,
    });
    expect(page.records).toEqual([]);
    const [call] = l.mocks.athena.commandCalls(StartQueryExecutionCommand);
    const input = call!.args[0].input;
    expect(input.WorkGroup).toBe('obs-logs');
    expect(input.QueryExecutionContext).toEqual({ Database: 'obs_logs' });
    expect(input.QueryString).toBe(
      [
        'WITH recent AS (',
        '  SELECT ts, id, severity, severity_number, message, resource, attributes, trace_id, span_id',
        '  FROM "obs_logs"."log_lines"',
        '  WHERE tenant = ? AND event_hour BETWEEN ? AND ? AND ts >= ? AND ts < ?',
        '  ORDER BY ts DESC, id DESC',
        '  LIMIT 500',
        '), examined AS (',
        '  SELECT recent.*, row_number() OVER (ORDER BY ts DESC, id DESC) AS rank_in_scan, count(*) OVER () AS examined',
        '  FROM recent',
        '), matches AS (',
        '  SELECT * FROM examined',
        '  WHERE regexp_like(lower(message), ?) AND severity = ? AND element_at(resource, ?) = ? AND element_at(attributes, ?) = ?',
        '  ORDER BY rank_in_scan',
        '  LIMIT 11',
        ')',
        'SELECT rank_in_scan, examined, TRUE AS matched, ts, id, severity, severity_number, message, CAST(resource AS JSON) AS resource, CAST(attributes AS JSON) AS attributes, trace_id, span_id FROM matches',
        'UNION ALL',
        'SELECT rank_in_scan, examined, FALSE AS matched, ts, id, severity, severity_number, message, CAST(resource AS JSON) AS resource, CAST(attributes AS JSON) AS attributes, trace_id, span_id FROM examined',
        'WHERE rank_in_scan = examined',
        'ORDER BY rank_in_scan',
      ].join('\n'),
    );
    expect(input.ExecutionParameters).toEqual([
      `'${TENANT}'`,
      "'2026-12-06-12'",
      "'2026-12-06-14'",
      String(T - 1000),
      String(T + 2 * 3600_000),
      "'(^|[^\\p{L}\\p{N}_])a($|[^\\p{L}\\p{N}_])'",
      "'info'",
      "'host.name'",
      "'sw1'",
      "'note'",
      "'it''s '' OR 1=1 --'",
    ]);
    expect(input.QueryString).not.toContain(TENANT);
  });

  it('puts every execution parameter in a WHERE clause, the only place Athena takes one', async () => {
    const query = parseLogQuery('"link down" severity:error resource.host.name:sw1 port:7');
    const range = { fromMs: T - 1000, toMs: T + 3600_000, query, maxScan: 50 };
    await store.search(TENANT, { ...range, limit: 5 });
    await store.histogram(TENANT, { ...range, intervalMs: 60_000 });
    await store.deleteTenant('nobody');
    const inputs = l.mocks.athena.commandCalls(StartQueryExecutionCommand).map((c) => c.args[0].input);
    expect(inputs.length).toBe(3);
    for (const input of inputs) {
      const lines = (input.QueryString ?? '').split('\n').filter((line) => line.includes('?'));
      for (const line of lines) expect(line.trim()).toMatch(/^WHERE /);
      const marks = lines.reduce((n, line) => n + line.split('?').length - 1, 0);
      expect(marks).toBe(input.ExecutionParameters?.length ?? 0);
    }
  });

  it('finds a value with quotes through the parameters, and pages results past 1000 rows', async () => {
    const tenant = 'paging-tenant';
    await store.append(
      tenant,
      Array.from({ length: 1005 }, (_, i) =>
        logRecord({ timestampMs: T + i, message: `line ${i}`, attributes: { note: i === 7 ? "it's" : 'x' } }),
      ),
    );
    const range = { fromMs: T, toMs: T + 3600_000, maxScan: 5000 };
    const quoted = await store.search(tenant, { ...range, query: parseLogQuery(`note:"it's"`), limit: 10 });
    expect(quoted.records.map((r) => r.message)).toEqual(['line 7']);
    l.mocks.athena.resetHistory();
    const page = await store.search(tenant, { ...range, query: parseLogQuery(''), limit: 1000 });
    expect(page.records).toHaveLength(1000);
    expect(page.records[0]!.message).toBe('line 1004');
    const results = l.mocks.athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input);
    expect(results).toEqual([
      { QueryExecutionId: expect.any(String), MaxResults: 1000 },
      { QueryExecutionId: results[0]!.QueryExecutionId, MaxResults: 1000, NextToken: '1000' },
    ]);
    const rest = await store.search(tenant, {
      ...range,
      query: parseLogQuery(''),
      limit: 1000,
      cursor: page.nextCursor as string,
    });
    expect(rest.records.map((r) => r.message)).toEqual(['line 4', 'line 3', 'line 2', 'line 1', 'line 0']);
    expect(rest.nextCursor).toBeUndefined();
  });

  it('erases the tenant prefix only', async () => {
    await store.append('erase-me', [logRecord({ timestampMs: T, message: 'x' })]);
    l.mocks.s3.resetHistory();
    expect(await store.deleteTenant('erase-me')).toBe(1);
    expect(l.mocks.s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toEqual({
      Bucket: 'obs-logs-bucket',
      Prefix: 'logs/tenant=erase-me/',
    });
    const deleted = l.mocks.s3.commandCalls(DeleteObjectsCommand)[0]!.args[0].input.Delete?.Objects ?? [];
    expect(deleted.length).toBeGreaterThan(0);
    for (const o of deleted) expect(o.Key).toMatch(/^logs\/tenant=erase-me\/event_hour=2026-12-06-12\//);
  });

  it('expires whole hour partitions of the tenant, oldest first, stopping at the first hour to keep', async () => {
    const tenant = 'retention-requests';
    const hour = 3600_000;
    for (const h of [-3, -2, -2, 0])
      await store.append(tenant, [logRecord({ timestampMs: T + h * hour, message: `h${h}` })]);
    l.mocks.s3.resetHistory();
    // Cut in the middle of hour -1 (empty): hours -3 and -2 end before it, hour 0 does not.
    const result = await store.expireBefore(tenant, T - hour, 2);
    expect(result).toEqual({ removed: 2, done: false });
    const lists = l.mocks.s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input);
    expect(lists).toEqual([
      { Bucket: 'obs-logs-bucket', Prefix: `logs/tenant=${tenant}/`, Delimiter: '/' },
      { Bucket: 'obs-logs-bucket', Prefix: `logs/tenant=${tenant}/event_hour=2026-12-06-09/`, MaxKeys: 2 },
      { Bucket: 'obs-logs-bucket', Prefix: `logs/tenant=${tenant}/event_hour=2026-12-06-10/`, MaxKeys: 1 },
    ]);
    const deletes = l.mocks.s3.commandCalls(DeleteObjectsCommand).map((c) => c.args[0].input);
    expect(deletes.map((d) => d.Delete?.Objects?.map((o) => o.Key?.split('/')[2]))).toEqual([
      ['event_hour=2026-12-06-09'],
      ['event_hour=2026-12-06-10'],
    ]);
    expect(deletes.every((d) => d.Bucket === 'obs-logs-bucket' && d.Delete?.Quiet === true)).toBe(true);
    l.mocks.s3.resetHistory();
    expect(await store.expireBefore(tenant, T - hour, 100)).toEqual({ removed: 1, done: true });
    // The hour to keep is never listed for deletion.
    const prefixes = l.mocks.s3.commandCalls(ListObjectsV2Command).map((c) => c.args[0].input.Prefix);
    expect(prefixes).not.toContain(`logs/tenant=${tenant}/event_hour=2026-12-06-12/`);
    const left = await store.search(tenant, {
      fromMs: T - 4 * hour,
      toMs: T + hour,
      query: parseLogQuery(''),
      limit: 10,
      maxScan: 10,
    });
    expect(left.records.map((r) => r.message)).toEqual(['h0']);
  });

  it('refuses a tenant id that is not a plain S3 key part', async () => {
    await expect(store.append('../other', [logRecord({ timestampMs: T, message: 'x' })])).rejects.toThrow(
      /not a tenant id/,
    );
  });
});

describe('AthenaLogStore failures', () => {
  let l: DuckDbLogLake;
  beforeAll(async () => {
    l = await lake();
  });
  beforeEach(() => {
    l.mocks.firehose.reset();
    l.mocks.athena.reset();
  });

  it('retries only the records Firehose failed, and answers 503 when they keep failing', async () => {
    const sent: string[][] = [];
    l.mocks.firehose.on(PutRecordBatchCommand).callsFake(async (input: PutRecordBatchCommandInput) => {
      const hours: string[] = (input.Records ?? []).map(
        (r) =>
          JSON.parse(
            Buffer.from(r.Data as Uint8Array)
              .toString('utf8')
              .split('\n')[0]!,
          ).event_hour,
      );
      sent.push(hours);
      const failing = sent.length === 1 ? [1] : [];
      return {
        FailedPutCount: failing.length,
        RequestResponses: hours.map((_: string, i: number) =>
          failing.includes(i)
            ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'slow down' }
            : { RecordId: `r${i}` },
        ),
      };
    });
    const store = storeOn(l);
    const records = [0, 1, 2].map((h) => logRecord({ timestampMs: T + h * 3600_000, message: `h${h}` }));
    expect(await store.append(TENANT, records)).toEqual({ stored: 3 });
    expect(sent).toEqual([['2026-12-06-12', '2026-12-06-13', '2026-12-06-14'], ['2026-12-06-13']]);

    l.mocks.firehose.reset();
    l.mocks.firehose.on(PutRecordBatchCommand).resolves({
      FailedPutCount: 1,
      RequestResponses: [{ ErrorCode: 'InternalFailure' }],
    });
    const bounded = storeOn(l, { backoff: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 } });
    await expect(bounded.append(TENANT, records.slice(0, 1))).rejects.toMatchObject({ status: 503 });
    expect(l.mocks.firehose.commandCalls(PutRecordBatchCommand)).toHaveLength(3);
  });

  it('keeps PutRecordBatch within 500 records and 4 MiB, and records within 1,000 KiB and 500 lines', async () => {
    const batches: Uint8Array[][] = [];
    l.mocks.firehose.on(PutRecordBatchCommand).callsFake(async (input: PutRecordBatchCommandInput) => {
      batches.push((input.Records ?? []).map((r) => r.Data as Uint8Array));
      return { FailedPutCount: 0, RequestResponses: (input.Records ?? []).map(() => ({ RecordId: 'r' })) };
    });
    const store = storeOn(l);
    // 600 hours: 600 records; then 200 messages of 30 KB in one hour: 6 MB in records of ≤ 1,000 KiB.
    await store.append(
      TENANT,
      Array.from({ length: 600 }, (_, i) => logRecord({ timestampMs: T + i * 3600_000, message: 'x' })),
    );
    expect(batches.map((b) => b.length)).toEqual([500, 100]);
    batches.length = 0;
    const big = 'y'.repeat(30_000);
    await store.append(
      TENANT,
      Array.from({ length: 200 }, () => logRecord({ timestampMs: T, message: big })),
    );
    const sizes = batches.map((b) => b.reduce((n, r) => n + r.length, 0));
    for (const size of sizes) expect(size).toBeLessThanOrEqual(FIREHOSE_LIMITS.batchBytes);
    for (const record of batches.flat())
      expect(record.length).toBeLessThanOrEqual(FIREHOSE_LIMITS.recordBytes);
    expect(batches.length).toBeGreaterThan(1);
    const lines = batches
      .flat()
      .reduce((n, r) => n + Buffer.from(r).toString('utf8').split('\n').length - 1, 0);
    expect(lines).toBe(200);
    batches.length = 0;
    // 1,201 short lines of one hour: records of 500, 500 and 201 lines (Firehose de-aggregates ≤ 500).
    await store.append(
      TENANT,
      Array.from({ length: 1201 }, (_, i) => logRecord({ timestampMs: T + i, message: `m${i}` })),
    );
    expect(batches.flat().map((r) => Buffer.from(r).toString('utf8').split('\n').length - 1)).toEqual([
      500, 500, 201,
    ]);
  });

  it('stops a query at its deadline and answers 503', async () => {
    let now = 0;
    l.mocks.athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: 'slow' });
    l.mocks.athena.on(GetQueryExecutionCommand).callsFake(async () => {
      now += 1000;
      return { QueryExecution: { Status: { State: 'RUNNING' } } };
    });
    l.mocks.athena.on(StopQueryExecutionCommand).resolves({});
    const store = storeOn(l, { now: () => now, queryDeadlineMs: 5000 });
    await expect(
      store.search(TENANT, { fromMs: T, toMs: T + 1000, query: parseLogQuery(''), limit: 1, maxScan: 10 }),
    ).rejects.toMatchObject({ status: 503 });
    expect(l.mocks.athena.commandCalls(StopQueryExecutionCommand)[0]!.args[0].input).toEqual({
      QueryExecutionId: 'slow',
    });
    expect(l.mocks.athena.commandCalls(GetQueryExecutionCommand).length).toBeLessThanOrEqual(6);
  });

  it('answers 422 naming the limit when the workgroup cancels a query for bytes scanned', async () => {
    l.cancelQueriesAtByteCap();
    const store = storeOn(l);
    await expect(
      store.histogram(TENANT, {
        fromMs: T,
        toMs: T + 3600_000,
        intervalMs: 60_000,
        query: parseLogQuery('x'),
        maxScan: 10,
      }),
    ).rejects.toMatchObject({
      status: 422,
      field: 'from',
      message: expect.stringContaining('10737418240 bytes'),
    });
  });
});
