import { gunzipSync, gzipSync } from 'node:zlib';
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Sample } from '#domain/metrics';
import { sampleJsonReplacer, sampleJsonReviver } from '#domain/special-values';
import type { SpilledBatch, SpillQueue } from '#ports/spill-queue';

/** SQS's classic message size limit; kept as the bound so any queue configuration accepts a message. */
export const MAX_SPILL_MESSAGE_BYTES = 256 * 1024;
/** Marks the body encoding so a later format can live beside this one. */
export const SPILL_ENCODING = 'gzip+base64+json/v1';
export const SPILL_ENCODING_ATTRIBUTE = 'spill-encoding';

/**
 * The AWS spill: each parked batch becomes one or more SQS messages (gzipped JSON, base64, split in
 * halves until each fits the message limit). `park` resolves once SQS has accepted every part; the
 * replay Lambda (functions/replay) drains the queue and its DLQ keeps what cannot be replayed.
 */
export class SqsSpillQueue implements SpillQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
    private readonly maxMessageBytes = MAX_SPILL_MESSAGE_BYTES,
  ) {}

  async park(batch: SpilledBatch): Promise<void> {
    const bodies = encodeSpilledBatch(batch, this.maxMessageBytes);
    await Promise.all(
      bodies.map((body) =>
        this.client.send(
          new SendMessageCommand({
            QueueUrl: this.queueUrl,
            MessageBody: body,
            MessageAttributes: {
              [SPILL_ENCODING_ATTRIBUTE]: { DataType: 'String', StringValue: SPILL_ENCODING },
            },
          }),
        ),
      ),
    );
  }
}

/** How long a failover's scan hides the messages it read (released at its end, or by SQS after this). */
export const FAILOVER_SCAN_HIDE_SECONDS = 300;
/**
 * Long polling: SQS then asks all its servers, so an empty answer means no visible message is left
 * (a short poll samples some servers and can answer empty while messages wait).
 */
const FAILOVER_SCAN_WAIT_SECONDS = 2;

/**
 * Failover's read of a failed region's spill queue (functions/admin/failover.ts SpillSource), from
 * the surviving region with a client of the failed queue's region: one pass receives every visible
 * message; a batch of a moved tenant is parked on the new home's spill (whose replay re-ingests it)
 * and then deleted here; every other message (other tenants', unreadable ones) stays hidden for the
 * rest of the pass, so the pass ends when a receive comes back empty, and is released at once at the
 * end (visibility 0) for the failed region's own replay when it recovers. One pass for all tenants:
 * each receive counts towards the queue's maxReceiveCount, so scanning once per tenant would push
 * others' batches to the dead-letter queue.
 */
export class SqsSpillSource {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async moveTenants(tenantIds: readonly string[], to: SpillQueue): Promise<Map<string, number>> {
    const wanted = new Set(tenantIds);
    const moved = new Map(tenantIds.map((t) => [t, 0]));
    const left: Message[] = [];
    try {
      for (;;) {
        const { Messages = [] } = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: this.queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: FAILOVER_SCAN_HIDE_SECONDS,
            WaitTimeSeconds: FAILOVER_SCAN_WAIT_SECONDS,
            MessageAttributeNames: [SPILL_ENCODING_ATTRIBUTE],
          }),
        );
        if (Messages.length === 0) break;
        for (const message of Messages) {
          const batch = decodeOrUndefined(message.Body);
          if (!batch || !wanted.has(batch.tenantId)) {
            left.push(message);
            continue;
          }
          await to.park(batch);
          await this.client.send(
            new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: message.ReceiptHandle }),
          );
          moved.set(batch.tenantId, (moved.get(batch.tenantId) ?? 0) + 1);
        }
      }
    } finally {
      for (let i = 0; i < left.length; i += 10)
        await this.client.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: this.queueUrl,
            Entries: left.slice(i, i + 10).map((m, j) => ({
              Id: String(i + j),
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            })),
          }),
        );
    }
    return moved;
  }
}

function decodeOrUndefined(body: string | undefined): SpilledBatch | undefined {
  try {
    return body === undefined ? undefined : decodeSpilledBatch(body);
  } catch {
    return undefined;
  }
}

/** The region of an SQS queue URL (`https://sqs.<region>.amazonaws.com/<account>/<name>`). */
export function queueRegionOf(queueUrl: string): string {
  const match = /^https:\/\/sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\//.exec(queueUrl);
  if (!match?.[1])
    throw new Error(`${queueUrl} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/…)`);
  return match[1];
}

/** Message bodies for a batch, each at most `maxBytes`. */
export function encodeSpilledBatch(batch: SpilledBatch, maxBytes = MAX_SPILL_MESSAGE_BYTES): string[] {
  const body = gzipSync(JSON.stringify({ v: 1, ...batch }, sampleJsonReplacer)).toString('base64');
  if (body.length <= maxBytes) return [body];
  if (batch.samples.length <= 1) throw new Error('one sample does not fit a spill message');
  const half = Math.ceil(batch.samples.length / 2);
  return [
    ...encodeSpilledBatch({ ...batch, samples: batch.samples.slice(0, half) }, maxBytes),
    ...encodeSpilledBatch({ ...batch, samples: batch.samples.slice(half) }, maxBytes),
  ];
}

export function decodeSpilledBatch(body: string): SpilledBatch {
  const raw = JSON.parse(gunzipSync(Buffer.from(body, 'base64')).toString('utf8'), sampleJsonReviver) as {
    v?: unknown;
    tenantId?: unknown;
    samples?: unknown;
    spilledAtMs?: unknown;
    replays?: unknown;
  };
  if (raw.v !== 1 || typeof raw.tenantId !== 'string' || !Array.isArray(raw.samples))
    throw new Error('not a spilled batch');
  return {
    tenantId: raw.tenantId,
    samples: raw.samples as Sample[],
    spilledAtMs: Number(raw.spilledAtMs),
    ...(typeof raw.replays === 'number' ? { replays: raw.replays } : {}),
  };
}
