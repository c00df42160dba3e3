/**
 * The events alerting puts on the bus. Producer (the evaluator) and consumers (the notifier, EventBridge
 * rules in CDK, the local bus) all use these constants and schemas; the JSON Schema of each detail is
 * generated from the same zod schema (see `ALERT_EVENT_JSON_SCHEMAS`, documented in docs/alerting.md).
 *
 * - `Alert State Changed`: every transition of every alert (opened, escalated, de-escalated, cleared,
 *   acknowledged), including suppressed and dependent ones: history and the cross-region copy want all.
 *   `notify` says whether it is meant for people.
 * - `Alert Notification Requested`: one escalation stage of one alert is due (or, with `kind: clear`,
 *   the recipients of the stages already notified get the clear; with `kind: deescalated`, they hear
 *   the alert turned less severe, where the chain asks for it). The notifier delivers it. Its
 *   `severity` is the alert's severity now, which the EventBridge rules route on: an escalation to
 *   critical travels the critical route, as a new critical alert would.
 */
import { createHash } from 'node:crypto';
import * as z from '../zod';
import type { Alert } from './alert';
import { SEVERITIES } from './thresholds';

export const ALERT_EVENT_SOURCE = 'observability.alerting';
export const DETAIL_TYPE = {
  stateChanged: 'Alert State Changed',
  notificationRequested: 'Alert Notification Requested',
} as const;
export type AlertDetailType = (typeof DETAIL_TYPE)[keyof typeof DETAIL_TYPE];
export const ALERT_EVENT_VERSION = 1;

const alertSummary = {
  version: z.literal(ALERT_EVENT_VERSION),
  tenantId: z.string(),
  alertId: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  severity: z.enum(SEVERITIES),
  metric: z.string(),
  dimensions: z.record(z.string(), z.string()),
  resource: z.optional(z.string()),
  /** The API resource the series is linked to, and its name. */
  resourceId: z.optional(z.string()),
  resourceName: z.optional(z.string()),
  value: z.optional(z.number()),
  status: z.enum(['open', 'cleared']),
  openedAt: z.string(),
  incidentId: z.optional(z.string()),
  dependentOn: z.optional(z.string()),
  suppressedBy: z.optional(z.string()),
  /** Whether people should hear of it (false in downtime, for dependent alerts). */
  notify: z.boolean(),
  /**
   * Stable id of what the event describes (`alertEventId`): the same transition or notification
   * published twice (outbox retry, EventBridge at-least-once) carries the same id, so consumers
   * deduplicate on it. Optional only for events published before it existed.
   */
  eventId: z.optional(z.string()),
};

export const alertStateChangedDetailSchema = z.object({
  ...alertSummary,
  transition: z.enum(['opened', 'escalated', 'deescalated', 'cleared', 'acknowledged']),
  previousSeverity: z.optional(z.enum(SEVERITIES)),
  at: z.string(),
});
export type AlertStateChangedDetail = z.infer<typeof alertStateChangedDetailSchema>;

export const NOTIFICATION_KINDS = ['alert', 'clear', 'deescalated'] as const;

export const notificationRequestedDetailSchema = z.object({
  ...alertSummary,
  kind: z.enum(NOTIFICATION_KINDS),
  chainId: z.string(),
  /** `alert`: the stage to notify; otherwise absent. */
  stage: z.optional(z.number().check(z.int(), z.gte(0))),
  /** `clear`, `deescalated`: the stages whose recipients were notified. */
  notifiedStages: z.optional(z.array(z.number().check(z.int(), z.gte(0)))),
  /**
   * The transition the notification follows, as its index in the alert's history (`alert`: the one
   * that started the chain's run, 0 for the opening). With the alert, kind, chain and stage it makes
   * the event id, so concurrent evaluators sending the same stage send the same event.
   */
  sequence: z.optional(z.number().check(z.int(), z.gte(0))),
  /** After a severity change: the severity (and value) the alert changed from. */
  previousSeverity: z.optional(z.enum(SEVERITIES)),
  previousValue: z.optional(z.number()),
  at: z.string(),
});
export type NotificationRequestedDetail = z.infer<typeof notificationRequestedDetailSchema>;

export type AlertBusEvent =
  | { readonly detailType: typeof DETAIL_TYPE.stateChanged; readonly detail: AlertStateChangedDetail }
  | {
      readonly detailType: typeof DETAIL_TYPE.notificationRequested;
      readonly detail: NotificationRequestedDetail;
    };

// Pure: a bundle that never reads the documented schemas drops them and zod's JSON Schema generator.
export const ALERT_EVENT_JSON_SCHEMAS = /* @__PURE__ */ (() => ({
  [DETAIL_TYPE.stateChanged]: z.toJSONSchema(alertStateChangedDetailSchema),
  [DETAIL_TYPE.notificationRequested]: z.toJSONSchema(notificationRequestedDetailSchema),
}))();

