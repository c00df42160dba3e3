/**
 * Drains the write-ahead queue to the platform, oldest first: gzip bodies, an Idempotency-Key per
 * request derived from the batch's place in the queue (a resend after a lost answer is stored once),
 * exponential backoff with full jitter, at least Retry-After on 429/503. A batch leaves the queue only
 * once every request of it was answered 2xx, or refused for good (4xx other than 401/403/408/429,
 * counted and logged). One log line per state change: connected, buffering, draining.
 */
import { gzipSync } from 'node:zlib';
import { type HttpAnswer, httpCall } from './http-request';
import type { Logger } from './log';
import { type Delivery, metricsDelivery, type QueuedRecord } from './records';
import type { WalBatch, WriteAheadQueue } from './wal';

export type SenderState = 'connected' | 'buffering' | 'draining';

export interface SenderOptions {
  readonly url: string;
  readonly key: string;
  readonly queue: WriteAheadQueue;
  readonly logger: Logger;
  readonly batchRecords?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  readonly requestTimeoutMs?: number;
  readonly random?: () => number;
  readonly deliveries?: Record<string, Delivery>;
  /** On stop, how long it keeps sending what is queued while the platform accepts it (default 5 s). */
  readonly flushOnStopMs?: number;
}

export interface SenderStats {
  state: SenderState;
  sentItems: number;
  rejectedItems: number;
  sendFailures: number;
}

type Outcome = { ok: true } | { ok: false; retryAfterMs?: number; reason: string };

export function backoffDelayMs(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** Math.min(attempt, 30)));
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, nowMs = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}

export class Sender {
  readonly stats: SenderStats = { state: 'connected', sentItems: 0, rejectedItems: 0, sendFailures: 0 };
  readonly #options: SenderOptions;
  readonly #deliveries: Record<string, Delivery>;
  #stopped = false;
  #wake: (() => void) | undefined;

  constructor(options: SenderOptions) {
    this.#options = options;
    this.#deliveries = { metrics: metricsDelivery, ...options.deliveries };
    options.queue.onAppend(() => this.#wake?.());
  }

  /** A delivery for another record kind (e.g. the syslog receiver's). */
  register(kind: string, delivery: Delivery): void {
    this.#deliveries[kind] = delivery;
  }

  stop(): void {
    this.#stopped = true;
    this.#wake?.();
  }

  async run(): Promise<void> {
    const { queue, logger } = this.#options;
    const batchRecords = this.#options.batchRecords ?? 500;
    const base = this.#options.backoffBaseMs ?? 500;
    const cap = this.#options.backoffCapMs ?? 60_000;
    const random = this.#options.random ?? Math.random;
    let attempt = 0;
    while (!this.#stopped) {
      const batch = queue.next(batchRecords);
      if (!batch) {
        if (this.stats.state === 'draining') this.#setState('connected', 'queue drained');
        await this.#sleep(60_000);
        continue;
      }
      const outcome = await this.#deliver(batch);
      if (outcome.ok) {
        queue.ack(batch);
        attempt = 0;
        if (this.stats.state === 'buffering') this.#setState('draining', 'platform reachable again');
        else if (this.stats.state === 'connected' && queue.depth > batchRecords)
          this.#setState('draining', 'backlog');
        continue;
      }
      this.stats.sendFailures++;
      if (this.stats.state !== 'buffering') this.#setState('buffering', outcome.reason);
      const delay = Math.max(backoffDelayMs(attempt++, base, cap, random), outcome.retryAfterMs ?? 0);
      logger.log('debug', 'send failed, retrying', {
        reason: outcome.reason,
        delayMs: delay,
        depth: queue.depth,
      });
      await this.#sleep(delay);
    }
    // A graceful stop (systemd's SIGTERM) sends what is still queued while the platform takes it, so
    // the polls of the last moments are not left on disk until the next start. Never retried here.
    const deadline = Date.now() + (this.#options.flushOnStopMs ?? 5000);
    while (Date.now() < deadline) {
      const batch = queue.next(batchRecords);
      if (!batch || !(await this.#deliver(batch)).ok) break;
      queue.ack(batch);
    }
  }

  #setState(state: SenderState, reason: string): void {
    const { queue, logger } = this.#options;
    this.stats.state = state;
    logger.log(state === 'buffering' ? 'warn' : 'info', `delivery ${state}`, {
      state,
      reason,
      depth: queue.depth,
      dropped: queue.dropped,
    });
  }

  #sleep(ms: number): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = undefined;
        done();
      };
    });
  }

  async #deliver(batch: WalBatch): Promise<Outcome> {
    const { logger } = this.#options;
    const byKind = new Map<string, QueuedRecord[]>();
    for (const raw of batch.records) {
      let record: QueuedRecord;
      try {
        record = JSON.parse(raw.toString('utf8')) as QueuedRecord;
      } catch {
        this.stats.rejectedItems++;
        continue;
      }
      const list = byKind.get(record.kind) ?? [];
      list.push(record);
      byKind.set(record.kind, list);
    }
    let index = 0;
    for (const [kind, records] of byKind) {
      const delivery = this.#deliveries[kind];
      if (!delivery) {
        // A record only a newer collector knows how to send: keep it until one does.
        return { ok: false, reason: `no delivery for record kind ${kind}` };
      }
      for (const request of delivery(records)) {
        const outcome = await this.#send(request.path, request.body, `${batch.key}-${index++}`);
        if (outcome === 'rejected') {
          this.stats.rejectedItems += request.items;
          logger.log('warn', 'platform refused records for good; dropped', { kind, items: request.items });
        } else if (outcome !== 'ok') return outcome;
        else this.stats.sentItems += request.items;
      }
    }
    return { ok: true };
  }

  async #send(path: string, body: unknown, idempotencyKey: string): Promise<'ok' | 'rejected' | Outcome> {
    const { url, key, logger } = this.#options;
    let response: HttpAnswer;
    try {
      response = await httpCall(new URL(path, url), {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'idempotency-key': idempotencyKey,
        },
        body: gzipSync(JSON.stringify(body)),
        timeoutMs: this.#options.requestTimeoutMs ?? 15_000,
      });
    } catch (error) {
      return { ok: false, reason: `unreachable: ${(error as Error).message}` };
    }
    const text = response.body;
    if (response.status >= 200 && response.status <= 299) {
      const rejected = rejectedCount(text);
      if (rejected > 0) {
        this.stats.rejectedItems += rejected;
        logger.log('warn', 'platform rejected some values', { rejected, detail: text.slice(0, 300) });
      }
      return 'ok';
    }
    const status = response.status;
    if (status === 429 || status === 408 || status === 401 || status === 403 || status >= 500) {
      return {
        ok: false,
        reason: `HTTP ${status}`,
        retryAfterMs: retryAfterMs(response.header('retry-after') ?? null),
      };
    }
    logger.log('warn', 'platform refused a request', { status, detail: text.slice(0, 300) });
    return 'rejected';
  }
}

function rejectedCount(text: string): number {
  try {
    const parsed = JSON.parse(text) as { rejected?: unknown[] };
    return Array.isArray(parsed.rejected) ? parsed.rejected.length : 0;
  } catch {
    return 0;
  }
}
