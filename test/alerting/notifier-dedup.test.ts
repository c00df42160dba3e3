/**
 * The notifier across processes: copies of one notification (the outbox and EventBridge are
 * at-least-once) reaching different notifier instances — separate processors, each with its own
 * ledger connection, like two Lambda containers — send each delivery once; a failed send is sent by
 * the retry. On the SQLite ledger and on DynamoDB Local.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbNotificationLedger } from '#adapters/aws/dynamodb-notification-ledger';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import type { NotificationLedger } from '#ports/notification-ledger';
import { SENDING_LEASE_MS } from '#ports/notification-ledger';
import type { Delivery } from '#ports/notifier';
import { DeliveryInFlightError } from '../../functions/notifier/app';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import {
  notificationRequested,
  onCallChain,
  processorServing,
  withNotificationEventId,
} from './support/notifications';

const chain = onCallChain(
  { type: 'webhook', address: 'https://hooks.example/a' },
  { type: 'email', address: 'oncall@example.com' },
);

const notification = (alertId: string) => withNotificationEventId(notificationRequested(alertId, 'web-1'));

/** What every notifier instance sends and parks, by channel. */
class Outside {
  readonly sent: Delivery[] = [];
  readonly parked: Delivery[] = [];
  /** When set, a send of that recipient type fails (or waits until released). */
  failing = new Set<string>();
  hold?: Promise<void>;
  /** Sends begun (claimed), held or not. */
  attempts = 0;

  /** Waits until `n` sends have begun. */
  async begun(n: number) {
    for (let i = 0; i < 500 && this.attempts < n; i++) await new Promise((r) => setTimeout(r, 10));
    expect(this.attempts).toBe(n);
  }

  instance(ledger: NotificationLedger, now: () => number = Date.now) {
    const deliver = async (delivery: Delivery) => {
      this.attempts++;
      if (this.hold) await this.hold;
      if (this.failing.has(delivery.recipient.type)) throw new Error(`${delivery.recipient.type} down`);
      this.sent.push(delivery);
    };
    return processorServing(chain, deliver, this.parked, { ledger, now });
  }

  sentTo(type: string) {
    return this.sent.filter((d) => d.recipient.type === type).length;
  }
}

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const backends: [string, () => Promise<() => NotificationLedger>][] = [
  [
    'SQLite ledger (two connections to one file)',
    async () => {
      const path = join(mkdtempSync(join(tmpdir(), 'notify-')), 'alerts.sqlite');
      return () => new SqliteNotificationLedger(path);
    },
  ],
  [
    'DynamoDB ledger (DynamoDB Local)',
    async () => {
      const table = await ddb.createTable();
      return () => new DynamoDbNotificationLedger(ddb.documentClient, table);
    },
  ],
];

describe.each(backends)('notifier de-duplication across instances: %s', (_name, backend) => {
  it('sends one e-mail and one webhook when two instances receive the same event', async () => {
    const ledger = await backend();
    const outside = new Outside();
    const [a, b] = [outside.instance(ledger()), outside.instance(ledger())];
    expect(await a(notification('alert-1'), 'envelope-a')).toEqual({
      delivered: 2,
      parked: 0,
      deduplicated: 0,
      unconfirmed: 0,
    });
    expect(await b(notification('alert-1'), 'envelope-b')).toEqual({
      delivered: 0,
      parked: 0,
      deduplicated: 2,
      unconfirmed: 0,
    });
    expect([outside.sentTo('webhook'), outside.sentTo('email')]).toEqual([1, 1]);
    // Another event is its own notification.
    await b(notification('alert-2'), 'envelope-c');
    expect(outside.sent.map((d) => d.detail.alertId).sort()).toEqual([
      'alert-1',
      'alert-1',
      'alert-2',
      'alert-2',
    ]);
  });

  it('fails the copy that arrives while another instance is sending; its retry then skips', async () => {
    const ledger = await backend();
    const outside = new Outside();
    const [a, b] = [outside.instance(ledger()), outside.instance(ledger())];
    let release = () => {};
    outside.hold = new Promise<void>((r) => {
      release = r;
    });
    const first = a(notification('alert-1'), 'envelope-a');
    // Instance a has claimed both deliveries and is sending when b's copy arrives.
    await outside.begun(2);
    await expect(b(notification('alert-1'), 'envelope-b')).rejects.toBeInstanceOf(DeliveryInFlightError);
    release();
    outside.hold = undefined;
    expect(await first).toEqual({ delivered: 2, parked: 0, deduplicated: 0, unconfirmed: 0 });
    expect(await b(notification('alert-1'), 'envelope-b')).toEqual({
      delivered: 0,
      parked: 0,
      deduplicated: 2,
      unconfirmed: 0,
    });
    expect(outside.sent).toHaveLength(2);
  });

  it('releases a failed send: the copy on another instance sends it, and only it', async () => {
    const ledger = await backend();
    const outside = new Outside();
    const [a, b] = [outside.instance(ledger()), outside.instance(ledger())];
    outside.failing.add('webhook');
    expect(await a(notification('alert-1'), 'envelope-a')).toEqual({
      delivered: 1,
      parked: 1,
      deduplicated: 0,
      unconfirmed: 0,
    });
    outside.failing.clear();
    expect(await b(notification('alert-1'), 'envelope-b')).toEqual({
      delivered: 1,
      parked: 0,
      deduplicated: 1,
      unconfirmed: 0,
    });
    expect([outside.sentTo('webhook'), outside.sentTo('email')]).toEqual([1, 1]);
    expect(outside.parked.map((d) => d.recipient.type)).toEqual(['webhook']);
    // The webhook sent by the retry has the id the failed attempt parked.
    expect(outside.sent.find((d) => d.recipient.type === 'webhook')?.deliveryId).toBe(
      outside.parked[0]?.deliveryId,
    );
  });

  it('sends a delivery whose sender died mid-send once its lease has run out', async () => {
    const ledger = await backend();
    const outside = new Outside();
    let now = Date.now();
    const detail = notification('alert-1');
    // A sender that claimed every delivery and died before sending or confirming.
    const dead = ledger();
    const [a] = [outside.instance(ledger(), () => now)];
    const probe = outside.instance(dead, () => now);
    outside.hold = new Promise<void>(() => {});
    void probe(detail, 'envelope-dead');
    await outside.begun(2);
    outside.hold = undefined;
    await expect(a(detail, 'envelope-a')).rejects.toBeInstanceOf(DeliveryInFlightError);
    now += SENDING_LEASE_MS + 1000;
    expect(await a(detail, 'envelope-b')).toEqual({
      delivered: 2,
      parked: 0,
      deduplicated: 0,
      unconfirmed: 0,
    });
    expect(outside.sent).toHaveLength(2);
  });
});