export function alertSummaryOf(alert: Alert, notify: boolean) {
  return {
    version: ALERT_EVENT_VERSION as typeof ALERT_EVENT_VERSION,
    tenantId: alert.tenantId,
    alertId: alert.alertId,
    ruleId: alert.ruleId,
    ruleName: alert.ruleName,
    severity: alert.severity,
    metric: alert.metric,
    dimensions: { ...alert.dimensions },
    ...(alert.resource === undefined ? {} : { resource: alert.resource }),
    ...(alert.resourceId === undefined ? {} : { resourceId: alert.resourceId }),
    ...(alert.resourceName === undefined ? {} : { resourceName: alert.resourceName }),
    ...(alert.value === undefined ? {} : { value: alert.value }),
    status: alert.status,
    openedAt: alert.openedAt,
    ...(alert.incidentId ? { incidentId: alert.incidentId } : {}),
    ...(alert.dependentOn ? { dependentOn: alert.dependentOn } : {}),
    ...(alert.suppressedBy ? { suppressedBy: alert.suppressedBy } : {}),
    notify,
  };
}

/**
 * The event's id, deterministic from what it describes: tenant, alert, detail type, and the
 * transition (type, severity, time) or the notification (kind, chain, stage, and either the
 * transition's `sequence` or, for events from before it, the time). A notification with a sequence
 * names the rule, the alert (one rule × series episode), the severity and the transition, not the
 * moment an evaluator happened to send it: two evaluators sending the same stage of the same run
 * produce the same id, and the notifier's ledger sends it once. 128 bits of SHA-256.
 */
export function alertEventId(event: AlertBusEvent): string {
  const d = event.detail;
  const what =
    event.detailType === DETAIL_TYPE.stateChanged
      ? [event.detail.transition, d.severity, event.detail.previousSeverity ?? '', d.at]
      : [
          event.detail.kind,
          event.detail.chainId,
          String(event.detail.stage ?? ''),
          (event.detail.notifiedStages ?? []).join(','),
          ...(event.detail.sequence === undefined
            ? [d.at]
            : [d.ruleId, d.severity, `#${event.detail.sequence}`]),
        ];
  return createHash('sha256')
    .update([event.detailType, d.tenantId, d.alertId, ...what].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** EventBridge's limit on one PutEvents entry (and one request): 256 KiB. The local bus keeps it too. */
export const MAX_BUS_ENTRY_BYTES = 256 * 1024;

/** The `resources` entry naming the event's tenant (rules can route on it without reading the detail). */
export const tenantResourceOf = (event: AlertBusEvent) => `tenant/${event.detail.tenantId}`;

/** An event's size as EventBridge counts a PutEvents entry: source, detail-type, detail and resources in UTF-8. */
export const busEntryBytes = (event: AlertBusEvent): number =>
  Buffer.byteLength(ALERT_EVENT_SOURCE) +
  Buffer.byteLength(event.detailType) +
  Buffer.byteLength(JSON.stringify(event.detail)) +
  Buffer.byteLength(tenantResourceOf(event));

/** The event with its `eventId` set (kept when already there). */
export function withEventId(event: AlertBusEvent): AlertBusEvent {
  if (event.detail.eventId) return event;
  return { ...event, detail: { ...event.detail, eventId: alertEventId(event) } } as AlertBusEvent;
}

/**
 * The EventBridge pattern of the notification requests of one severity meant for people (not in
 * downtime, not dependent): the CDK rule per severity and the local bus's rules are this pattern.
 * A request carries the alert's severity now, so an escalation to critical matches the critical rule.
 */
export const notificationPattern = (severity: (typeof SEVERITIES)[number]) => ({
  source: [ALERT_EVENT_SOURCE],
  'detail-type': [DETAIL_TYPE.notificationRequested],
  detail: { severity: [severity], notify: [true] },
});

/** The EventBridge envelope fields a pattern sees (local bus and tests build the same shape). */
export interface BusEnvelope<D = unknown> {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: D;
}

/** The severity change a notification reports, in words ("escalated from warning to critical: 65 → 95"). */
function changeText(d: NotificationRequestedDetail): string | undefined {
  if (!d.previousSeverity) return undefined;
  const verb = d.kind === 'deescalated' ? 'de-escalated' : 'escalated';
  const values =
    d.previousValue !== undefined && d.value !== undefined ? `: ${d.previousValue} → ${d.value}` : '';
  return `${verb} from ${d.previousSeverity} to ${d.severity}${values}`;
}

/** The one-line text of a notification (webhook `message`, Slack and PagerDuty summaries, e-mail subject). */
export function notificationMessage(d: NotificationRequestedDetail): string {
  const where = d.resourceName ?? d.resource ?? Object.values(d.dimensions).join('/');
  const what = `${d.ruleName}: ${d.metric}${d.value === undefined ? '' : ` = ${d.value}`} on ${where}`;
  const change = changeText(d);
  const state = d.kind === 'clear' ? 'CLEARED' : d.severity.toUpperCase();
  return `[${state}] ${what}${change ? ` (${change})` : ''}`;
}
