/**
 * Poison alert events (issue #22 item 4): an event the bus refuses for what it is (malformed, too
 * large) is dead-lettered and leaves the outbox, and the drain goes on with every later event of every
 * tenant; events refused for now stay. Locally on the in-process bus, and on EventBridge (client mock,
 * exact PutEvents requests) with dead letters in DynamoDB Local; the dead-letter store's contract on
 * both adapters.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEAD_LETTER_PK_PREFIX, DynamoDbDeadLetters } from '#adapters/aws/dynamodb-dead-letters';
import { METADATA_TTL_ATTRIBUTE } from '#adapters/aws/dynamodb-notification-ledger';
import { EventBridgeAlertBus } from '#adapters/aws/eventbridge-alert-bus';
import { LocalEventBus } from '#adapters/local/event-bus';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteDeadLetters } from '#adapters/local/sqlite-dead-letters';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import {
  ALERT_EVENT_SOURCE,
  type AlertBusEvent,
  type AlertStateChangedDetail,
} from '#domain/alerting/events';
import type { DeadLetterStore } from '#ports/dead-letter-store';
import type { AlertBus } from '#ports/event-bus';
import { AlertEngine } from '../../functions/alert-evaluator/engine';
import { deadLetterStoreContract } from '../adapters/dead-letter-store.contract';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { stateEvent } from './alert-store.contract';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const tempFile = (name: string) => join(mkdtempSync(join(tmpdir(), 'poison-')), name);

deadLetterStoreContract('SQLite (local)', async () => new SqliteDeadLetters(tempFile('dl.sqlite')));
deadLetterStoreContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbDeadLetters(ddb.documentClient, await ddb.createTable()),
);

let store: SqliteAlertStore;
let metrics: SqliteMetricStore;
let now: number;
let deadLettered: number[];
let pendingReports: number[];
let logged: string[];

function engine(bus: AlertBus, deadLetters?: DeadLetterStore) {
  return new AlertEngine({
    store,
    metrics,
    bus,
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(now) },
    ...(deadLetters ? { deadLetters } : {}),
    log: (message) => void logged.push(message),
    onEventsPending: (count) => void pendingReports.push(count),
    onEventsDeadLettered: (count) => void deadLettered.push(count),
  });
}

/** A state-change event whose detail is over EventBridge's 256 KiB entry limit. */
const oversized = (tenantId: string, alertId: string): AlertBusEvent => {
  const event = stateEvent(tenantId, alertId);
  return {
    ...event,
    detail: { ...event.detail, dimensions: { host: 'h'.repeat(270_000) } },
  } as AlertBusEvent;
};

/** 3 tenants × 8 events, oldest first, with a poison event of t2 second in the outbox. */
async function fillOutbox(): Promise<AlertBusEvent[]> {
  const events: AlertBusEvent[] = [];
  for (let i = 0; i < 24; i++)
    events.push(
      i === 1 ? oversized('t2', 'poison') : stateEvent(`t${(i % 3) + 1}`, `a${String(i).padStart(2, '0')}`),
    );
  for (const [i, event] of events.entries()) await store.enqueueEvents([event], now - 100_000 + i);
  return events;
}

beforeEach(() => {
  store = new SqliteAlertStore(tempFile('alerts.sqlite'));
  metrics = new SqliteMetricStore(tempFile('metrics.sqlite'));
  now = Date.UTC(2026, 5, 1, 12, 0, 5);
  deadLettered = [];
  pendingReports = [];
  logged = [];
});
afterEach(() => {
  store.close();
  metrics.close();
});

describe('a poison event on the local bus', () => {
  it('is dead-lettered and does not hold the later events of any tenant', async () => {
    const bus = new LocalEventBus();
    const received: AlertStateChangedDetail[] = [];
    bus.addRule({
      name: 'all',
      pattern: { source: [ALERT_EVENT_SOURCE] },
      target: async (e) => void received.push(e.detail as AlertStateChangedDetail),
    });
    const deadLetters = new SqliteDeadLetters(tempFile('dl.sqlite'));
    const events = await fillOutbox();

    expect((await engine(bus, deadLetters).tick()).outboxPublished).toBe(23);
    await bus.idle();
    const good = events.filter((e) => e.detail.alertId !== 'poison');
    expect(received.map((d) => d.alertId)).toEqual(good.map((e) => e.detail.alertId));
    expect(new Set(received.map((d) => d.tenantId))).toEqual(new Set(['t1', 't2', 't3']));
    expect(await store.pendingEvents(100)).toEqual([]);
    const [letter, ...more] = await deadLetters.list('t2', 10);
    expect(more).toEqual([]);
    expect(letter).toEqual({
      source: 'alert-event',
      tenantId: 't2',
      reason: expect.stringMatching(/^EntryTooLarge: 270\d{3} bytes/),
      payload: events[1],
      atMs: now,
    });
    expect(deadLettered).toEqual([1]);
    expect(pendingReports).toEqual([0]);
    expect(logged).toContain('alert bus refused events for good; dead-lettered');
    deadLetters.close();
  });

  it('stays in the outbox (never lost) when no dead-letter store is set, and still does not hold the others', async () => {
    const bus = new LocalEventBus();
    await fillOutbox();
    expect((await engine(bus).tick()).outboxPublished).toBe(23);
    expect((await store.pendingEvents(100)).map((p) => p.event.detail.alertId)).toEqual(['poison']);
    expect(pendingReports).toEqual([1]);
    expect(deadLettered).toEqual([]);
  });

  it('stays in the outbox when the dead-letter store fails, and is dead-lettered once it works', async () => {
    const bus = new LocalEventBus();
    const working = new SqliteDeadLetters(tempFile('dl.sqlite'));
    let failing = true;
    const flaky: DeadLetterStore = {
      dataName: 'dead-letters',
      put: async (letters) => {
        if (failing) throw new Error('dead-letter table unavailable');
        await working.put(letters);
      },
      list: (tenantId, limit) => working.list(tenantId, limit),
      exportTenant: (tenantId) => working.exportTenant(tenantId),
      deleteTenant: (tenantId) => working.deleteTenant(tenantId),
    };
    await fillOutbox();
    const e = engine(bus, flaky);
    expect((await e.tick()).outboxPublished).toBe(23);
    expect((await store.pendingEvents(100)).map((p) => p.event.detail.alertId)).toEqual(['poison']);
    expect(logged).toContain('could not dead-letter refused alert events; kept in the outbox');
    failing = false;
    now += 60_000;
    expect((await e.tick()).outboxPublished).toBe(0);
    expect(await store.pendingEvents(100)).toEqual([]);
    expect((await working.list('t2', 10)).map((l) => (l.payload as AlertBusEvent).detail.alertId)).toEqual([
      'poison',
    ]);
    expect(deadLettered).toEqual([1]);
    working.close();
  });
});

