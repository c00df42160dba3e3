import type { Recipient } from '#domain/alerting/escalation';
import type { NotificationRequestedDetail } from '#domain/alerting/events';

export interface Delivery {
  /** Stable per notification and recipient: receivers can dedup retries with it. */
  readonly deliveryId: string;
  readonly recipient: Recipient;
  readonly detail: NotificationRequestedDetail;
}

/**
 * Delivers one notification to one recipient. Resolves when delivered; throws when it could not be
 * delivered after the adapter's own retries (the caller parks it in a dead-letter queue).
 */
export interface Notifier {
  deliver(delivery: Delivery): Promise<void>;
}

/** Deliveries that failed every retry wait here for an operator: never dropped. */
export interface DeadLetters {
  park(delivery: Delivery, reason: string): Promise<void>;
}
