/**
 * The AWS side of alerting with aws-sdk-client-mock: the exact PutEvents, Publish and SendMessage
 * requests, and the same engine and notifier code the local platform runs, on the AWS adapters.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeAlertBus } from '#adapters/aws/eventbridge-alert-bus';
import { SnsNotifier, SqsDeadLetters } from '#adapters/aws/sns-notifier';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { Recipient } from '#domain/alerting/escalation';
import {
  ALERT_EVENT_SOURCE,
  type AlertBusEvent,
  type BusEnvelope,
  DETAIL_TYPE,
  notificationRequestedDetailSchema,
} from '#domain/alerting/events';
import type { Severity } from '#domain/alerting/thresholds';
import type { Delivery, Notifier } from '#ports/notifier';
import { AlertEngine } from '../../functions/alert-evaluator/engine';
import { createNotificationProcessor } from '../../functions/notifier/app';
import { rule } from './alert-store.contract';

const eventBridge = mockClient(EventBridgeClient);
const sns = mockClient(SNSClient);
const sqs = mockClient(SQSClient);
beforeEach(() => {
  eventBridge.reset();
  sns.reset();
  sqs.reset();
});
afterEach(() => {
  eventBridge.reset();
  sns.reset();
  sqs.reset();
});

const stateEvent = (i: number): AlertBusEvent => ({
  detailType: DETAIL_TYPE.stateChanged,
  detail: {
    version: 1,
    tenantId: 't1',
    alertId: `a${i}`,
    ruleId: 'r1',
    ruleName: 'cpu',
    severity: 'critical',
    metric: 'cpu',
    dimensions: { host: 'web-1' },
    status: 'open',
    openedAt: '2026-01-01T00:00:00.000Z',
    notify: true,
    transition: 'opened',
    at: '2026-01-01T00:00:00.000Z',
  },
});

/** The PutEvents entry an event becomes on the `alerts-bus` bus. */
const entryOf = (e: AlertBusEvent): PutEventsRequestEntry => ({
  EventBusName: 'alerts-bus',
  Source: ALERT_EVENT_SOURCE,
  DetailType: e.detailType,
  Detail: JSON.stringify(e.detail),
  Resources: [`tenant/${e.detail.tenantId}`],
});