describe('a poison event on EventBridge', () => {
  const eventBridge = mockClient(EventBridgeClient);
  afterEach(() => eventBridge.reset());

  const entryOf = (e: AlertBusEvent): PutEventsRequestEntry => ({
    EventBusName: 'alerts',
    Source: ALERT_EVENT_SOURCE,
    DetailType: e.detailType,
    Detail: JSON.stringify(e.detail),
    Resources: [`tenant/${e.detail.tenantId}`],
  });

  it('MalformedDetail and InvalidArgument are dead-lettered in DynamoDB; throttled entries are retried and kept; later batches go on', async () => {
    const table = await ddb.createTable();
    const deadLetters = new DynamoDbDeadLetters(ddb.documentClient, table);
    const events = Array.from({ length: 24 }, (_, i) =>
      stateEvent(`t${(i % 3) + 1}`, `a${String(i).padStart(2, '0')}`),
    );
    for (const [i, event] of events.entries()) await store.enqueueEvents([event], now - 100_000 + i);
    // EventBridge refuses a00 as malformed and a11 as invalid every time, and throttles a05 every time.
    const refusal = (alertId: string) =>
      alertId === 'a00'
        ? { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
        : alertId === 'a11'
          ? { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid.' }
          : alertId === 'a05'
            ? { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
            : undefined;
    eventBridge.on(PutEventsCommand).callsFake(({ Entries }: { Entries: PutEventsRequestEntry[] }) => {
      const results = Entries.map(
        (entry, i) => refusal(JSON.parse(entry.Detail as string).alertId) ?? { EventId: `e${i}` },
      );
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts', {
      maxAttempts: 2,
      retryDelayMs: () => 0,
    });

    expect((await engine(bus, deadLetters).tick()).outboxPublished).toBe(21);

    const byId = (id: string) => events.find((e) => e.detail.alertId === id) as AlertBusEvent;
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input)).toEqual([
      { Entries: events.slice(0, 10).map(entryOf) },
      { Entries: [entryOf(byId('a05'))] }, // only the throttled entry is retried
      { Entries: events.slice(10, 20).map(entryOf) },
      { Entries: events.slice(20).map(entryOf) },
    ]);
    expect((await store.pendingEvents(100)).map((p) => p.event.detail.alertId)).toEqual(['a05']);
    expect(pendingReports).toEqual([1]);
    expect(deadLettered).toEqual([1, 1]);
    expect(await deadLetters.list('t1', 10)).toEqual([
      {
        source: 'alert-event',
        tenantId: 't1',
        reason: 'MalformedDetail: Detail is malformed.',
        payload: byId('a00'),
        atMs: now,
      },
    ]);
    expect(await deadLetters.list('t3', 10)).toEqual([
      {
        source: 'alert-event',
        tenantId: 't3',
        reason: 'InvalidArgument: Parameter Detail is not valid.',
        payload: byId('a11'),
        atMs: now,
      },
    ]);
    // Kept 14 days (TTL), in the tenant's own partition.
    const stored = await ddb.documentClient.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `${DEAD_LETTER_PK_PREFIX}t1` },
      }),
    );
    const item = stored.Items?.[0] as Record<string, unknown>;
    expect(item[METADATA_TTL_ATTRIBUTE]).toBe(Math.ceil((now + 14 * 86_400_000) / 1000));
    const { Item } = await ddb.documentClient.send(
      new GetCommand({ TableName: table, Key: { pk: item['pk'], sk: item['sk'] } }),
    );
    expect(Item?.['reason']).toBe('MalformedDetail: Detail is malformed.');
  });
});
