/**
 * The in-process twin of an EventBridge custom bus: rules with event patterns (EventBridge syntax,
 * event-bus-pattern.ts) and targets called asynchronously, retried with backoff, and parked in a
 * dead-letter list when every attempt fails, as EventBridge does with a target's DLQ.
 */
import { randomUUID } from 'node:crypto';
import {
  ALERT_EVENT_SOURCE,
  type AlertBusEvent,
  type BusEnvelope,
  busEntryBytes,
  MAX_BUS_ENTRY_BYTES,
} from '#domain/alerting/events';
import { ACCEPTED, type AlertBus, type PublishOutcome } from '#ports/event-bus';
import { matchesPattern, validatePattern } from './event-bus-pattern';

export type BusTarget = (event: BusEnvelope) => Promise<void>;

export interface BusRule {
  readonly name: string;
  readonly pattern: object;
  readonly target: BusTarget;
  /** Attempts per event, first included; default 3. */
  readonly maxAttempts?: number;
}

export interface DeadLetteredEvent {
  readonly rule: string;
  readonly event: BusEnvelope;
  readonly error: string;
}

export interface LocalEventBusOptions {
  readonly region?: string;
  readonly account?: string;
  /** Backoff before retry n (1-based); default 100 ms × 2^(n-1). */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly onDeadLetter?: (entry: DeadLetteredEvent) => void;
}

export class LocalEventBus implements AlertBus {
  private readonly rules: BusRule[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  readonly deadLetters: DeadLetteredEvent[] = [];

  constructor(private readonly options: LocalEventBusOptions = {}) {}

  addRule(rule: BusRule): void {
    validatePattern(rule.pattern);
    this.rules.push(rule);
  }

  /** Refuses, as EventBridge does, an entry over 256 KiB for good; puts every other event. */
  async publish(events: readonly AlertBusEvent[]): Promise<PublishOutcome[]> {
    return events.map((e) => {
      const size = busEntryBytes(e);
      if (size > MAX_BUS_ENTRY_BYTES)
        return { status: 'permanent', error: `EntryTooLarge: ${size} bytes, over ${MAX_BUS_ENTRY_BYTES}` };
      this.putEvent(ALERT_EVENT_SOURCE, e.detailType, e.detail);
      return ACCEPTED;
    });
  }

  /** PutEvents for one entry: builds the envelope and hands it to every matching rule's target. */
  putEvent(source: string, detailType: string, detail: unknown): BusEnvelope {
    const envelope: BusEnvelope = {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source,
      account: this.options.account ?? '000000000000',
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region ?? 'local',
      resources: [],
      detail,
    };
    for (const rule of this.rules) {
      if (!matchesPattern(rule.pattern, envelope)) continue;
      const delivery = this.deliver(rule, envelope);
      this.inFlight.add(delivery);
      delivery.finally(() => this.inFlight.delete(delivery));
    }
    return envelope;
  }

  /** Resolves when every delivery in flight (and any it caused) has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private async deliver(rule: BusRule, event: BusEnvelope): Promise<void> {
    await Promise.resolve();
    const attempts = rule.maxAttempts ?? 3;
    let lastError: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        await rule.target(event);
        return;
      } catch (error) {
        lastError = error;
        if (attempt < attempts) {
          const delay = this.options.retryDelayMs?.(attempt) ?? 100 * 2 ** (attempt - 1);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }
    const entry = { rule: rule.name, event, error: String((lastError as Error)?.message ?? lastError) };
    this.deadLetters.push(entry);
    this.options.onDeadLetter?.(entry);
  }
}
