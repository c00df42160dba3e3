/**
 * awsLogStore (shared/adapters/aws/wiring.ts): no log store without LOG_STREAM (the routes are then
 * not served); with the construct's variables, the clients it builds on first use write to the
 * named stream and query the named workgroup, database and table, and what they wrote is found
 * (the SDK clients are mocked by class and forwarded to the DuckDB stand-in of Firehose and Athena).
 */
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsLogStore, LOG_STORE_ENV } from '#adapters/aws/wiring';
import { parseLogQuery } from '#domain/logs/query';
import { logRecord } from '../logs/log-store.contract';
import { type DuckDbLogLake, duckDbLogLake } from '../support/duckdb-log-lake';

const ENV_VALUES = {
  [LOG_STORE_ENV.stream]: 'stream-1',
  [LOG_STORE_ENV.database]: 'platform_logs',
  [LOG_STORE_ENV.table]: 'log_lines',
  [LOG_STORE_ENV.workGroup]: 'platform-logs',
  [LOG_STORE_ENV.bucket]: 'bucket-1',
  [LOG_STORE_ENV.bytesScannedCutoff]: '1000000',
  [LOG_STORE_ENV.queryDeadlineMs]: '27000',
};

describe('awsLogStore', () => {
  let lake: DuckDbLogLake;
  let firehose: AwsClientStub<FirehoseClient>;
  let athena: AwsClientStub<AthenaClient>;
  beforeAll(async () => {
    lake = await duckDbLogLake({ database: 'platform_logs', table: 'log_lines' });
    firehose = mockClient(FirehoseClient);
    athena = mockClient(AthenaClient);
    // The lake's own clients are mocked per instance; the wiring's instances forward to them.
    firehose
      .on(PutRecordBatchCommand)
      .callsFake((input) => lake.firehose.send(new PutRecordBatchCommand(input)));
    athena
      .on(StartQueryExecutionCommand)
      .callsFake((input) => lake.athena.send(new StartQueryExecutionCommand(input)))
      .on(GetQueryExecutionCommand)
      .callsFake((input) => lake.athena.send(new GetQueryExecutionCommand(input)))
      .on(GetQueryResultsCommand)
      .callsFake((input) => lake.athena.send(new GetQueryResultsCommand(input)));
  });
  afterAll(() => {
    for (const name of Object.keys(ENV_VALUES)) delete process.env[name];
    firehose.restore();
    athena.restore();
    lake.close();
  });

  it('is absent without LOG_STREAM, and fails fast when a variable is missing', () => {
    delete process.env[LOG_STORE_ENV.stream];
    expect(awsLogStore()).toBeUndefined();
    process.env[LOG_STORE_ENV.stream] = 'stream-1';
    expect(() => awsLogStore()).toThrow(/LOG_DATABASE is required/);
  });

  it('writes to the stream and searches the workgroup the construct named', async () => {
    Object.assign(process.env, ENV_VALUES);
    const store = awsLogStore();
    if (!store) throw new Error('no log store built from the environment');
    expect(store.dataName).toBe('logs');
    const t = Date.UTC(2026, 11, 6, 10);
    await store.append('tenant-w', [logRecord({ timestampMs: t, message: 'wired through' })]);
    expect(firehose.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.DeliveryStreamName).toBe(
      'stream-1',
    );
    const page = await store.search('tenant-w', {
      fromMs: t,
      toMs: t + 1000,
      query: parseLogQuery('wired'),
      limit: 10,
      maxScan: 100,
    });
    expect(page.records.map((r) => r.message)).toEqual(['wired through']);
    const start = athena.commandCalls(StartQueryExecutionCommand)[0]!.args[0].input;
    expect(start.WorkGroup).toBe('platform-logs');
    expect(start.QueryExecutionContext).toEqual({ Database: 'platform_logs' });
    expect(start.QueryString).toContain('FROM "platform_logs"."log_lines"');
  });
});
