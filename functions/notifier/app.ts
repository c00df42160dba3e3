/**
 * The notifier: turns an `Alert Notification Requested` event into deliveries, one per recipient of
 * the stage (or, for a clear, of every stage already notified, each recipient once). A delivery that
 * fails after its channel's retries is parked in the dead-letter queue; only when parking itself fails
 * does the whole event fail (and the bus retries it, then parks the event in its own DLQ).
 *
 * Duplicates: the evaluator's outbox and EventBridge are at-least-once, so one notification can arrive
 * twice. Its `detail.eventId` is stable (deterministic from what it describes), so (1) a processor
 * skips an event id it already handled or is handling (the last `RECENT_EVENTS` ids, per process:
 * the local platform, a warm Lambda, a cheap first check); (2) the delivery id, derived from the event
 * id and the recipient, is the same on every copy, and every process claims it in the shared
 * NotificationLedger before sending: a delivery already sent is skipped, one another process is
 * sending right now fails the event (the bus retries it, and the retry finds it sent, or the claim
 * released), a failed send releases its claim; (3) receivers can still dedup: webhook receivers see
 * the same `x-obs-event-id`, SNS messages carry the same `deliveryId` attribute, and PagerDuty dedups
 * on the alert id.
 *
 * A sent delivery whose confirm fails (the ledger's adapter already retried it with backoff) keeps its
 * claim: it is never released, since it was sent. It is counted (`unconfirmed`, the
 * NotificationConfirmFailures metric, which alarms), and this processor confirms it again alongside
 * each later notification until the confirm lands. Why not a sending lease long enough to outlast a
 * confirm outage instead: the lease is also what lets a retry send a delivery whose sender died
 * mid-send (timeout, crash), so a long lease would hold such a page back for as long; a late or lost
 * page is worse than a duplicate one. What remains is a copy reaching another process after the
 * 2-minute lease and before a confirm lands: it sends again, and the alarm has said so.
 */
import { createHash } from 'node:crypto';
import { type Recipient, recipientKey, recipientsOf } from '#domain/alerting/escalation';
import { type NotificationRequestedDetail, notificationRequestedDetailSchema } from '#domain/alerting/events';
import type { AlertStore } from '#ports/alert-store';
import {
  type NotificationLedger,
  SENDING_LEASE_MS,
  SENT_CLAIM_RETENTION_MS,
} from '#ports/notification-ledger';
import type { DeadLetters, Notifier } from '#ports/notifier';
import { hasSealedField, type RecipientSecrets } from '../alerts/recipient-secrets';

