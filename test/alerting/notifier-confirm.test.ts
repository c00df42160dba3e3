/**
 * A delivery is sent, then confirmed in the ledger: when that confirm fails. The DynamoDB ledger
 * retries a throttled confirm with bounded backoff (the exact PutItem requests, aws-sdk-client-mock);
 * a confirm that still fails never releases the claim, is counted (NotificationConfirmFailures), and
 * is confirmed again with the processor's next notification, so a copy of the event arriving after
 * the sending lease finds the delivery sent (the SQLite twin, two instances on one file).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient, ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SNSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CONFIRM_BACKOFF, DynamoDbNotificationLedger } from '#adapters/aws/dynamodb-notification-ledger';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import {
  type NotificationLedger,
  SENDING_LEASE_MS,
  SENT_CLAIM_RETENTION_MS,
} from '#ports/notification-ledger';
import type { Delivery } from '#ports/notifier';
import { METRIC } from '#ports/operational-metrics';
import { DeliveryInFlightError, type NotificationOutcome } from '../../functions/notifier/app';
import {
  notificationRequested,
  onCallChain,
  processorServing,
  withNotificationEventId,
} from './support/notifications';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const TABLE = 'metadata';
const NOW = 1_800_000_000_000;
const ddb = mockClient(DynamoDBDocumentClient);
const sns = mockClient(SNSClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' }));
afterEach(() => {
  ddb.reset();
  sns.reset();
});

const throttled = () =>
  new ProvisionedThroughputExceededException({
    $metadata: { httpStatusCode: 400 },
    message: 'Rate exceeded',
  });
const accessDenied = () =>
  Object.assign(new Error('not authorized to perform dynamodb:PutItem'), {
    name: 'AccessDeniedException',
    $metadata: { httpStatusCode: 400 },
  });

/** The confirm's PutItem: unconditional, state sent, kept for the retention. */
const sentPut = (deliveryId: string, sentAtMs = NOW) => ({
  TableName: TABLE,
  Item: {
    pk: 'NOTIFIED#t1',
    sk: deliveryId,
    state: 'sent',
    expiresAt: Math.ceil((sentAtMs + SENT_CLAIM_RETENTION_MS) / 1000),
  },
});
/** The claim's PutItem: conditional on no unexpired claim, with the sending lease. */
const claimPut = (deliveryId: string, nowMs = NOW) => ({
  TableName: TABLE,
  Item: {
    pk: 'NOTIFIED#t1',
    sk: deliveryId,
    state: 'sending',
    expiresAt: Math.ceil((nowMs + SENDING_LEASE_MS) / 1000),
  },
  ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
  ExpressionAttributeNames: { '#exp': 'expiresAt' },
  ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
});
const puts = () => ddb.commandCalls(PutCommand).map((c) => c.args[0].input);

/** PutItem answers {}, but a confirm (state `sent`) throws `fault()` whenever `fails()`, asked per confirm. */
const confirmsFail = (fault: () => Error, fails: () => boolean = () => true) =>
  ddb.on(PutCommand).callsFake((input: { Item: { state: string } }) => {
    if (input.Item.state === 'sent' && fails()) throw fault();
    return {};
  });

/** A ledger on the mocked client whose pauses are recorded instead of waited. */
function mockedLedger() {
  const pauses: number[] = [];
  const ledger = new DynamoDbNotificationLedger(client, TABLE, {
    sleep: async (ms) => void pauses.push(ms),
  });
  return { ledger, pauses };
}

