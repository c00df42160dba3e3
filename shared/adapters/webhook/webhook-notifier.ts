/**
 * Notifiers of the local platform (and the webhook half of the AWS notifier): real HTTP POSTs with an
 * HMAC signature, retried with backoff; email and SMS written to an outbox file a developer can read;
 * deliveries that fail every retry appended to a dead-letter file, never dropped.
 *
 * A webhook is a request made on a tenant's behalf, so it is fenced (shared/domain/alerting/
 * webhook-address.ts): https only in AWS; the host's every resolved address is checked in the
 * connection's own lookup, so the address connected to is the address checked (no DNS-rebinding
 * window); redirects are not followed; at most 1 MiB of the response is read; each attempt has 10 s
 * in all (connect, TLS, response).
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { appendFile, mkdir } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { dirname } from 'node:path';
import type { Recipient } from '#domain/alerting/escalation';
import { EVENT_ID_HEADER, SIGNATURE_HEADER, signWebhook, webhookBody } from '#domain/alerting/webhook';
import {
  AWS_WEBHOOK_POLICY,
  ipAllowed,
  type WebhookAddressPolicy,
  webhookUrlProblem,
} from '#domain/alerting/webhook-address';
import type { DeadLetters, Delivery, Notifier } from '#ports/notifier';

/** The most of a webhook's response that is read (the status decides; the body is discarded). */
export const WEBHOOK_RESPONSE_CAP_BYTES = 1024 * 1024;
export const WEBHOOK_TIMEOUT_MS = 10_000;

export interface WebhookNotifierOptions {
  /** Attempts, first included; default 4. */
  readonly maxAttempts?: number;
  /** Backoff before retry n (1-based); default 200 ms × 3^(n-1) with ±20 % jitter. */
  readonly retryDelayMs?: (attempt: number) => number;
  /** Everything one attempt may take (connect, TLS, request, response); default 10 s. */
  readonly timeoutMs?: number;
  readonly nowSeconds?: () => number;
  /**
   * Local platform only: allow loopback destinations, plain http included (tests' receivers). Off
   * unless set; the AWS notifier never sets it.
   */
  readonly allowLoopback?: boolean;
  /** Name resolution (default: the system's, dns.lookup); every address it returns is checked. */
  readonly resolve?: typeof dnsLookup;
}

export class DeliveryFailedError extends Error {
  constructor(
    message: string,
    readonly permanent: boolean,
  ) {
    super(message);
  }
}

class RefusedDestinationError extends Error {}

/**
 * A connection lookup that resolves every address of the host and refuses the connection if any of
 * them is not allowed (a name with one public and one private address is refused: which one a
 * connection would use is not ours to choose).
 */
export function guardedLookup(
  policy: WebhookAddressPolicy,
  resolve: typeof dnsLookup = dnsLookup,
): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error, resolved) => {
      if (error) return callback(error, '', 0);
      const addresses = resolved as unknown as LookupAddress[];
      const refused = addresses.find((a) => !ipAllowed(a.address, policy));
      if (refused || addresses.length === 0)
        return callback(
          new RefusedDestinationError(
            `host ${hostname} resolves to an address the platform may not reach (${refused?.address ?? 'none'})`,
          ),
          '',
          0,
        );
      if ((options as { all?: boolean }).all)
        return (callback as never as (e: null, a: LookupAddress[]) => void)(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

export class WebhookNotifier implements Notifier {
  private readonly policy: WebhookAddressPolicy;
  private readonly lookup: LookupFunction;

  constructor(private readonly options: WebhookNotifierOptions = {}) {
    this.policy = options.allowLoopback ? { allowLoopback: true } : AWS_WEBHOOK_POLICY;
    this.lookup = guardedLookup(this.policy, options.resolve);
  }

  async deliver({ deliveryId, recipient, detail }: Delivery): Promise<void> {
    const body = JSON.stringify(
      webhookBody(
        recipient.format ?? 'generic',
        detail,
        recipient.routingKey ? { routingKey: recipient.routingKey } : {},
      ),
    );
    await this.postSigned(deliveryId, recipient, body);
  }

  /**
   * POSTs a JSON body to the recipient's webhook, signed with its secret, retried with backoff; the
   * same fence and retries for every caller (alert deliveries here, security notices in
   * functions/admin/notices.ts). Throws DeliveryFailedError when it could not be delivered.
   */
  async postSigned(deliveryId: string, recipient: Recipient, body: string): Promise<void> {
    if (recipient.type !== 'webhook') throw new DeliveryFailedError(`not a webhook: ${recipient.type}`, true);
    const problem = webhookUrlProblem(recipient.address, this.policy);
    if (problem) throw new DeliveryFailedError(`webhook refused before sending: ${problem}`, true);
    const attempts = this.options.maxAttempts ?? 4;
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
        const status = await this.post(recipient.address, headers, body);
        if (status >= 200 && status < 300) return;
        lastError = `HTTP ${status}`;
        if (status >= 300 && status < 400)
          throw new DeliveryFailedError(
            `webhook answered a redirect (${lastError}); redirects are not followed`,
            true,
          );
        // A client error other than timeout/throttling will not get better by retrying.
        if (status >= 400 && status < 500 && ![408, 429].includes(status))
          throw new DeliveryFailedError(`webhook refused the notification: ${lastError}`, true);
      } catch (error) {
        if (error instanceof DeliveryFailedError) throw error;
        if (error instanceof RefusedDestinationError) throw new DeliveryFailedError(error.message, true);
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

  /** One POST: its status, after reading (and discarding) at most the response cap. */
  private post(address: string, headers: Record<string, string>, body: string): Promise<number> {
    const url = new URL(address);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<number>((resolve, reject) => {
      const request = send(
        url,
        {
          method: 'POST',
          headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          lookup: this.lookup,
          // One connection per delivery: an agent's pooled socket would skip the lookup.
          agent: false,
          signal: AbortSignal.timeout(this.options.timeoutMs ?? WEBHOOK_TIMEOUT_MS),
        },
        (response: IncomingMessage) => {
          const status = response.statusCode ?? 0;
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > WEBHOOK_RESPONSE_CAP_BYTES) {
              // Enough: the status is known; the rest is not ours to buffer.
              response.destroy();
              resolve(status);
            }
          });
          response.on('end', () => resolve(status));
          response.on('error', reject);
          response.on('close', () => resolve(status));
        },
      );
      request.on('error', (error) =>
        reject(
          (error as { cause?: unknown }).cause instanceof RefusedDestinationError
            ? (error as { cause: Error }).cause
            : error,
        ),
      );
      request.end(body);
    });
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