describe('EventBridgeAlertBus', () => {
  it('puts events in batches of ten with the shared source and detail-type', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [] });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus');
    await bus.publish(Array.from({ length: 23 }, (_, i) => stateEvent(i)));
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls.map((c) => c.args[0].input.Entries?.length)).toEqual([10, 10, 3]);
    expect(calls[0]?.args[0].input.Entries?.[0]).toEqual({
      EventBusName: 'alerts-bus',
      Source: ALERT_EVENT_SOURCE,
      DetailType: 'Alert State Changed',
      Detail: JSON.stringify(stateEvent(0).detail),
      Resources: ['tenant/t1'],
    });
  });

  it('retries only the entries EventBridge refused', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 1,
        Entries: [
          { EventId: '1' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' },
          { EventId: '3' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '2' }] });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus', {
      retryDelayMs: () => 1,
    });
    expect(await bus.publish([stateEvent(1), stateEvent(2), stateEvent(3)])).toEqual([
      { status: 'accepted' },
      { status: 'accepted' },
      { status: 'accepted' },
    ]);
    const calls = eventBridge.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1]?.args[0].input.Entries?.map((e) => JSON.parse(e.Detail ?? '{}').alertId)).toEqual(['a2']);
  });

  it('answers retryable for an entry still refused for now after the last attempt', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus', {
      maxAttempts: 3,
      retryDelayMs: () => 1,
    });
    expect(await bus.publish([stateEvent(1)])).toEqual([
      { status: 'retryable', error: 'InternalFailure: boom' },
    ]);
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
  });

  it('answers permanent at once for entries refused for what they are, and retries only the others', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({
        FailedEntryCount: 3,
        Entries: [
          { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
          { EventId: '2' },
          { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' },
          { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Detail is not valid.' },
          { ErrorCode: 'AccessDeniedException', ErrorMessage: 'not allowed' },
        ],
      })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: '3' }, { EventId: '5' }] });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus', {
      retryDelayMs: () => 1,
    });
    const events = [1, 2, 3, 4, 5].map(stateEvent);
    expect(await bus.publish(events)).toEqual([
      { status: 'permanent', error: 'MalformedDetail: Detail is malformed.' },
      { status: 'accepted' },
      { status: 'accepted' },
      { status: 'permanent', error: 'InvalidArgument: Parameter Detail is not valid.' },
      // A permission error refuses every event alike until IAM is fixed: not the event's fault.
      { status: 'accepted' },
    ]);
    const calls = eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { Entries: events.map(entryOf) },
      { Entries: [entryOf(events[2] as AlertBusEvent), entryOf(events[4] as AlertBusEvent)] },
    ]);
  });

  it('never sends an entry over 256 KiB (it would fail its whole request): permanent, the others go', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const huge = stateEvent(2);
    const poison = {
      ...huge,
      detail: { ...huge.detail, dimensions: { host: 'x'.repeat(300_000) } },
    } as AlertBusEvent;
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus');
    const outcomes = await bus.publish([stateEvent(1), poison, stateEvent(3)]);
    expect(outcomes).toEqual([
      { status: 'accepted' },
      {
        status: 'permanent',
        error: expect.stringMatching(/^EntryTooLarge: 300\d{3} bytes, over PutEvents' 262144-byte limit$/),
      },
      { status: 'accepted' },
    ]);
    expect(eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input)).toEqual([
      { Entries: [entryOf(stateEvent(1)), entryOf(stateEvent(3))] },
    ]);
  });

  it('splits batches at 256 KiB as well as at 10 entries', async () => {
    eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
    }));
    const big = (i: number) => {
      const e = stateEvent(i);
      return { ...e, detail: { ...e.detail, dimensions: { host: 'y'.repeat(100_000) } } } as AlertBusEvent;
    };
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus');
    await bus.publish([big(1), big(2), big(3), stateEvent(4)]);
    expect(
      eventBridge
        .commandCalls(PutEventsCommand)
        .map((c) => c.args[0].input.Entries?.map((e) => JSON.parse(e.Detail ?? '{}').alertId)),
    ).toEqual([
      ['a1', 'a2'],
      ['a3', 'a4'],
    ]);
  });
});

/**
 * The engine on EventBridge (PutEvents accepted) and the notifier on SNS (Publish accepted), over
 * SQLite alert and metric stores, on a clock the test moves (`clock.nowMs`).
 */
function engineOnAws() {
  eventBridge.on(PutEventsCommand).callsFake((input: { Entries: PutEventsRequestEntry[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map((_, i) => ({ EventId: `e${i}` })),
  }));
  sns.on(PublishCommand).resolves({ MessageId: 'm1' });
  const dir = mkdtempSync(join(tmpdir(), 'aws-alerting-'));
  const store = new SqliteAlertStore(join(dir, 'alerts.sqlite'));
  const metrics = new SqliteMetricStore(join(dir, 'metrics.sqlite'));
  const clock = { nowMs: Date.UTC(2026, 5, 1, 12, 0, 5) };
  const engine = new AlertEngine({
    store,
    metrics,
    bus: new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts-bus'),
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(clock.nowMs) },
  });
  const webhook: Notifier = { deliver: async () => undefined };
  const notifier = new SnsNotifier({
    client: new SNSClient({ region: 'us-west-2' }),
    emailTopicArn: 'arn:aws:sns:us-west-2:123456789012:alert-email',
    webhook,
  });
  const processNotification = createNotificationProcessor({
    store,
    channels: { email: notifier, sms: notifier, webhook: notifier },
    deadLetters: { park: async () => undefined },
  });
  return { store, metrics, engine, clock, processNotification };
}

