import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { CreateTableCommand } from '@aws-sdk/client-timestream-write';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqsSpillQueue } from '#adapters/aws/spill-sqs-queue';
import { TimestreamMetricStore } from '#adapters/aws/timestream-metric-store';
import { SpillingMetricStore } from '#adapters/spill/spilling-metric-store';
import { createObservability } from '#http/handler';
import { createReplayHandler } from '../../functions/replay/app';
import { replayOutlets } from './support/fault-stores';
import { inProcessPlatform } from './support/in-process';
import { type ExpectedPoint, nativeBatch } from './support/payloads';
import { DIMENSION_LIMIT_REASON, SimulatedTimestream } from './support/simulated-timestream';

const QUEUE_URL = 'https://sqs.us-west-2.amazonaws.com/123456789012/spill';

/**
 * The fault matrix against the Timestream adapter: the ingest handler, the spilling decorator and the
 * replay function run in-process; Timestream and SQS are aws-sdk-client-mock fakes with real upsert
 * tables (one per tenant, created by the adapter on the tenant's first write) behind them. After
 * recovery every acknowledged datapoint is in the tenant's table exactly once.
 */
describe('Timestream faults', () => {
  let timestream: SimulatedTimestream;
  const sqs = mockClient(SQSClient);
  let sqsDown = false;

  beforeEach(() => {
    timestream = new SimulatedTimestream();
    sqsDown = false;
    sqs.on(SendMessageCommand).callsFake(() => {
      if (sqsDown) throw Object.assign(new Error('sqs down'), { name: 'ServiceUnavailable' });
      return { MessageId: String(sqs.commandCalls(SendMessageCommand).length) };
    });
  });
  afterEach(() => {
    timestream.mock.restore();
    sqs.reset();
  });

  function setup() {
    let version = 1;
    const store = new TimestreamMetricStore({
      writeClient: timestream.client(),
      queryClient: new TimestreamQueryClient({ region: 'us-west-2' }),
      databaseName: 'db',
      magneticRetentionDays: 400,
      sleep: async () => {},
      // Record versions grow with time, as Date.now does: a replay upserts over a half-written batch.
      version: () => version++,
    });
    const spilling = new SpillingMetricStore(
      store,
      new SqsSpillQueue(new SQSClient({ region: 'us-west-2' }), QUEUE_URL),
    );
    const platform = inProcessPlatform({ ingest: spilling, query: store });
    const replay = createReplayHandler({
      metrics: store,
      tenants: platform.tenants,
      observability: createObservability('replay'),
      ...replayOutlets(),
    });
    const drainQueue = async () => {
      const messages = sqs.commandCalls(SendMessageCommand).map((call, i) => ({
        messageId: `m${i}`,
        body: call.args[0].input.MessageBody as string,
      }));
      const event = {
        Records: messages.map((m) => ({
          ...m,
          receiptHandle: m.messageId,
          attributes: {},
          messageAttributes: {},
        })),
      } as unknown as SQSEvent;
      return replay(event, { awsRequestId: 'replay' } as Context);
    };
    return { platform, drainQueue };
  }

  const expectExactlyOnce = (tenantId: string, acknowledged: readonly ExpectedPoint[]) => {
    const keys = timestream.keysOf(tenantId);
    expect(keys).toHaveLength(acknowledged.length);
    for (const p of acknowledged) {
      const key = keys.find(
        (k) => k.includes(`instance=${p.instance},`) && k.endsWith(`|${p.metric}|${p.timestampMs}`),
      );
      expect(key, `${p.metric}@${p.timestampMs} of ${p.instance}`).toBeDefined();
      expect(JSON.parse(timestream.recordsOf(tenantId).get(key as string)!.value)).toEqual([
        { Name: 'value', Value: String(p.value), Type: 'DOUBLE' },
      ]);
    }
  };

  const nowS = () => Math.floor(Date.now() / 1000);

  it('rides out a short ThrottlingException burst with retries: 202 and nothing spilled', async () => {
    const { platform } = setup();
    const { tenantId, ingestKey } = await platform.onboard();
    const batch = nativeBatch(nowS(), { instances: 3, dataPoints: 5, values: 10 });
    timestream.faults.push({ kind: 'throttle' }, { kind: 'throttle' }, { kind: 'throttle' });
    const result = await platform.ingest(ingestKey, batch.body);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ accepted: 150, rejected: [] });
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expectExactlyOnce(tenantId, batch.points);
  });

  it.each([
    ['ThrottlingException', 'throttle'],
    ['5xx', 'server-error'],
  ] as const)(
    'spills a batch half-written when a long %s burst starts, and replays it exactly once',
    async (_, kind) => {
      const { platform, drainQueue } = setup();
      const { tenantId, ingestKey } = await platform.onboard();
      // 250 samples = 3 WriteRecords calls; the first lands, then the burst outlasts the 5 attempts.
      const batch = nativeBatch(nowS(), { instances: 5, dataPoints: 5, values: 10 });
      timestream.faults.push({ kind: 'reject', indices: [] }, ...Array(5).fill({ kind }));
      const result = await platform.ingest(ingestKey, batch.body);
      expect(result.statusCode).toBe(202);
      expect(JSON.parse(result.body)).toEqual({ accepted: 250, rejected: [] });
      expect(timestream.keysOf(tenantId)).toHaveLength(100);
      expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);

      expect(await drainQueue()).toEqual({ batchItemFailures: [] });
      expectExactlyOnce(tenantId, batch.points);
      // SQS delivers at least once: a second delivery changes nothing.
      expect(await drainQueue()).toEqual({ batchItemFailures: [] });
      expectExactlyOnce(tenantId, batch.points);
    },
  );

  it('keeps spilled batches on the queue while the outage lasts, then drains them all', async () => {
    const { platform, drainQueue } = setup();
    const { tenantId, ingestKey } = await platform.onboard();
    timestream.outage = true;
    const acknowledged: ExpectedPoint[] = [];
    for (let seed = 0; seed < 4; seed++) {
      const batch = nativeBatch(nowS(), { instances: 2, dataPoints: 3, values: 5 }, seed);
      const result = await platform.ingest(ingestKey, batch.body);
      expect(result.statusCode).toBe(202);
      acknowledged.push(...batch.points);
    }
    const failures = await drainQueue();
    expect(failures.batchItemFailures).toHaveLength(4);
    timestream.outage = false;
    expect(await drainQueue()).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(tenantId, acknowledged);
  });

  it('answers 503 when the spill queue is down too, and the retried batch is stored once', async () => {
    const { platform } = setup();
    const { tenantId, ingestKey } = await platform.onboard();
    const batch = nativeBatch(nowS(), { instances: 4, dataPoints: 5, values: 10 });
    timestream.faults.push({ kind: 'reject', indices: [] }, ...Array(5).fill({ kind: 'server-error' }));
    sqsDown = true;
    const refused = await platform.ingest(ingestKey, batch.body);
    expect(refused.statusCode).toBe(503);
    expect(JSON.parse(refused.body).error.code).toBe('unavailable');
    expect(refused.headers?.['retry-after'] ?? refused.headers?.['Retry-After']).toBeDefined();
    // The collector retries the same payload once the store is back.
    const retried = await platform.ingest(ingestKey, batch.body);
    expect(retried.statusCode).toBe(202);
    expectExactlyOnce(tenantId, batch.points);
  });

  it('reports records Timestream rejects (partial RejectedRecords) and stores the rest', async () => {
    const { platform } = setup();
    const { tenantId, ingestKey } = await platform.onboard();
    const batch = nativeBatch(nowS(), { instances: 3, dataPoints: 5, values: 10 });
    timestream.faults.push({ kind: 'reject', indices: [] }, { kind: 'reject', indices: [3, 17] });
    const result = await platform.ingest(ingestKey, batch.body);
    expect(result.statusCode).toBe(202);
    const body = JSON.parse(result.body);
    expect(body.accepted).toBe(148);
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([103, 117]);
    expect(body.rejected[0].reason).toMatch(/ingestion window/);
    const acknowledged = batch.points.filter((_, i) => i !== 103 && i !== 117);
    expectExactlyOnce(tenantId, acknowledged);
  });
  it("creates the tenant's table on its first write through throttled CreateTable calls (1 CRUD call/s): 202, stored once", async () => {
    const { platform } = setup();
    const { tenantId, ingestKey } = await platform.onboard();
    expect(timestream.tables.size).toBe(0);
    timestream.createFaults.push({ kind: 'throttle' }, { kind: 'throttle' });
    const batch = nativeBatch(nowS(), { instances: 2, dataPoints: 5, values: 10 });
    const result = await platform.ingest(ingestKey, batch.body);
    expect(result.statusCode).toBe(202);
    expect(JSON.parse(result.body)).toEqual({ accepted: 100, rejected: [] });
    expect(timestream.mock.commandCalls(CreateTableCommand)).toHaveLength(3);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(0);
    expectExactlyOnce(tenantId, batch.points);
  });

  it('spills the first write when CreateTable stays throttled, and the replay creates the table and lands it once', async () => {
    const { platform, drainQueue } = setup();
    const { tenantId, ingestKey } = await platform.onboard();
    timestream.createFaults.push(...Array(6).fill({ kind: 'throttle' }));
    const batch = nativeBatch(nowS(), { instances: 1, dataPoints: 2, values: 3 });
    const result = await platform.ingest(ingestKey, batch.body);
    expect(result.statusCode).toBe(202);
    expect(sqs.commandCalls(SendMessageCommand)).toHaveLength(1);
    expect(timestream.tables.size).toBe(0);
    expect(await drainQueue()).toEqual({ batchItemFailures: [] });
    expectExactlyOnce(tenantId, batch.points);
  });

  it("refuses, per point and with the reason, what would push a tenant's own table past 128 dimension names; its neighbour writes on", async () => {
    const { platform } = setup();
    const noisy = await platform.onboard();
    const quiet = await platform.onboard();
    // 9 new resource id names per request on top of hostname, datasource and instance: 13 requests
    // make 120 names; the 14th would bring the 121st-129th into the noisy tenant's table.
    const payload = (request: number) => ({
      resourceName: 'host-1',
      resourceIds: {
        'system.hostname': 'host-1',
        ...Object.fromEntries(Array.from({ length: 9 }, (_, j) => [`id_${request}_${j}`, 'v'])),
      },
      dataSource: 'Labels',
      instances: [
        { instanceName: 'i', dataPoints: [{ dataPointName: 'dp', values: { [nowS()]: request } }] },
      ],
    });
    for (let request = 0; request < 13; request++) {
      const result = await platform.ingest(noisy.ingestKey, payload(request));
      expect(JSON.parse(result.body), `request ${request}: ${result.body}`).toEqual({
        accepted: 1,
        rejected: [],
      });
    }
    const refused = await platform.ingest(noisy.ingestKey, payload(13));
    expect(refused.statusCode).toBe(202);
    const body = JSON.parse(refused.body);
    expect(body.accepted).toBe(0);
    expect(body.rejected).toHaveLength(1);
    expect(body.rejected[0].index).toBe(0);
    expect(body.rejected[0].reason).toMatch(/^err-tenant-timestream-max-dimension-names: this tenant's/);
    expect(body.rejected[0].reason).toContain(DIMENSION_LIMIT_REASON);
    // The very point refused to the noisy tenant lands in its neighbour's own table.
    const theirs = await platform.ingest(quiet.ingestKey, payload(13));
    expect(JSON.parse(theirs.body)).toEqual({ accepted: 1, rejected: [] });
    expect(timestream.keysOf(noisy.tenantId)).toHaveLength(13);
    expect(timestream.keysOf(quiet.tenantId)).toHaveLength(1);
  });
});
