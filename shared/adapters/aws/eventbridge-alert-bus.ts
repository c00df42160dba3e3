import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { ALERT_EVENT_SOURCE, type AlertBusEvent } from '#domain/alerting/events';
import type { AlertBus } from '#ports/event-bus';

export interface EventBridgeAlertBusOptions {
  /** Attempts for entries EventBridge refuses (throttling, internal errors); default 4. */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: (attempt: number) => number;
}

/**
 * Alert events onto an EventBridge custom bus: PutEvents in batches of at most 10 entries (the API's
 * limit), each entry `source` = ALERT_EVENT_SOURCE, `detail-type` from DETAIL_TYPE, `resources` naming
 * the tenant (rules can route on it without reading the detail). Entries the bus refuses in a partly
 * failed batch are retried alone, with backoff; still refused after the last attempt: throws, so the
 * caller never takes a lost event for a sent one.
 */
export class EventBridgeAlertBus implements AlertBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly options: EventBridgeAlertBusOptions = {},
  ) {}

  async publish(events: readonly AlertBusEvent[]): Promise<void> {
    const entries: PutEventsRequestEntry[] = events.map((e) => ({
      EventBusName: this.eventBusName,
      Source: ALERT_EVENT_SOURCE,
      DetailType: e.detailType,
      Detail: JSON.stringify(e.detail),
      Resources: [`tenant/${e.detail.tenantId}`],
    }));
    for (let i = 0; i < entries.length; i += 10) await this.putBatch(entries.slice(i, i + 10));
  }

  private async putBatch(batch: PutEventsRequestEntry[]): Promise<void> {
    const attempts = this.options.maxAttempts ?? 4;
    let pending = batch;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      if (attempt > 1) {
        const delay =
          this.options.retryDelayMs?.(attempt - 1) ?? 100 * 2 ** (attempt - 2) * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, delay));
      }
      const result = await this.client.send(new PutEventsCommand({ Entries: pending }));
      if (!result.FailedEntryCount) return;
      const failed: PutEventsRequestEntry[] = [];
      (result.Entries ?? []).forEach((entry, index) => {
        if (entry.ErrorCode) {
          failed.push(pending[index] as PutEventsRequestEntry);
          lastError = `${entry.ErrorCode}: ${entry.ErrorMessage ?? ''}`;
        }
      });
      pending = failed;
    }
    if (pending.length > 0)
      throw new Error(
        `EventBridge refused ${pending.length} alert event(s) after ${attempts} attempts: ${lastError}`,
      );
  }
}