describe('DynamoDbNotificationLedger.confirm', () => {
  it('retries a throttled confirm with the same unconditional put until it lands', async () => {
    ddb.on(PutCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves({});
    const { ledger, pauses } = mockedLedger();
    await ledger.confirm('t1', 'd1', NOW + SENT_CLAIM_RETENTION_MS);
    expect(puts()).toEqual([sentPut('d1'), sentPut('d1'), sentPut('d1')]);
    expect(pauses).toHaveLength(2);
    for (const [attempt, ms] of pauses.entries()) {
      expect(ms).toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThan(CONFIRM_BACKOFF.baseDelayMs * 2 ** attempt);
    }
  });

  it('gives up after its bounded attempts, throwing the last fault, well inside the sending lease', async () => {
    ddb.on(PutCommand).rejects(throttled());
    const { ledger, pauses } = mockedLedger();
    await expect(ledger.confirm('t1', 'd1', NOW + SENT_CLAIM_RETENTION_MS)).rejects.toBeInstanceOf(
      ProvisionedThroughputExceededException,
    );
    expect(puts()).toEqual(Array(CONFIRM_BACKOFF.maxAttempts).fill(sentPut('d1')));
    expect(pauses).toHaveLength(CONFIRM_BACKOFF.maxAttempts - 1);
    const bound = (attempt: number) =>
      Math.min(CONFIRM_BACKOFF.maxDelayMs, CONFIRM_BACKOFF.baseDelayMs * 2 ** attempt);
    for (const [attempt, ms] of pauses.entries()) expect(ms).toBeLessThan(bound(attempt));
    // The most it can wait: half the notifier's 60 s timeout at most, a fraction of the 2-minute lease.
    const worstCase = pauses.reduce((sum, _, attempt) => sum + bound(attempt), 0);
    expect(worstCase).toBeLessThan(30_000);
  });

  it('does not retry a fault that will not pass (access denied)', async () => {
    ddb.on(PutCommand).rejects(accessDenied());
    const { ledger, pauses } = mockedLedger();
    await expect(ledger.confirm('t1', 'd1', NOW + SENT_CLAIM_RETENTION_MS)).rejects.toThrow('not authorized');
    expect(puts()).toEqual([sentPut('d1')]);
    expect(pauses).toEqual([]);
  });
});

const chain = onCallChain({ type: 'webhook', address: 'https://hooks.example/a' });

const notification = (alertId: string) => withNotificationEventId(notificationRequested(alertId, 'web-1'));

/** The outcome of one notification: these counts, none of the others. */
const outcome = (counts: Partial<NotificationOutcome>): NotificationOutcome => ({
  delivered: 0,
  parked: 0,
  deduplicated: 0,
  unconfirmed: 0,
  ...counts,
});

/** Webhook sends (by every processor made here), parked deliveries and log lines. */
class Outside {
  readonly sent: Delivery[] = [];
  readonly parked: Delivery[] = [];
  readonly logged: string[] = [];

  processor(ledger: NotificationLedger, now: () => number = () => NOW) {
    return processorServing(chain, async (delivery) => void this.sent.push(delivery), this.parked, {
      ledger,
      now,
      log: (message) => void this.logged.push(message),
    });
  }

  sentOf(alertId: string) {
    return this.sent.filter((d) => d.detail.alertId === alertId);
  }
}

describe('the notifier when the confirm of a sent delivery fails (DynamoDB, exact requests)', () => {
  /** A processor on the mocked DynamoDB ledger, and what it sends. */
  const mockedNotifier = () => {
    const outside = new Outside();
    return { outside, notify: outside.processor(mockedLedger().ledger) };
  };

  it('sends once and confirms on the retry when the first confirm is throttled', async () => {
    let sentPuts = 0;
    confirmsFail(throttled, () => ++sentPuts === 1);
    const { outside, notify } = mockedNotifier();
    expect(await notify(notification('alert-1'), 'envelope-1')).toEqual(outcome({ delivered: 1 }));
    const deliveryId = outside.sent[0]!.deliveryId;
    expect(puts()).toEqual([claimPut(deliveryId), sentPut(deliveryId), sentPut(deliveryId)]);
    expect(ddb.commandCalls(DeleteCommand)).toEqual([]);
  });

  it('keeps the claim when the confirm fails throughout, and confirms it with the next notification', async () => {
    let ledgerDown = true;
    confirmsFail(throttled, () => ledgerDown);
    const { outside, notify } = mockedNotifier();
    expect(await notify(notification('alert-1'), 'envelope-1')).toEqual(
      outcome({ delivered: 1, unconfirmed: 1 }),
    );
    const first = outside.sent[0]!.deliveryId;
    expect(puts()).toEqual([claimPut(first), ...Array(CONFIRM_BACKOFF.maxAttempts).fill(sentPut(first))]);
    // Sent, so never released (no DeleteItem) and never parked; the failure is logged.
    expect(ddb.commandCalls(DeleteCommand)).toEqual([]);
    expect(outside.parked).toEqual([]);
    expect(outside.logged).toContain(
      'could not record a sent delivery; confirming it again with the next notifications',
    );

    ledgerDown = false;
    ddb.resetHistory();
    expect(await notify(notification('alert-2'), 'envelope-2')).toEqual(outcome({ delivered: 1 }));
    const second = outside.sent[1]!.deliveryId;
    // The first delivery's confirm again (the same item and expiry), then the new one's claim and confirm.
    expect(puts()).toEqual([sentPut(first), claimPut(second), sentPut(second)]);
    expect(outside.logged).toContain('sent delivery recorded as sent at last');

    // Confirmed: not confirmed again with the notification after.
    ddb.resetHistory();
    await notify(notification('alert-3'), 'envelope-3');
    const third = outside.sent[2]!.deliveryId;
    expect(puts()).toEqual([claimPut(third), sentPut(third)]);
  });
});

/** The SQLite ledger with a confirm that fails while `down` is set. */
class FlakyConfirmLedger extends SqliteNotificationLedger {
  down = false;
  confirms: string[] = [];

  override async confirm(tenantId: string, deliveryId: string, expiresAtMs: number): Promise<void> {
    this.confirms.push(deliveryId);
    if (this.down) throw new Error('database is locked');
    return super.confirm(tenantId, deliveryId, expiresAtMs);
  }
}

describe('the notifier when the confirm of a sent delivery fails (SQLite ledger, two instances)', () => {
  it('never lets a copy arriving after the lease send again once the confirm lands', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'notify-confirm-')), 'alerts.sqlite');
    let now = NOW;
    const flaky = new FlakyConfirmLedger(path);
    const outside = new Outside();
    const [a, b] = [
      outside.processor(flaky, () => now),
      outside.processor(new SqliteNotificationLedger(path), () => now),
    ];
    flaky.down = true;
    expect(await a(notification('alert-1'), 'envelope-a1')).toMatchObject({ delivered: 1, unconfirmed: 1 });
    // Still failing with the next notification: both stay to be confirmed.
    expect(await a(notification('alert-2'), 'envelope-a2')).toMatchObject({ delivered: 1, unconfirmed: 1 });
    const [first, second] = outside.sent.map((d) => d.deliveryId);
    expect(flaky.confirms).toEqual([first, first, second]);

    // The claim was kept, not released: a copy on the other instance within the lease waits.
    await expect(b(notification('alert-1'), 'envelope-b1')).rejects.toBeInstanceOf(DeliveryInFlightError);

    flaky.down = false;
    now += 1000;
    await a(notification('alert-3'), 'envelope-a3');
    expect(flaky.confirms.slice(3).sort()).toEqual(
      [first, second, outside.sentOf('alert-3')[0]!.deliveryId].sort(),
    );

    // Long after the sending lease: the other instance's copies find both deliveries sent.
    now += SENDING_LEASE_MS + 60_000;
    for (const [alertId, envelope] of [
      ['alert-1', 'envelope-b2'],
      ['alert-2', 'envelope-b3'],
    ] as const)
      expect(await b(notification(alertId), envelope)).toEqual(outcome({ deduplicated: 1 }));
    expect(outside.sentOf('alert-1')).toHaveLength(1);
    expect(outside.sentOf('alert-2')).toHaveLength(1);
    flaky.close();
  });
});

