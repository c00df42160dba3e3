import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBridgeAlertBus } from '#adapters/aws/eventbridge-alert-bus';
import { SnsNotifier, SqsDeadLetters } from '#adapters/aws/sns-notifier';
import { type AlertBusEvent, DETAIL_TYPE } from '#domain/alerting/events';
import type { Delivery, Notifier } from '#ports/notifier';
import { createNotificationProcessor } from '../../functions/notifier/app';
import {
  notificationRequested,
  onCallChain,
  withNotificationEventId,
} from '../alerting/support/notifications';

const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });

const detail = (i: number) => notificationRequested(`alert-${i}`, `web-${i}`);

/**
 * EventBridge PutEvents partial failures: under random per-entry refusals, every alert event is
 * accepted by the bus exactly once (refused entries are resent, accepted ones never), and an event
 * still refused after the retries is answered `retryable`, so the evaluator does not count it as sent.
 */
describe('EventBridge PutEvents partial failures', () => {
  const eventBridge = mockClient(EventBridgeClient);
  afterEach(() => eventBridge.reset());

  it('delivers each of 37 events exactly once through random partial failures', async () => {
    const accepted: string[] = [];
    let call = 0;
    eventBridge.on(PutEventsCommand).callsFake(({ Entries }: { Entries: PutEventsRequestEntry[] }) => {
      call++;
      const results = Entries.map((entry, i) => {
        // A deterministic mix: about a third of the entries are throttled on each call.
        if ((call * 7 + i * 3) % 3 === 0)
          return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' };
        accepted.push(JSON.parse(entry.Detail as string).alertId as string);
        return { EventId: `e-${call}-${i}` };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts', {
      maxAttempts: 6,
      retryDelayMs: () => 0,
    });
    const events: AlertBusEvent[] = Array.from({ length: 37 }, (_, i) => ({
      detailType: DETAIL_TYPE.notificationRequested,
      detail: detail(i),
    }));
    expect(await bus.publish(events)).toEqual(events.map(() => ({ status: 'accepted' })));
    expect(accepted.sort()).toEqual(events.map((e) => e.detail.alertId).sort());
    for (const input of eventBridge.commandCalls(PutEventsCommand).map((c) => c.args[0].input))
      expect(input.Entries?.length).toBeLessThanOrEqual(10);
  });

  it('answers retryable when entries stay refused, and throws when PutEvents itself fails', async () => {
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts', {
      maxAttempts: 3,
      retryDelayMs: () => 0,
    });
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'boom' }],
    });
    expect(await bus.publish([{ detailType: DETAIL_TYPE.notificationRequested, detail: detail(1) }])).toEqual(
      [{ status: 'retryable', error: 'InternalFailure: boom' }],
    );
    expect(eventBridge.commandCalls(PutEventsCommand)).toHaveLength(3);
    eventBridge.reset();
    eventBridge.on(PutEventsCommand).rejects(awsError('InternalException', 500));
    await expect(
      bus.publish([{ detailType: DETAIL_TYPE.notificationRequested, detail: detail(2) }]),
    ).rejects.toThrow();
  });
});

/**
 * SNS failures: a notification SNS refuses is parked on the dead-letter queue (exact SendMessage),
 * never dropped; when parking fails too, the event fails, so the bus retries it.
 */
