/**
 * Spill replay and samples the store refuses one by one (issue #22 item 7): Timestream (client mock)
 * refuses some records for now and some for good; the replay parks the first again on the spill
 * queue (exact SendMessage), dead-letters the second in DynamoDB (exact PutItem), counts both, and
 * acknowledges the message; a refusal that outlives maxReplays is dead-lettered too; when parking or
 * dead-lettering fails the message goes back to SQS, so nothing is lost.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import {
  RejectedRecordsException,
  TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DynamoDbDeadLetters } from '#adapters/aws/dynamodb-dead-letters';
import { METADATA_TTL_ATTRIBUTE } from '#adapters/aws/dynamodb-notification-ledger';
import { decodeSpilledBatch, encodeSpilledBatch, SqsSpillQueue } from '#adapters/aws/spill-sqs-queue';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import type { TenantStatusSource } from '#adapters/tenancy/tenant-status';
import type { Sample } from '#domain/metrics';
import { createObservability } from '#http/handler';
import { createReplayHandler, REPLAY_METRIC } from '../../functions/replay/app';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const QUEUE_URL = 'https://sqs.us-west-2.amazonaws.com/123456789012/spill';
const timestream = mockClient(TimestreamWriteClient);
const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => {
  timestream.reset();
  sqs.reset();
  ddb.reset();
});

const active: TenantStatusSource = {
  getTenant: async (tenantId) => ({
    tenantId,
    name: 't',
    status: 'active',
    createdAt: '2024-01-01T00:00:00Z',
  }),
};
const NOW = 1_800_000_000_000;
const batch: Sample[] = [0, 1, 2, 3].map((i) => ({
  metric: 'cpu',
  dimensions: { host: `h${i}` },
  timestampMs: NOW - 60_000 + i,
  value: i === 3 ? Number.NaN : i / 2,
}));
const RETRYABLE_REASON =
  'The retention window was updated; wait until the duration of the new window to ingest new data.';
const PERMANENT_REASON = 'The record timestamp is outside the time range of the data ingestion window.';

function setup(maxReplays?: number) {
  const observability = createObservability('replay');
  const addMetric = vi.spyOn(observability.metrics, 'addMetric');
  const handler = createReplayHandler({
    metrics: new TimestreamMetricStore({
      writeClient: new TimestreamWriteClient({ region: 'us-west-2' }),
      queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
      databaseName: 'metrics_db',
      magneticRetentionDays: 400,
      version: () => 7,
      sleep: async () => {},
    }),
    tenants: active,
    observability,
    now: () => NOW,
    spill: new SqsSpillQueue(new SQSClient({ region: 'us-west-2' }), QUEUE_URL),
    deadLetters: new DynamoDbDeadLetters(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' })),
      'metadata',
    ),
    ...(maxReplays ? { maxReplays } : {}),
  });
  const run = (body: string) =>
    handler({ Records: [{ messageId: 'm1', body }] } as SQSEvent, { awsRequestId: 'r' } as Context);
  const counted = (name: string) =>
    addMetric.mock.calls.filter(([n]) => n === name).reduce((sum, [, , v]) => sum + Number(v), 0);
  return { run, counted };
}

/** Timestream refuses record 1 for now and record 3 (the NaN) for good. */
function refuseSome() {
  timestream.on(WriteRecordsCommand).rejects(
    new RejectedRecordsException({
      $metadata: {},
      message: 'rejected',
      RejectedRecords: [
        { RecordIndex: 1, Reason: RETRYABLE_REASON },
        { RecordIndex: 3, Reason: PERMANENT_REASON },
      ],
    }),
  );
}

describe('spill replay: refusals', () => {
  it('parks the retryable sample again, dead-letters the permanent one, and acknowledges the message', async () => {
    refuseSome();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'again' });
    ddb.on(PutCommand).resolves({});
    const { run, counted } = setup();
    const [body] = encodeSpilledBatch({ tenantId: 't1', samples: batch, spilledAtMs: NOW - 90_000 });
    expect(await run(body as string)).toEqual({ batchItemFailures: [] });

    const sent = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ QueueUrl: QUEUE_URL });
    expect(decodeSpilledBatch(sent[0]?.MessageBody as string)).toEqual({
      tenantId: 't1',
      samples: [batch[1]],
      spilledAtMs: NOW - 90_000,
      replays: 1,
    });

    const puts = ddb.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts).toEqual([
      {
        TableName: 'metadata',
        Item: {
          pk: 'DEADLETTER#t1',
          sk: expect.stringMatching(/^[0-9a-z]{9}#[0-9a-f]{12}$/),
          source: 'spill-replay',
          reason: PERMANENT_REASON,
          payload: JSON.stringify({
            messageId: 'm1',
            spilledAtMs: NOW - 90_000,
            refused: [{ reason: PERMANENT_REASON, sample: { ...batch[3], value: 'NaN' } }],
          }),
          atMs: NOW,
          [METADATA_TTL_ATTRIBUTE]: Math.ceil((NOW + 14 * 86_400_000) / 1000),
        },
      },
    ]);
    expect(counted(REPLAY_METRIC.replayedSamples)).toBe(2);
    expect(counted(REPLAY_METRIC.retriedSamples)).toBe(1);
    expect(counted(REPLAY_METRIC.deadLetteredSamples)).toBe(1);
  });

  it('dead-letters a retryable refusal that outlives maxReplays, naming how often it was tried', async () => {
    refuseSome();
    ddb.on(PutCommand).resolves({});
    const { run, counted } = setup(3);
    const [body] = encodeSpilledBatch({ tenantId: 't1', samples: batch, spilledAtMs: 1, replays: 2 });
    expect(await run(body as string)).toEqual({ batchItemFailures: [] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    const payload = JSON.parse(ddb.commandCalls(PutCommand)[0]?.args[0].input.Item?.['payload'] as string);
    expect(payload.refused.map((r: { reason: string }) => r.reason)).toEqual([
      `still refused after 3 replays: ${RETRYABLE_REASON}`,
      PERMANENT_REASON,
    ]);
    expect(counted(REPLAY_METRIC.deadLetteredSamples)).toBe(2);
  });

  it('reports the message back to SQS when the dead-letter write fails (the whole batch is retried; writes are idempotent)', async () => {
    refuseSome();
    sqs.on(SendMessageCommand).resolves({ MessageId: 'again' });
    ddb.on(PutCommand).rejects(new Error('throttled'));
    const { run, counted } = setup();
    const [body] = encodeSpilledBatch({ tenantId: 't1', samples: batch, spilledAtMs: 1 });
    expect(await run(body as string)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(counted(REPLAY_METRIC.deadLetteredSamples)).toBe(0);
  });

  it('reports the message back to SQS when parking the retryable samples fails', async () => {
    refuseSome();
    sqs.on(SendMessageCommand).rejects(new Error('KMS.ThrottlingException'));
    const { run } = setup();
    const [body] = encodeSpilledBatch({ tenantId: 't1', samples: batch, spilledAtMs: 1 });
    expect(await run(body as string)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});