describe('the notifier Lambda', () => {
  it('emits NotificationConfirmFailures for a sent delivery it could not record as sent', async () => {
    Object.assign(process.env, {
      AWS_REGION: 'us-west-2',
      TABLE_NAME: TABLE,
      ALERT_EMAIL_TOPIC_ARN: 'arn:aws:sns:us-west-2:123456789012:alert-email',
      ALERT_DEAD_LETTER_QUEUE_URL: 'https://sqs.us-west-2.amazonaws.com/123456789012/deliveries-dlq',
    });
    const emailChain = onCallChain({ type: 'email', address: 'oncall@example.com' });
    ddb
      .on(GetCommand, { Key: { pk: 'TENANT#t1', sk: 'ESCCHAIN#chain-1' } })
      .resolves({ Item: { pk: 'TENANT#t1', sk: 'ESCCHAIN#chain-1', item: JSON.stringify(emailChain) } });
    confirmsFail(accessDenied);
    sns.on(PublishCommand).resolves({ MessageId: 'm1' });
    const addMetric = vi.spyOn(Metrics.prototype, 'addMetric');
    const { handler } = await import('../../functions/notifier/handler');
    const envelope = { id: 'envelope-1', detail: notification('alert-1') };
    const event = { Records: [{ Sns: { Message: JSON.stringify(envelope) } }] } as unknown as SNSEvent;
    await handler(event, { functionName: 'notifier', awsRequestId: 'r1' } as Context);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(ddb.commandCalls(DeleteCommand)).toEqual([]);
    expect(addMetric.mock.calls).toEqual(
      expect.arrayContaining([
        [METRIC.notificationsSent, 'Count', 1],
        [METRIC.notificationConfirmFailures, 'Count', 1],
      ]),
    );
  });
});
