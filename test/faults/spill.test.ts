import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  decodeSpilledBatch,
  encodeSpilledBatch,
  SPILL_ENCODING,
  SqsSpillQueue,
} from '#adapters/aws/spill-sqs-queue';
import { SpillDirectory } from '#adapters/local/spill-directory';
import { SpillingMetricStore } from '#adapters/spill/spilling-metric-store';
import type { TenantStatusSource } from '#adapters/tenancy/tenant-status';
import { UnavailableError, UnprocessableError } from '#domain/errors';
import type { Sample } from '#domain/metrics';
import { createObservability } from '#http/handler';
import { createReplayHandler } from '../../functions/replay/app';
import { FlakyMetricStore, RecordingMetricStore, replayOutlets } from './support/fault-stores';

const samples = (n: number, t0 = 1_700_000_000_000): Sample[] =>
  Array.from({ length: n }, (_, i) => ({
    metric: 'cpu.busy',
    dimensions: { host: `h${i % 7}`, dc: 'eu' },
    timestampMs: t0 + i * 1000,
    value: i / 3,
  }));

/** Every tenant is active: these tests are about outages, not offboarding (spill-offboarding.test.ts). */
const everyoneActive: TenantStatusSource = {
  getTenant: async (tenantId) => ({
    tenantId,
    name: 't',
    status: 'active',
    createdAt: '2024-01-01T00:00:00Z',
  }),
};

