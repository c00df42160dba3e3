/**
 * Failover on AWS moves the failed region's SQS spill (issue #17 item 3): read from the surviving
 * region, each moved tenant's batch parked on the new home's spill queue (whose replay re-ingests it)
 * and deleted from the failed one; everything else released for the failed region's own replay. The
 * SQS client is mocked: these are the exact requests.
 */
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  encodeSpilledBatch,
  queueRegionOf,
  SPILL_ENCODING,
  SPILL_ENCODING_ATTRIBUTE,
  SqsSpillQueue,
  SqsSpillSource,
} from '#adapters/aws/spill-sqs-queue';
import type { SpilledBatch } from '#ports/spill-queue';

const FAILED = 'https://sqs.eu-west-1.amazonaws.com/123456789012/ObsPlatform-eu-west-1-IngestSpillQueue';
const NEW_HOME = 'https://sqs.us-east-1.amazonaws.com/123456789012/ObsPlatform-us-east-1-IngestSpillQueue';

const sqs = mockClient(SQSClient);
afterEach(() => sqs.reset());

const batch = (tenantId: string, value: number): SpilledBatch => ({
  tenantId,
  samples: [{ metric: 'cpu', dimensions: { host: 'web-1' }, timestampMs: 1_780_000_000_000, value }],
  spilledAtMs: 1_780_000_001_000,
});
const message = (receipt: string, body: string) => ({
  MessageId: `id-${receipt}`,
  ReceiptHandle: receipt,
  Body: body,
});

/** Each request as [command, input], in order. */
const requests = () => sqs.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);

const source = () => new SqsSpillSource(new SQSClient({ region: 'eu-west-1' }), FAILED);
const newHome = () => new SqsSpillQueue(new SQSClient({ region: 'us-east-1' }), NEW_HOME);
const receive = {
  QueueUrl: FAILED,
  MaxNumberOfMessages: 10,
  VisibilityTimeout: 300,
  WaitTimeSeconds: 2,
  MessageAttributeNames: [SPILL_ENCODING_ATTRIBUTE],
};
const send = (body: string) => ({
  QueueUrl: NEW_HOME,
  MessageBody: body,
  MessageAttributes: { [SPILL_ENCODING_ATTRIBUTE]: { DataType: 'String', StringValue: SPILL_ENCODING } },
});

describe('the failed region’s SQS spill on failover', () => {
  it('parks the moved tenants’ batches on the new home, deletes them there, and releases the rest', async () => {
    const [a1] = encodeSpilledBatch(batch('tenant-a', 1));
    const [b1] = encodeSpilledBatch(batch('tenant-b', 2));
    const [a2] = encodeSpilledBatch(batch('tenant-a', 3));
    const [c1] = encodeSpilledBatch(batch('tenant-c', 4));
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('r1', a1!), message('r2', b1!), message('r3', 'not a batch')] })
      .resolvesOnce({ Messages: [message('r4', a2!), message('r5', c1!)] })
      .resolves({});
    sqs.on(SendMessageCommand).resolves({ MessageId: 'new' });
    sqs.on(DeleteMessageCommand).resolves({});
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    const moved = await source().moveTenants(['tenant-a', 'tenant-c', 'tenant-d'], newHome());

    expect(moved).toEqual(
      new Map([
        ['tenant-a', 2],
        ['tenant-c', 1],
        ['tenant-d', 0],
      ]),
    );
    expect(requests()).toEqual([
      ['ReceiveMessageCommand', receive],
      ['SendMessageCommand', send(a1!)],
      ['DeleteMessageCommand', { QueueUrl: FAILED, ReceiptHandle: 'r1' }],
      ['ReceiveMessageCommand', receive],
      ['SendMessageCommand', send(a2!)],
      ['DeleteMessageCommand', { QueueUrl: FAILED, ReceiptHandle: 'r4' }],
      ['SendMessageCommand', send(c1!)],
      ['DeleteMessageCommand', { QueueUrl: FAILED, ReceiptHandle: 'r5' }],
      ['ReceiveMessageCommand', receive],
      [
        'ChangeMessageVisibilityBatchCommand',
        {
          QueueUrl: FAILED,
          Entries: [
            { Id: '0', ReceiptHandle: 'r2', VisibilityTimeout: 0 },
            { Id: '1', ReceiptHandle: 'r3', VisibilityTimeout: 0 },
          ],
        },
      ],
    ]);
  });

  it('deletes nothing it could not park, and still releases what it hid', async () => {
    const [a1] = encodeSpilledBatch(batch('tenant-a', 1));
    const [b1] = encodeSpilledBatch(batch('tenant-b', 2));
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [message('r1', b1!), message('r2', a1!)] });
    sqs.on(SendMessageCommand).rejects(new Error('us-east-1 SQS unavailable'));
    sqs.on(ChangeMessageVisibilityBatchCommand).resolves({ Successful: [], Failed: [] });

    await expect(source().moveTenants(['tenant-a'], newHome())).rejects.toThrow('us-east-1 SQS unavailable');
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
    // The batch that failed to move stays hidden until SQS's visibility timeout ends (then the next
    // failover run, or the region's replay, sees it); the other tenant's is released at once.
    expect(sqs.commandCalls(ChangeMessageVisibilityBatchCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: FAILED, Entries: [{ Id: '0', ReceiptHandle: 'r1', VisibilityTimeout: 0 }] },
    ]);
  });

  it('reads the queue’s region from its URL', () => {
    expect(queueRegionOf(FAILED)).toBe('eu-west-1');
    expect(() => queueRegionOf('https://example.com/q')).toThrow(/not an SQS queue URL/);
  });
});