describe('SNS failures', () => {
  const sns = mockClient(SNSClient);
  const sqs = mockClient(SQSClient);
  afterEach(() => {
    sns.reset();
    sqs.reset();
  });

  const chain = onCallChain(
    { type: 'email', address: 'oncall@example.com' },
    { type: 'sms', address: '+15555550100' },
  );

  function processor() {
    const webhook: Notifier = { deliver: async () => undefined };
    const notifier = new SnsNotifier({
      client: new SNSClient({ region: 'us-west-2' }),
      emailTopicArn: 'arn:aws:sns:us-west-2:123456789012:alert-email',
      webhook,
    });
    return createNotificationProcessor({
      store: { getChain: async () => chain },
      channels: { email: notifier, sms: notifier, webhook: notifier },
      deadLetters: new SqsDeadLetters(
        new SQSClient({ region: 'us-west-2' }),
        'https://sqs.us-west-2.amazonaws.com/123456789012/notify-dlq',
      ),
    });
  }

  it('parks the email SNS throttled and delivers the SMS', async () => {
    sns
      .on(PublishCommand, { TopicArn: 'arn:aws:sns:us-west-2:123456789012:alert-email' })
      .rejects(awsError('ThrottledException', 400));
    sns.on(PublishCommand, { PhoneNumber: '+15555550100' }).resolves({ MessageId: 'sms-1' });
    sqs.on(SendMessageCommand).resolves({ MessageId: 'dl-1' });
    expect(await processor()(detail(1), 'event-1')).toEqual({
      delivered: 1,
      parked: 1,
      deduplicated: 0,
      unconfirmed: 0,
    });
    const parked = sqs.commandCalls(SendMessageCommand).map((c) => c.args[0].input);
    expect(parked).toHaveLength(1);
    expect(parked[0]?.QueueUrl).toBe('https://sqs.us-west-2.amazonaws.com/123456789012/notify-dlq');
    expect(JSON.parse(parked[0]?.MessageBody as string)).toMatchObject({
      reason: 'ThrottledException',
      recipient: { type: 'email', address: 'oncall@example.com' },
      detail: { alertId: 'alert-1', tenantId: 't1' },
    });
  });

  it('fails the event when SNS and the dead-letter queue are both down (the bus then retries it)', async () => {
    sns.on(PublishCommand).rejects(awsError('InternalErrorException', 500));
    sqs.on(SendMessageCommand).rejects(awsError('ServiceUnavailable', 503));
    await expect(processor()(detail(2), 'event-2')).rejects.toThrow();
  });
});

/**
 * Duplicates: the evaluator's outbox resends an event the bus may already have taken (its removal
 * failed, or a partly refused batch is resent whole), and EventBridge is at-least-once. The copies
 * carry the same `eventId`: the notifier delivers once, and the delivery id is the same on every copy.
 */
describe('duplicate alert events', () => {
  const chain = onCallChain({ type: 'webhook', address: 'https://hooks.example/a' });

  function processor(deliver: (delivery: Delivery) => Promise<void>) {
    const webhook: Notifier = { deliver };
    return createNotificationProcessor({
      store: { getChain: async () => chain },
      channels: { email: webhook, sms: webhook, webhook },
      deadLetters: {
        park: async () => {
          throw new Error('dead-letter queue down');
        },
      },
    });
  }

  const identified = (i: number) => withNotificationEventId(detail(i));

  it('delivers an event once however many copies arrive (new envelope ids, even concurrently)', async () => {
    const delivered: Delivery[] = [];
    const process = processor(async (d) => void delivered.push(d));
    const outcomes = await Promise.all([
      process(identified(1), 'envelope-a'),
      process(identified(1), 'envelope-b'),
    ]);
    expect(await process(identified(1), 'envelope-c')).toEqual({
      delivered: 0,
      parked: 0,
      deduplicated: 0,
      unconfirmed: 0,
    });
    expect(outcomes.map((o) => o.delivered).sort()).toEqual([0, 1]);
    await process(identified(2), 'envelope-d');
    expect(delivered.map((d) => d.detail.alertId)).toEqual(['alert-1', 'alert-2']);
  });

  it('gives every copy the same delivery id, and processes a copy of an event that failed', async () => {
    const ids: string[] = [];
    let failing = true;
    const process = processor(async (d) => {
      ids.push(d.deliveryId);
      if (failing) throw new Error('receiver down');
    });
    // Delivery and parking both failed: the event fails, so the bus retries it in full.
    await expect(process(identified(3), 'envelope-a')).rejects.toThrow('dead-letter queue down');
    failing = false;
    expect(await process(identified(3), 'envelope-b')).toEqual({
      delivered: 1,
      parked: 0,
      deduplicated: 0,
      unconfirmed: 0,
    });
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
  });
});
