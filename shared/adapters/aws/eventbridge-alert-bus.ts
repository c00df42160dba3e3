import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  ALERT_EVENT_SOURCE,
  type AlertBusEvent,
  busEntryBytes,
  MAX_BUS_ENTRY_BYTES,
  tenantResourceOf,
} from '#domain/alerting/events';
import type { AlertBus, PublishOutcome } from '#ports/event-bus';

export interface EventBridgeAlertBusOptions {
  /** Attempts for entries EventBridge refuses for now (throttling, internal errors); default 4. */
  readonly maxAttempts?: number;
  readonly retryDelayMs?: (attempt: number) => number;
}

/** PutEvents takes at most 10 entries a request. */
const MAX_ENTRIES = 10;

/** An entry on its way, with the index of its event in the caller's list. */
interface PendingEntry {
  readonly index: number;
  readonly entry: PutEventsRequestEntry;
}

/**
 * Per-entry ErrorCodes that say the event itself is bad: resending it can never succeed
 * (EventBridge API reference, PutEventsResultEntry). Access errors (AccessDeniedException,
 * NotAuthorizedFor…, InvalidAccountIdException) are non-retryable for EventBridge but refuse every
 * event alike until an operator fixes IAM, so they are not the event's fault: they count as
 * retryable, as does any code not listed, so an unknown refusal keeps the event rather than setting
 * it aside.
 */
const PERMANENT_ERROR_CODES = new Set([
  'InvalidArgument',
  'MalformedDetail',
  'ValidationException',
  'RedactionFailure',
]);

export const isPermanentPutEventsError = (code: string) => PERMANENT_ERROR_CODES.has(code);

/**
 * Alert events onto an EventBridge custom bus: PutEvents in batches of at most 10 entries and
 * 256 KiB, each entry `source` = ALERT_EVENT_SOURCE, `detail-type` from DETAIL_TYPE, `resources`
 * naming the tenant (rules can route on it without reading the detail). The answer is per event:
 * entries refused for now are retried alone with backoff and stay `retryable` after the last attempt;
 * entries refused for what they are (a permanent ErrorCode, or over 256 KiB, which is never sent since
 * it would fail its whole request) are `permanent` at once. Throws only when PutEvents itself fails.
 */
export class EventBridgeAlertBus implements AlertBus {
  constructor(
    private readonly client: EventBridgeClient,
    private readonly eventBusName: string,
    private readonly options: EventBridgeAlertBusOptions = {},
  ) {}

  async publish(events: readonly AlertBusEvent[]): Promise<PublishOutcome[]> {
    const outcomes: PublishOutcome[] = events.map(() => ({ status: 'accepted' }));
    let batch: PendingEntry[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length > 0) await this.putBatch(batch, outcomes);
      batch = [];
      batchBytes = 0;
    };
    for (const [index, e] of events.entries()) {
      const entry: PutEventsRequestEntry = {
        EventBusName: this.eventBusName,
        Source: ALERT_EVENT_SOURCE,
        DetailType: e.detailType,
        Detail: JSON.stringify(e.detail),
        Resources: [tenantResourceOf(e)],
      };
      const size = busEntryBytes(e);
      if (size > MAX_BUS_ENTRY_BYTES) {
        outcomes[index] = {
          status: 'permanent',
          error: `EntryTooLarge: ${size} bytes, over PutEvents' ${MAX_BUS_ENTRY_BYTES}-byte limit`,
        };
        continue;
      }
      if (batch.length === MAX_ENTRIES || batchBytes + size > MAX_BUS_ENTRY_BYTES) await flush();
      batch.push({ index, entry });
      batchBytes += size;
    }
    await flush();
    return outcomes;
  }

  /** Sends one batch, retrying the entries refused for now; writes each entry's outcome. */
  private async putBatch(batch: readonly PendingEntry[], outcomes: PublishOutcome[]): Promise<void> {
    const attempts = this.options.maxAttempts ?? 4;
    let pending = batch;
    for (let attempt = 1; attempt <= attempts && pending.length > 0; attempt++) {
      if (attempt > 1) {
        const delay =
          this.options.retryDelayMs?.(attempt - 1) ?? 100 * 2 ** (attempt - 2) * (0.5 + Math.random());
        await new Promise((r) => setTimeout(r, delay));
      }
      const result = await this.client.send(new PutEventsCommand({ Entries: pending.map((p) => p.entry) }));
      const retry: PendingEntry[] = [];
      pending.forEach((item, i) => {
        const answer = result.Entries?.[i];
        if (!result.FailedEntryCount || answer?.EventId) {
          outcomes[item.index] = { status: 'accepted' };
          return;
        }
        const code = answer?.ErrorCode ?? 'NoResult';
        const error = `${code}: ${answer?.ErrorMessage ?? 'no result for this entry'}`;
        if (isPermanentPutEventsError(code)) outcomes[item.index] = { status: 'permanent', error };
        else {
          outcomes[item.index] = { status: 'retryable', error };
          retry.push(item);
        }
      });
      pending = retry;
    }
  }
}
