import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  CreateTableCommand,
  ResourceNotFoundException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import { encodeSpilledBatch } from '#adapters/aws/spill-sqs-queue';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { TenantNotActiveError } from '#adapters/tenancy/tenant-status';
import type { Sample } from '#domain/metrics';
import type { Tenant } from '#domain/tenant';
import { createObservability } from '#http/handler';
import { METRIC } from '#ports/operational-metrics';
import { createReplayHandler } from '../../functions/replay/app';
import { replayOutlets } from './support/fault-stores';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const REGION = 'us-west-2';
const METADATA_TABLE = 'metadata';
const timestream = mockClient(TimestreamWriteClient);
const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  timestream.reset();
  ddb.reset();
});

const samples = (n: number): Sample[] =>
  Array.from({ length: n }, (_, i) => ({
    metric: 'cpu',
    dimensions: { host: `h${i}` },
    timestampMs: 1_700_000_000_000 + i * 1000,
    value: i,
  }));

const getTenant = (tenantId: string) => ({
  TableName: METADATA_TABLE,
  Key: { pk: `TENANT#${tenantId}`, sk: 'META' },
  ConsistentRead: true,
});
const tenantItem = (tenantId: string, status: Tenant['status']) => ({
  Item: {
    pk: `TENANT#${tenantId}`,
    sk: 'META',
    tenantId,
    name: 'n',
    status,
    createdAt: '2024-01-01',
    version: 2,
  },
});
const notFound = () =>
  new ResourceNotFoundException({ $metadata: {}, message: 'The table does not exist.', Message: 'nf' });

/** Every request sent to Timestream: command and table, in order. */
const timestreamRequests = () =>
  timestream.calls().map((call) => {
    const command = call.args[0] as { constructor: { name: string }; input: { TableName?: string } };
    return [command.constructor.name, command.input.TableName];
  });

const sqsRecord = (messageId: string, tenantId: string, count: number, spilledAtMs = 1): SQSRecord =>
  ({
    messageId,
    receiptHandle: messageId,
    body: encodeSpilledBatch({ tenantId, samples: samples(count), spilledAtMs })[0],
    attributes: {},
    messageAttributes: {},
  }) as unknown as SQSRecord;

/** The replay function as its handler wires it: Timestream store and tenant table on mocked clients. */
function replayFunction(options: { now?: () => number } = {}) {
  const tenants = new DynamoDbTenantStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
    METADATA_TABLE,
  );
  const metrics = new TimestreamMetricStore({
    writeClient: new TimestreamWriteClient({ region: REGION }),
    queryClient: new TimestreamQueryClient({ region: REGION }),
    databaseName: 'metrics_db',
    magneticRetentionDays: 400,
    version: () => 7,
    sleep: async () => {},
    tenants,
  });
  const observability = createObservability('replay');
  const addMetric = vi.spyOn(observability.metrics, 'addMetric');
  const warn = vi.spyOn(observability.logger, 'warn');
  const handler = createReplayHandler({ metrics, tenants, observability, ...replayOutlets(), ...options });
  const run = (...records: SQSRecord[]) =>
    handler({ Records: records } as SQSEvent, { awsRequestId: 'r', functionName: 'replay' } as Context);
  const dropped = () => addMetric.mock.calls.filter(([name]) => name === METRIC.spillReplayDroppedBatches);
  return { run, warn, dropped };
}

