import type { AlertBusEvent } from '#domain/alerting/events';

/**
 * Where alert events go: an EventBridge custom bus (AWS) or the in-process bus (local). `publish`
 * resolves once every event is accepted by the bus and throws when any is refused after retries, so
 * the caller never believes a lost event was sent.
 */
export interface AlertBus {
  publish(events: readonly AlertBusEvent[]): Promise<void>;
}