describe('SpillingMetricStore over the local spill directory', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'spill-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('writes through while the store is up and parks nothing', async () => {
    const store = new FlakyMetricStore(new RecordingMetricStore());
    const spill = new SpillDirectory(dir);
    const result = await new SpillingMetricStore(store, spill).write('t1', samples(3));
    expect(result).toEqual({ accepted: 3, rejected: [] });
    expect(await spill.pending()).toEqual([]);
  });

  it('parks and replays NaN, ±Inf, -0 and stale markers as they were written', async () => {
    const recording = new RecordingMetricStore();
    const store = new FlakyMetricStore(recording);
    store.down = true;
    const spill = new SpillDirectory(dir);
    const batch: Sample[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0].map(
      (value, i) => ({ ...samples(1)[0]!, timestampMs: 1_700_000_000_000 + i, value }),
    );
    batch.push({ ...samples(1)[0]!, value: Number.NaN, stale: true });
    await new SpillingMetricStore(store, spill).write('t1', batch);
    store.down = false;
    await spill.drain(store, everyoneActive);
    expect(recording.writes).toEqual([{ tenantId: 't1', samples: batch }]);
  });

  it('parks the batch durably and reports success when the store is unavailable', async () => {
    const store = new FlakyMetricStore(new RecordingMetricStore());
    store.down = true;
    const spill = new SpillDirectory(dir);
    const batch = samples(5);
    const result = await new SpillingMetricStore(store, spill, { now: () => 42 }).write('t1', batch);
    expect(result).toEqual({ accepted: 5, rejected: [] });
    const files = await spill.pending();
    expect(files).toHaveLength(1);
    expect(JSON.parse(readFileSync(join(dir, files[0] as string), 'utf8'))).toEqual({
      v: 1,
      tenantId: 't1',
      samples: batch,
      spilledAtMs: 42,
    });
    // No temporary file is left behind next to the batch.
    expect(readdirSync(dir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('lets the 503 through when the spill cannot be written either', async () => {
    const store = new FlakyMetricStore(new RecordingMetricStore());
    store.down = true;
    const spillDir = join(dir, 'spill');
    const spill = new SpillDirectory(spillDir);
    // The disk under the spill is gone (a file now stands where the directory was): even root fails.
    rmSync(spillDir, { recursive: true });
    writeFileSync(spillDir, '');
    await expect(new SpillingMetricStore(store, spill).write('t1', samples(2))).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });

  it('does not spill client errors: they are not outages', async () => {
    const store = new FlakyMetricStore(new RecordingMetricStore());
    store.failWith = new UnprocessableError('bad', 'x');
    const spill = new SpillDirectory(dir);
    await expect(new SpillingMetricStore(store, spill).write('t1', samples(2))).rejects.toBeInstanceOf(
      UnprocessableError,
    );
    expect(await spill.pending()).toEqual([]);
  });

  it('drains oldest first once the store is back, exactly once, and stops at the next outage', async () => {
    const recording = new RecordingMetricStore();
    const store = new FlakyMetricStore(recording);
    const spill = new SpillDirectory(dir);
    const spilling = new SpillingMetricStore(store, spill);
    store.down = true;
    let now = 1;
    const first = new SpillingMetricStore(store, spill, { now: () => now++ });
    await first.write('t1', samples(3, 1_000));
    await first.write('t2', samples(2, 9_000));
    await first.write('t1', samples(1, 20_000));

    expect(await spill.drain(store, everyoneActive)).toEqual({
      replayed: 0,
      rejectedSamples: 0,
      remaining: 3,
      deadLettered: 0,
      dropped: 0,
    });
    store.down = false;
    store.downAfterWrites = 2; // the outage comes back after two batches
    expect(await spill.drain(store, everyoneActive)).toEqual({
      replayed: 2,
      rejectedSamples: 0,
      remaining: 1,
      deadLettered: 0,
      dropped: 0,
    });
    expect(recording.writes.map((w) => [w.tenantId, w.samples.length])).toEqual([
      ['t1', 3],
      ['t2', 2],
    ]);
    store.down = false;
    store.downAfterWrites = undefined;
    expect(await spill.drain(store, everyoneActive)).toEqual({
      replayed: 1,
      rejectedSamples: 0,
      remaining: 0,
      deadLettered: 0,
      dropped: 0,
    });
    expect(await spill.drain(store, everyoneActive)).toEqual({
      replayed: 0,
      rejectedSamples: 0,
      remaining: 0,
      deadLettered: 0,
      dropped: 0,
    });
    expect(recording.pointCount()).toBe(6);
    await spilling.write('t3', samples(1));
    expect(recording.pointCount()).toBe(7);
  });

  it('moves an unreadable file aside as a dead letter instead of blocking the queue', async () => {
    const recording = new RecordingMetricStore();
    const spill = new SpillDirectory(dir);
    writeFileSync(join(dir, '000000000000001-x.batch.json'), '{"half-written');
    await spill.park({ tenantId: 't1', samples: samples(2), spilledAtMs: 2 });
    expect(await spill.drain(recording, everyoneActive)).toEqual({
      replayed: 1,
      rejectedSamples: 0,
      remaining: 0,
      deadLettered: 1,
      dropped: 0,
    });
    expect(readdirSync(join(dir, 'dead'))).toEqual(['000000000000001-x.batch.json']);
    expect(recording.pointCount()).toBe(2);
  });
});

describe('SqsSpillQueue', () => {
  const sqs = mockClient(SQSClient);
  afterEach(() => sqs.reset());

  it('sends the batch as one gzip+base64 JSON message with its encoding attribute', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm1' });
    const batch = { tenantId: 't1', samples: samples(3), spilledAtMs: 7 };
    await new SqsSpillQueue(new SQSClient({}), 'https://sqs.local/q').park(batch);
    const calls = sqs.commandCalls(SendMessageCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]!.args[0].input;
    expect(input.QueueUrl).toBe('https://sqs.local/q');
    expect(input.MessageAttributes).toEqual({
      'spill-encoding': { DataType: 'String', StringValue: SPILL_ENCODING },
    });
    expect(decodeSpilledBatch(input.MessageBody as string)).toEqual(batch);
  });

  it('carries NaN, ±Inf, -0 and stale markers through a message (JSON alone would write null and 0)', () => {
    const special: Sample[] = [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      Number.MIN_VALUE,
    ].map((value, i) => ({ ...samples(1)[0]!, timestampMs: 1_700_000_000_000 + i, value }));
    special.push({ ...samples(1)[0]!, value: Number.NaN, stale: true });
    const batch = { tenantId: 't1', samples: special, spilledAtMs: 7 };
    const [body] = encodeSpilledBatch(batch);
    expect(decodeSpilledBatch(body!)).toEqual(batch);
  });

  it('splits a batch larger than the message limit into parts that together hold every sample', () => {
    const batch = { tenantId: 't1', samples: samples(5000), spilledAtMs: 7 };
    const bodies = encodeSpilledBatch(batch, 16 * 1024);
    expect(bodies.length).toBeGreaterThan(1);
    for (const body of bodies) expect(body.length).toBeLessThanOrEqual(16 * 1024);
    expect(bodies.flatMap((b) => decodeSpilledBatch(b).samples)).toEqual(batch.samples);
  });

  it('fails the park (so the 503 goes through) when SQS refuses the message', async () => {
    sqs.on(SendMessageCommand).rejects(Object.assign(new Error('down'), { name: 'ServiceUnavailable' }));
    const store = new FlakyMetricStore(new RecordingMetricStore());
    store.down = true;
    const spilling = new SpillingMetricStore(
      store,
      new SqsSpillQueue(new SQSClient({}), 'https://sqs.local/q'),
    );
    await expect(spilling.write('t1', samples(2))).rejects.toBeInstanceOf(UnavailableError);
  });
});

describe('replay function', () => {
  const context = { awsRequestId: 'r1', functionName: 'replay' } as Context;
  const message = (id: string, body: string) =>
    ({ messageId: id, body, receiptHandle: id, attributes: {}, messageAttributes: {} }) as never;

  it('writes each parked batch and reports only the failed messages back to SQS', async () => {
    const recording = new RecordingMetricStore();
    const store = new FlakyMetricStore(recording);
    store.downAfterWrites = 1;
    const handler = createReplayHandler({
      metrics: store,
      tenants: everyoneActive,
      observability: createObservability('replay'),
      ...replayOutlets(),
    });
    const [ok] = encodeSpilledBatch({ tenantId: 't1', samples: samples(4), spilledAtMs: 1 });
    const [later] = encodeSpilledBatch({ tenantId: 't2', samples: samples(2), spilledAtMs: 1 });
    const event: SQSEvent = {
      Records: [message('a', ok!), message('b', later!), message('c', 'not-a-batch')],
    };
    expect(await handler(event, context)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'b' }, { itemIdentifier: 'c' }],
    });
    expect(recording.pointCount()).toBe(4);
    // Redelivery of the same messages once the store is back stores nothing twice.
    store.down = false;
    store.downAfterWrites = undefined;
    expect(await handler({ Records: [message('a', ok!), message('b', later!)] }, context)).toEqual({
      batchItemFailures: [],
    });
    expect(recording.pointCount()).toBe(6);
  });
});
