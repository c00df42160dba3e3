import type { AlertBusEvent } from '#domain/alerting/events';

/**
 * What the bus did with one event. `retryable`: refused for now (throttling, an internal failure, a
 * permission the operator has to fix) and worth sending again later; `permanent`: refused for what the
 * event is (malformed, too large, invalid), so resending can never succeed and it must be set aside.
 */
export type PublishOutcome =
  | { readonly status: 'accepted' }
  | { readonly status: 'retryable' | 'permanent'; readonly error: string };

/**
 * Where alert events go: an EventBridge custom bus (AWS) or the in-process bus (local). `publish`
 * answers per event, in the order given, once the bus has accepted or refused each (after the
 * adapter's own retries of retryable refusals); it throws only when the bus could not be asked at all,
 * so nothing is known about any event. The caller never believes a refused event was sent.
 */
export interface AlertBus {
  publish(events: readonly AlertBusEvent[]): Promise<PublishOutcome[]>;
}

export const ACCEPTED: PublishOutcome = { status: 'accepted' };