describe('the engine and the notifier on the AWS adapters', () => {
  it('a breaching series becomes PutEvents, and the notification event becomes SNS publishes', async () => {
    const { store, metrics, engine, clock, processNotification } = engineOnAws();
    await store.putChain({
      tenantId: 't1',
      chainId: 'c1',
      name: 'ops',
      stageIntervalSeconds: 600,
      stages: [
        {
          recipients: [
            { type: 'email', address: 'oncall@example.com' },
            { type: 'sms', address: '+15555550100' },
          ],
        },
      ],
      createdAt: 'x',
      updatedAt: 'x',
    });
    await store.putRule({ ...rule('t1', 'r1'), escalationChainId: 'c1' });
    const sample = {
      metric: 'cpu',
      dimensions: { host: 'web-1' },
      timestampMs: clock.nowMs - 1000,
      value: 95,
    };
    await metrics.write('t1', [sample]);
    await engine.onIngest('t1', [sample]);

    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => e.DetailType)).toEqual(['Alert State Changed', 'Alert Notification Requested']);
    expect(entries.every((e) => e.EventBusName === 'alerts-bus' && e.Source === ALERT_EVENT_SOURCE)).toBe(
      true,
    );
    const notification = notificationRequestedDetailSchema.parse(JSON.parse(entries[1]?.Detail ?? '{}'));
    expect(notification).toMatchObject({
      kind: 'alert',
      stage: 0,
      chainId: 'c1',
      severity: 'critical',
      notify: true,
      resource: 'web-1',
    });

    // EventBridge → SNS topic → notifier Lambda: the record's message is the EventBridge event.
    const envelope: BusEnvelope = {
      version: '0',
      id: 'evt-1',
      'detail-type': entries[1]?.DetailType as string,
      source: ALERT_EVENT_SOURCE,
      account: '123456789012',
      time: '2026-06-01T12:00:05Z',
      region: 'us-west-2',
      resources: ['tenant/t1'],
      detail: JSON.parse(entries[1]?.Detail ?? '{}'),
    };
    expect(await processNotification(envelope.detail, envelope.id)).toEqual({
      delivered: 2,
      parked: 0,
      deduplicated: 0,
      unconfirmed: 0,
    });
    const publishes = sns.commandCalls(PublishCommand).map((c) => c.args[0].input);
    const email = publishes.find((p) => p.TopicArn);
    expect(email).toEqual({
      TopicArn: 'arn:aws:sns:us-west-2:123456789012:alert-email',
      Subject: '[CRITICAL] rule r1 on web-1',
      Message: expect.stringContaining('metric: cpu = 95'),
      MessageAttributes: {
        recipient: { DataType: 'String', StringValue: 'oncall@example.com' },
        tenantId: { DataType: 'String', StringValue: 't1' },
        deliveryId: { DataType: 'String', StringValue: expect.stringMatching(/^[0-9a-f]{32}$/) },
      },
    });
    expect(publishes.find((p) => p.PhoneNumber)).toEqual({
      PhoneNumber: '+15555550100',
      Message: expect.stringMatching(/^\[CRITICAL\] rule r1 on web-1/),
      MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
    });

    // Recovery: one clear request for the stages already notified.
    eventBridge.resetHistory();
    clock.nowMs += 60_000;
    const recovered = { ...sample, timestampMs: clock.nowMs - 1000, value: 10 };
    await metrics.write('t1', [recovered]);
    await engine.onIngest('t1', [recovered]);
    const after = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(
      after.map((e) => [
        e.DetailType,
        JSON.parse(e.Detail ?? '{}').kind ?? JSON.parse(e.Detail ?? '{}').transition,
      ]),
    ).toEqual([
      ['Alert State Changed', 'cleared'],
      ['Alert Notification Requested', 'clear'],
    ]);
    store.close();
    metrics.close();
  });

  it('an escalation to critical is PutEvents on the critical route, and an SMS saying what it escalated from', async () => {
    const { store, metrics, engine, clock, processNotification } = engineOnAws();
    const chain = (chainId: string, recipient: Recipient) => ({
      tenantId: 't1',
      chainId,
      name: chainId,
      stageIntervalSeconds: 600,
      stages: [{ recipients: [recipient] }],
      createdAt: 'x',
      updatedAt: 'x',
    });
    await store.putChain(chain('mail', { type: 'email', address: 'team@example.com' }));
    await store.putChain(chain('pager', { type: 'sms', address: '+15555550100' }));
    const route = (routeId: string, priority: number, severity: Severity, chainId: string) => ({
      tenantId: 't1',
      routeId,
      name: routeId,
      priority,
      enabled: true,
      match: { severities: [severity] },
      escalationChainId: chainId,
      createdAt: 'x',
      updatedAt: 'x',
    });
    await store.putRoute(route('pages', 1, 'critical', 'pager'));
    await store.putRoute(route('mails', 2, 'warning', 'mail'));
    await store.putRule(rule('t1', 'r1'));
    const ingest = async (value: number) => {
      const sample = { metric: 'cpu', dimensions: { host: 'web-1' }, timestampMs: clock.nowMs - 1000, value };
      await metrics.write('t1', [sample]);
      await engine.onIngest('t1', [sample]);
    };
    await ingest(65);
    eventBridge.resetHistory();
    clock.nowMs += 60_000;
    await ingest(95);

    const entries = eventBridge.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);
    expect(entries.map((e) => e.DetailType)).toEqual(['Alert State Changed', 'Alert Notification Requested']);
    const detail = JSON.parse(entries[1]?.Detail ?? '{}');
    expect(entries[1]).toEqual({
      EventBusName: 'alerts-bus',
      Source: ALERT_EVENT_SOURCE,
      DetailType: DETAIL_TYPE.notificationRequested,
      Detail: expect.any(String),
      Resources: expect.any(Array),
    });
    expect(detail).toMatchObject({
      kind: 'alert',
      stage: 0,
      chainId: 'pager',
      severity: 'critical',
      previousSeverity: 'warning',
      previousValue: 65,
      value: 95,
      notify: true,
      sequence: 1,
      eventId: expect.stringMatching(/^[0-9a-f]{32}$/),
    });

    sns.resetHistory();
    await processNotification(detail, 'evt-2');
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input)).toEqual([
      {
        PhoneNumber: '+15555550100',
        Message: `[CRITICAL] rule r1 on web-1, escalated from warning (${detail.alertId.slice(-8)})`,
        MessageAttributes: { 'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' } },
      },
    ]);
    store.close();
    metrics.close();
  });

  it('parks a delivery that failed on SQS, without the webhook secret', async () => {
    sqs.on(SendMessageCommand).resolves({ MessageId: 'q1' });
    const deadLetters = new SqsDeadLetters(
      new SQSClient({ region: 'us-west-2' }),
      'https://sqs.us-west-2.amazonaws.com/123456789012/alert-dlq',
    );
    const delivery: Delivery = {
      deliveryId: 'd1',
      recipient: {
        type: 'webhook',
        address: 'https://hooks.example.com/x',
        secret: 'super-secret-value-123',
      },
      detail: { ...stateEvent(1).detail, kind: 'alert', chainId: 'c1', stage: 0 } as never,
    };
    await deadLetters.park(delivery, 'HTTP 503');
    const input = sqs.commandCalls(SendMessageCommand)[0]?.args[0].input;
    expect(input).toEqual({
      QueueUrl: 'https://sqs.us-west-2.amazonaws.com/123456789012/alert-dlq',
      MessageBody: expect.any(String),
      MessageAttributes: {
        tenantId: { DataType: 'String', StringValue: 't1' },
        alertId: { DataType: 'String', StringValue: 'a1' },
      },
    });
    expect(input?.MessageBody).not.toContain('super-secret-value-123');
    expect(JSON.parse(input?.MessageBody ?? '{}')).toMatchObject({
      reason: 'HTTP 503',
      recipient: { address: 'https://hooks.example.com/x' },
    });
  });
});
