/**
 * The events alerting puts on the bus. Producer (the evaluator) and consumers (the notifier, EventBridge
 * rules in CDK, the local bus) all use these constants and schemas; the JSON Schema of each detail is
 * generated from the same zod schema (see `ALERT_EVENT_JSON_SCHEMAS`, documented in docs/alerting.md).
 *
 * - `Alert State Changed`: every transition of every alert (opened, escalated, de-escalated, cleared,
 *   acknowledged), including suppressed and dependent ones: history and the cross-region copy want all.
 *   `notify` says whether it is meant for people.
 * - `Alert Notification Requested`: one escalation stage of one alert is due (or, with `kind: clear`,
 *   the recipients of the stages already notified get the clear). The notifier delivers it.
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

export const notificationRequestedDetailSchema = z.object({
  ...alertSummary,
  kind: z.enum(['alert', 'clear']),
  chainId: z.string(),
  /** `alert`: the stage to notify; `clear`: absent. */
  stage: z.optional(z.number().check(z.int(), z.gte(0))),
  /** `clear`: the stages whose recipients were notified. */
  notifiedStages: z.optional(z.array(z.number().check(z.int(), z.gte(0)))),
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
 * transition (type, severity, time) or the notification (kind, chain, stage, time). 128 bits of SHA-256.
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
          d.at,
        ];
  return createHash('sha256')
    .update([event.detailType, d.tenantId, d.alertId, ...what].join('\u0000'))
    .digest('hex')
    .slice(0, 32);
}

/** The event with its `eventId` set (kept when already there). */
export function withEventId(event: AlertBusEvent): AlertBusEvent {
  if (event.detail.eventId) return event;
  return { ...event, detail: { ...event.detail, eventId: alertEventId(event) } } as AlertBusEvent;
}

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
