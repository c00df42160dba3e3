/**
 * Webhook bodies and their signature. Three body styles: our generic JSON, Slack's incoming-webhook
 * message (`text` + `attachments` with a severity colour), and PagerDuty Events API v2
 * (`routing_key`, `event_action` trigger/resolve, `dedup_key` = alert id, so PagerDuty dedups too).
 *
 * Signature (Stripe-style): header `x-obs-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>" under the recipient's secret>`. Receivers recompute it, compare in constant time,
 * and refuse timestamps older than a few minutes (replay).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { WebhookFormat } from './escalation';
import { type NotificationRequestedDetail, notificationMessage } from './events';

export const SIGNATURE_HEADER = 'x-obs-signature';
export const EVENT_ID_HEADER = 'x-obs-event-id';

const COLOURS = { warning: '#f2c744', error: '#f28c28', critical: '#d1242f', clear: '#2da44e' } as const;

const GENERIC_TYPE = {
  alert: 'alert.notification',
  clear: 'alert.cleared',
  deescalated: 'alert.deescalated',
} as const;

export function webhookBody(
  format: WebhookFormat,
  detail: NotificationRequestedDetail,
  options: { routingKey?: string } = {},
): unknown {
  switch (format) {
    case 'generic':
      return { type: GENERIC_TYPE[detail.kind], message: notificationMessage(detail), ...detail };
    case 'slack':
      return {
        text: notificationMessage(detail),
        attachments: [
          {
            color: detail.kind === 'clear' ? COLOURS.clear : COLOURS[detail.severity],
            fields: [
              { title: 'Severity', value: detail.severity, short: true },
              { title: 'Rule', value: detail.ruleName, short: true },
              ...(detail.resource ? [{ title: 'Resource', value: detail.resource, short: true }] : []),
              ...(detail.stage === undefined
                ? []
                : [{ title: 'Stage', value: String(detail.stage + 1), short: true }]),
            ],
            ts: Math.floor(Date.parse(detail.at) / 1000),
          },
        ],
      };
    case 'pagerduty':
      return {
        routing_key: options.routingKey ?? '',
        event_action: detail.kind === 'clear' ? 'resolve' : 'trigger',
        dedup_key: detail.alertId,
        payload: {
          summary: notificationMessage(detail).slice(0, 1024),
          source: detail.resource ?? detail.metric,
          severity: detail.severity,
          timestamp: detail.at,
          component: detail.resource,
          group: detail.dimensions['datasource'],
          class: detail.metric,
          custom_details: { ruleId: detail.ruleId, value: detail.value, dimensions: detail.dimensions },
        },
      };
  }
}

export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

/** What a receiver does: recompute and compare in constant time, refusing stale timestamps. */
export function verifyWebhook(
  secret: string,
  body: string,
  header: string | undefined,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? '');
  if (!match) return false;
  const t = Number(match[1]);
  if (Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(signWebhook(secret, body, t).split('v1=')[1] as string, 'hex');
  return timingSafeEqual(expected, Buffer.from(match[2] as string, 'hex'));
}