export interface NotifierDeps {
  readonly store: Pick<AlertStore, 'getChain'>;
  readonly channels: Readonly<Record<Recipient['type'], Notifier>>;
  readonly deadLetters: DeadLetters;
  /** Deliveries claimed and sent by every notifier process; without it, only this process's memory dedups. */
  readonly ledger?: NotificationLedger;
  /** Epoch ms (claims' expiry); default Date.now. */
  readonly now?: () => number;
  /** Opens sealed webhook secrets for signing; without it a recipient with a sealed secret is parked. */
  readonly secrets?: Pick<RecipientSecrets, 'openRecipient'>;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface NotificationOutcome {
  readonly delivered: number;
  readonly parked: number;
  /** Deliveries skipped because another copy of the event already sent them. */
  readonly deduplicated: number;
  /** Deliveries sent whose claim could not be confirmed: confirmed again with later notifications. */
  readonly unconfirmed: number;
}

/** Another process holds the claim of a delivery of this event and is sending it: retry later. */
export class DeliveryInFlightError extends Error {
  constructor(readonly deliveries: number) {
    super(`${deliveries} delivery(ies) of this notification are being sent by another process; retry later`);
    this.name = 'DeliveryInFlightError';
  }
}

/** Event ids a processor remembers as handled (a few minutes of a busy notifier). */
const RECENT_EVENTS = 10_000;
/** Sent deliveries whose confirm failed, kept to be confirmed again (oldest dropped beyond this). */
const MAX_UNCONFIRMED = 1_000;

interface UnconfirmedDelivery {
  readonly tenantId: string;
  readonly deliveryId: string;
  readonly expiresAtMs: number;
}

/** Sent deliveries not yet recorded as sent in the ledger, by tenant and delivery id. */
type UnconfirmedDeliveries = Map<string, UnconfirmedDelivery>;

export function createNotificationProcessor(deps: NotifierDeps) {
  const recent = new Map<string, Promise<NotificationOutcome>>();
  const unconfirmed: UnconfirmedDeliveries = new Map();
  const handle = async (rawDetail: unknown, envelopeId: string): Promise<NotificationOutcome> => {
    const detail: NotificationRequestedDetail = notificationRequestedDetailSchema.parse(rawDetail);
    // Events from before stable ids fall back to the bus envelope's id (unique per put).
    const eventId = detail.eventId ?? envelopeId;
    const seen = recent.get(eventId);
    if (seen) {
      // A copy of an event handled (or being handled) here: wait for that one, deliver nothing more.
      await seen.catch(() => undefined);
      if (recent.get(eventId) === seen) {
        deps.log?.('duplicate alert notification skipped', { eventId, alertId: detail.alertId });
        return { delivered: 0, parked: 0, deduplicated: 0, unconfirmed: 0 };
      }
    }
    const processing = processOnce(deps, detail, eventId, unconfirmed);
    recent.set(eventId, processing);
    if (recent.size > RECENT_EVENTS) recent.delete(recent.keys().next().value as string);
    try {
      return await processing;
    } catch (error) {
      // Failed (parking failed too): forget it, so the bus's retry is processed in full.
      if (recent.get(eventId) === processing) recent.delete(eventId);
      throw error;
    }
  };
  return async (rawDetail: unknown, envelopeId: string): Promise<NotificationOutcome> => {
    // Alongside this notification, not before it: a ledger still failing must not delay new sends.
    const confirmingEarlier = confirmAgain(deps, unconfirmed);
    try {
      return await handle(rawDetail, envelopeId);
    } finally {
      await confirmingEarlier;
    }
  };
}

/** Confirms the deliveries whose confirm failed before; those that fail again stay for the next time. */
async function confirmAgain(deps: NotifierDeps, unconfirmed: UnconfirmedDeliveries): Promise<void> {
  const ledger = deps.ledger;
  if (!ledger || unconfirmed.size === 0) return;
  const due = [...unconfirmed];
  // Taken out while being confirmed, so concurrent notifications do not confirm them twice.
  for (const [key] of due) unconfirmed.delete(key);
  await Promise.all(
    due.map(async ([key, delivery]) => {
      try {
        await ledger.confirm(delivery.tenantId, delivery.deliveryId, delivery.expiresAtMs);
        deps.log?.('sent delivery recorded as sent at last', {
          tenantId: delivery.tenantId,
          deliveryId: delivery.deliveryId,
        });
      } catch {
        remember(unconfirmed, key, delivery);
      }
    }),
  );
}

function remember(unconfirmed: UnconfirmedDeliveries, key: string, delivery: UnconfirmedDelivery): void {
  unconfirmed.set(key, delivery);
  if (unconfirmed.size > MAX_UNCONFIRMED) unconfirmed.delete(unconfirmed.keys().next().value as string);
}

async function processOnce(
  deps: NotifierDeps,
  detail: NotificationRequestedDetail,
  eventId: string,
  unconfirmedDeliveries: UnconfirmedDeliveries,
): Promise<NotificationOutcome> {
  const chain = await deps.store.getChain(detail.tenantId, detail.chainId);
  if (!chain) {
    deps.log?.('escalation chain is gone; nothing to notify', {
      chainId: detail.chainId,
      alertId: detail.alertId,
    });
    return { delivered: 0, parked: 0, deduplicated: 0, unconfirmed: 0 };
  }
  const stages = detail.kind === 'alert' ? [detail.stage ?? 0] : (detail.notifiedStages ?? []);
  const recipients = recipientsOf(chain, stages);
  let delivered = 0;
  let parked = 0;
  let deduplicated = 0;
  let unconfirmed = 0;
  let inFlight = 0;
  const now = deps.now ?? Date.now;
  await Promise.all(
    recipients.map(async (recipient) => {
      const delivery = {
        // Same notification, same recipient → same id across retries, so receivers can dedup.
        deliveryId: createHash('sha256')
          .update(`${eventId}\u0000${recipientKey(recipient)}`)
          .digest('hex')
          .slice(0, 32),
        recipient,
        detail,
      };
      const claim = deps.ledger
        ? await deps.ledger.claim(detail.tenantId, delivery.deliveryId, now() + SENDING_LEASE_MS, now())
        : 'claimed';
      if (claim === 'sent') {
        deduplicated++;
        return;
      }
      if (claim === 'sending') {
        inFlight++;
        return;
      }
      try {
        // The secret is opened only here, for this delivery: never stored, parked or logged open.
        const opened = deps.secrets
          ? await deps.secrets.openRecipient(detail.tenantId, recipient)
          : recipient;
        if (hasSealedField(opened)) throw new Error('recipient secret is sealed and no key service is wired');
        await deps.channels[recipient.type].deliver({ ...delivery, recipient: opened });
        delivered++;
      } catch (error) {
        // Not sent: a later copy of the event (or the retry, if parking fails) may send it. A claim
        // that cannot be released runs out with its lease; the delivery is parked either way.
        await deps.ledger
          ?.release(detail.tenantId, delivery.deliveryId)
          .catch((e: Error) => deps.log?.('could not release a delivery claim', { reason: e.message }));
        await deps.deadLetters.park(delivery, (error as Error).message);
        parked++;
        deps.log?.('delivery parked in the dead-letter queue', {
          alertId: detail.alertId,
          type: recipient.type,
          reason: (error as Error).message,
        });
        return;
      }
      const sent = {
        tenantId: detail.tenantId,
        deliveryId: delivery.deliveryId,
        expiresAtMs: now() + SENT_CLAIM_RETENTION_MS,
      };
      try {
        await deps.ledger?.confirm(sent.tenantId, sent.deliveryId, sent.expiresAtMs);
      } catch (error) {
        // Sent all the same: the claim is kept, not released (see the top of this file).
        unconfirmed++;
        remember(unconfirmedDeliveries, `${sent.tenantId}\u0000${sent.deliveryId}`, sent);
        deps.log?.('could not record a sent delivery; confirming it again with the next notifications', {
          alertId: detail.alertId,
          deliveryId: delivery.deliveryId,
          reason: (error as Error).message,
        });
      }
    }),
  );
  if (deduplicated > 0)
    deps.log?.('deliveries already sent by another copy of this notification skipped', {
      eventId,
      alertId: detail.alertId,
      deduplicated,
    });
  if (inFlight > 0) throw new DeliveryInFlightError(inFlight);
  return { delivered, parked, deduplicated, unconfirmed };
}
