/**
 * Notifiers of the local platform (and the webhook half of the AWS notifier): real HTTP POSTs with an
 * HMAC signature, retried with backoff; email and SMS written to an outbox file a developer can read;
 * deliveries that fail every retry appended to a dead-letter file, never dropped.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook, webhookBody } from '../../domain/alerting/webhook';
import type { DeadLetters, Delivery, Notifier } from '../../ports/notifier';

export interface WebhookNotifierOptions {
  /** Attempts, first included; default 4. */
  readonly maxAttempts?: number;
  /** Backoff before retry n (1-based); default 200 ms × 3^(n-1) with ±20 % jitter. */
  readonly retryDelayMs?: (attempt: number) => number;
  readonly timeoutMs?: number;
  readonly nowSeconds?: () => number;
  readonly fetch?: typeof fetch;
}

export class DeliveryFailedError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly options: WebhookNotifierOptions = {}) {}

  async deliver({ deliveryId, recipient, detail }: Delivery): Promise<void> {
    if (recipient.type !== 'webhook') throw new DeliveryFailedError(`not a webhook: ${recipient.type}`, true);
    const body = JSON.stringify(
      webhookBody(
        recipient.format ?? 'generic',
        detail,
        recipient.routingKey ? { routingKey: recipient.routingKey } : {},
      ),
    );
    const attempts = this.options.maxAttempts ?? 4;
    const doFetch = this.options.fetch ?? fetch;
    let lastError = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'user-agent': 'observability-platform-notifier/1',
        [EVENT_ID_HEADER]: deliveryId,
      };
      if (recipient.secret) {
        const now = this.options.nowSeconds?.() ?? Math.floor(Date.now() / 1000);
        headers[SIGNATURE_HEADER] = signWebhook(recipient.secret, body, now);
      }
      try {
        const response = await doFetch(recipient.address, {
          method: 'POST',
          headers,
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(this.options.timeoutMs ?? 5000),
        });
        await response.arrayBuffer().catch(() => undefined);
        if (response.ok) return;
        lastError = `HTTP ${response.status}`;
        // A client error other than timeout/throttling will not get better by retrying.
        if (response.status >= 400 && response.status < 500 && ![408, 429].includes(response.status))
          throw new DeliveryFailedError(`webhook refused the notification: ${lastError}`, true);
      } catch (error) {
        if (error instanceof DeliveryFailedError) throw error;
        lastError = (error as Error).message;
      }
      if (attempt < attempts) {
        const base =
          this.options.retryDelayMs?.(attempt) ?? 200 * 3 ** (attempt - 1) * (0.8 + Math.random() * 0.4);
        await new Promise((r) => setTimeout(r, base));
      }
    }
    throw new DeliveryFailedError(`webhook failed after ${attempts} attempts: ${lastError}`, false);
  }
}

/** Email and SMS on the local platform: appended as JSON lines to an outbox file. */
export class OutboxNotifier implements Notifier {
  constructor(private readonly path: string) {}

  async deliver({ deliveryId, recipient, detail }: Delivery): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const { secret: _secret, ...to } = recipient;
    await appendFile(this.path, `${JSON.stringify({ deliveryId, to, detail })}\n`, { mode: 0o600 });
  }
}

/** Failed deliveries, appended as JSON lines (without secrets) for an operator to replay. */
export class FileDeadLetters implements DeadLetters {
  constructor(private readonly path: string) {}

  async park(delivery: Delivery, reason: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const { secret: _secret, ...recipient } = delivery.recipient;
    const line = JSON.stringify({ at: new Date().toISOString(), reason, ...delivery, recipient });
    await appendFile(this.path, `${line}\n`, { mode: 0o600 });
  }
}