describe('replay function and offboarded tenants', () => {
  it("deletes offboarded, offboarding and unknown tenants' batches unwritten and writes the live tenant's, reading each status once", async () => {
    ddb.on(GetCommand, getTenant('live')).resolves(tenantItem('live', 'active'));
    ddb.on(GetCommand, getTenant('gone')).resolves(tenantItem('gone', 'offboarded'));
    ddb.on(GetCommand, getTenant('leaving')).resolves(tenantItem('leaving', 'offboarding'));
    ddb.on(GetCommand, getTenant('never-was')).resolves({});
    timestream.on(WriteRecordsCommand).resolves({});
    const replay = replayFunction();

    const result = await replay.run(
      sqsRecord('a', 'live', 3),
      sqsRecord('b', 'gone', 4, 11),
      sqsRecord('c', 'live', 2),
      sqsRecord('d', 'gone', 1, 12),
      sqsRecord('e', 'leaving', 2, 13),
      sqsRecord('f', 'never-was', 5, 14),
    );

    // Nothing reported back: the dropped batches are deleted from the queue, not retried nor dead-lettered.
    expect(result).toEqual({ batchItemFailures: [] });
    expect(timestreamRequests()).toEqual([
      ['WriteRecordsCommand', 'tenant_live'],
      ['WriteRecordsCommand', 'tenant_live'],
    ]);
    expect(timestream.commandCalls(WriteRecordsCommand).map((c) => c.args[0].input.Records?.length)).toEqual([
      3, 2,
    ]);
    expect(ddb.calls().map((c) => c.args[0].input)).toEqual([
      getTenant('live'),
      getTenant('gone'),
      getTenant('leaving'),
      getTenant('never-was'),
    ]);
    expect(replay.dropped()).toEqual(Array(4).fill([METRIC.spillReplayDroppedBatches, 'Count', 1]));
    const drops = replay.warn.mock.calls.filter(
      ([message]) => message === 'spilled batch dropped: its tenant no longer accepts data',
    );
    expect(drops.map(([, details]) => details)).toEqual([
      { messageId: 'b', tenantId: 'gone', tenantStatus: 'offboarded', samples: 4, spilledAtMs: 11 },
      { messageId: 'd', tenantId: 'gone', tenantStatus: 'offboarded', samples: 1, spilledAtMs: 12 },
      { messageId: 'e', tenantId: 'leaving', tenantStatus: 'offboarding', samples: 2, spilledAtMs: 13 },
      { messageId: 'f', tenantId: 'never-was', tenantStatus: 'unknown', samples: 5, spilledAtMs: 14 },
    ]);
  });

  it('never recreates the table of a tenant offboarded after its status was read: the store checks again before CreateTable', async () => {
    ddb
      .on(GetCommand, getTenant('raced'))
      .resolvesOnce(tenantItem('raced', 'active'))
      .resolves(tenantItem('raced', 'offboarded'));
    // Offboarding dropped the table between the replay's check and its write.
    timestream.on(WriteRecordsCommand).rejects(notFound());
    const replay = replayFunction();

    expect(await replay.run(sqsRecord('a', 'raced', 2))).toEqual({ batchItemFailures: [] });
    expect(timestreamRequests()).toEqual([['WriteRecordsCommand', 'tenant_raced']]);
    expect(timestream.commandCalls(CreateTableCommand)).toHaveLength(0);
    expect(ddb.calls().map((c) => c.args[0].input)).toEqual([getTenant('raced'), getTenant('raced')]);
    expect(replay.dropped()).toHaveLength(1);
  });

  it("still creates a live tenant's missing table (its status read once more, just before CreateTable)", async () => {
    ddb.on(GetCommand, getTenant('new')).resolves(tenantItem('new', 'active'));
    timestream.on(WriteRecordsCommand).rejectsOnce(notFound()).resolves({});
    timestream.on(CreateTableCommand).resolves({ Table: { TableName: 'tenant_new', TableStatus: 'ACTIVE' } });
    const replay = replayFunction();

    expect(await replay.run(sqsRecord('a', 'new', 2))).toEqual({ batchItemFailures: [] });
    expect(timestreamRequests()).toEqual([
      ['WriteRecordsCommand', 'tenant_new'],
      ['CreateTableCommand', 'tenant_new'],
      ['WriteRecordsCommand', 'tenant_new'],
    ]);
    expect(ddb.calls().map((c) => c.args[0].input)).toEqual([getTenant('new'), getTenant('new')]);
    expect(replay.dropped()).toEqual([]);
  });

  it('retries (reports back to SQS) a batch whose tenant cannot be looked up: it is never dropped on a guess', async () => {
    ddb
      .on(GetCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    const replay = replayFunction();

    expect(await replay.run(sqsRecord('a', 'live', 2))).toEqual({
      batchItemFailures: [{ itemIdentifier: 'a' }],
    });
    expect(timestreamRequests()).toEqual([]);
    expect(replay.dropped()).toEqual([]);
  });

  it('trusts a status for 10 s per instance, then reads it again', async () => {
    ddb
      .on(GetCommand, getTenant('t'))
      .resolvesOnce(tenantItem('t', 'active'))
      .resolves(tenantItem('t', 'offboarded'));
    timestream.on(WriteRecordsCommand).resolves({});
    let now = 1_000_000;
    const replay = replayFunction({ now: () => now });

    expect(await replay.run(sqsRecord('a', 't', 1))).toEqual({ batchItemFailures: [] });
    now += 9_999;
    expect(await replay.run(sqsRecord('b', 't', 1))).toEqual({ batchItemFailures: [] });
    expect(ddb.calls()).toHaveLength(1);
    expect(timestreamRequests()).toHaveLength(2);
    now += 1;
    expect(await replay.run(sqsRecord('c', 't', 1))).toEqual({ batchItemFailures: [] });
    expect(ddb.calls()).toHaveLength(2);
    expect(timestreamRequests()).toHaveLength(2);
    expect(replay.dropped()).toHaveLength(1);
  });
});

describe('TimestreamMetricStore with a tenant store', () => {
  it('refuses to create the table of a tenant that is not active (a write on a credential cached past its suspension)', async () => {
    ddb.on(GetCommand, getTenant('gone')).resolves(tenantItem('gone', 'offboarding'));
    timestream.on(WriteRecordsCommand).rejects(notFound());
    const tenants = new DynamoDbTenantStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: REGION })),
      METADATA_TABLE,
    );
    const store = new TimestreamMetricStore({
      writeClient: new TimestreamWriteClient({ region: REGION }),
      queryClient: new TimestreamQueryClient({ region: REGION }),
      databaseName: 'metrics_db',
      magneticRetentionDays: 400,
      sleep: async () => {},
      tenants,
    });
    const refused = store.write('gone', samples(1));
    await expect(refused).rejects.toBeInstanceOf(TenantNotActiveError);
    await expect(refused).rejects.toMatchObject({ status: 403, tenantStatus: 'offboarding' });
    expect(timestreamRequests()).toEqual([['WriteRecordsCommand', 'tenant_gone']]);
    expect(ddb.calls().map((c) => c.args[0].input)).toEqual([getTenant('gone')]);
  });
});
