import { gunzipSync, gzipSync } from 'node:zlib';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
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
