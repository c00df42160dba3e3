/**
 * The alerts function's routes as /openapi.json describes them: the permission each one checks and
 * the zod schemas its handler validates with (functions/alerts/app.ts).
 */
import { downtimeInputSchema, downtimePatchSchema } from '#domain/alerting/downtime';
import { escalationChainInputSchema } from '#domain/alerting/escalation';
import { alertHistoryQuerySchema } from '#domain/alerting/history';
import { everyAlertRuleInputSchema } from '#domain/alerting/log-rule';
import { recurrenceSchema } from '#domain/alerting/recurrence';
import { alertRouteInputSchema } from '#domain/alerting/routing';
import { SEVERITIES } from '#domain/alerting/thresholds';
import { INCIDENT_SEVERITIES, INCIDENT_STATUSES, noticeChannelsInputSchema } from '#domain/notices';
import { slaReportInputSchema } from '#domain/reports/sla';
import * as z from '#domain/zod';
import type { OperationDoc } from '#http/operations';
import { noticeListQuery } from './notice-routes';
import { REPORT_SCHEDULE_OPERATIONS } from './report-schedule-routes';

export const listAlertsQuery = z.strictObject({
  status: z.optional(z.enum(['open', 'cleared'])),
  /** The open alerts of one API resource (linked by any identity its series were pushed with). */
  resourceId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
  limit: z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 50),
  cursor: z.optional(z.string().check(z.maxLength(2048))),
});

const stamps = { createdAt: z.string(), updatedAt: z.string() };
const ruleView = z.looseObject({
  ruleId: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  threshold: z.optional(z.string()),
  escalationChainId: z.optional(z.string()),
  ...stamps,
});
const chainView = z.looseObject({
  chainId: z.string(),
  name: z.string(),
  stages: z.array(z.object({ recipients: z.array(z.looseObject({ type: z.string() })) })),
  stageIntervalSeconds: z.number(),
  notifyOnDeescalation: z.optional(z.boolean()),
  ...stamps,
});
const downtimeView = z.looseObject({
  downtimeId: z.string(),
  name: z.string(),
  startsAt: z.string(),
  endsAt: z.optional(z.string()),
  recurrence: z.optional(recurrenceSchema),
  nextWindows: z.array(z.object({ startsAt: z.string(), endsAt: z.string() })),
  version: z.number().check(z.int(), z.describe('Send it back in If-Match to change only this version')),
});
const routeView = z.looseObject({
  routeId: z.string(),
  name: z.string(),
  priority: z.number(),
  escalationChainId: z.string(),
  ...stamps,
});
const alertView = z.looseObject({
  alertId: z.string(),
  ruleId: z.string(),
  ruleName: z.string(),
  metric: z.string(),
  dimensions: z.record(z.string(), z.string()),
  status: z.enum(['open', 'cleared']),
  severity: z.enum(SEVERITIES),
  openedAt: z.string(),
  updatedAt: z.string(),
  resource: z.optional(z.string()),
  /** The API resource the series is linked to (by any of its identifying properties), and its name. */
  resourceId: z.optional(z.string()),
  resourceName: z.optional(z.string()),
  /** How its notifications were routed: the rule's own chain, a routing rule, or not at all. */
  routing: z.optional(
    z.looseObject({
      by: z.enum(['rule', 'route', 'unrouted']),
      routeId: z.optional(z.string()),
      chainId: z.optional(z.string()),
    }),
  ),
});

/** An alert's detail: with its resource's log lines around its opening when the caller may read logs. */
const alertDetailView = z.extend(alertView, {
  logs: z.optional(
    z
      .object({
        q: z.string(),
        from: z.string(),
        to: z.string(),
        items: z.array(
          z.looseObject({ id: z.string(), timestamp: z.string(), severity: z.string(), message: z.string() }),
        ),
        more: z.boolean(),
      })
      .check(
        z.describe(
          'the log lines of the alert’s resource (a log rule’s: its matching lines) around its opening; more: GET /v1/logs/search with q, from, to',
        ),
      ),
  ),
});

const errors = { 401: null, 403: null, 404: null, 422: null } as const;
const notices = { auth: 'tenant', permission: 'notices:manage' } as const;
const noticeView = z.looseObject({
  incidentId: z.string(),
  title: z.string(),
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z.enum(INCIDENT_STATUSES),
  updates: z.array(z.object({ seq: z.number(), status: z.string(), text: z.string(), at: z.string() })),
  receivedAt: z.string(),
  deliveries: z.array(
    z.looseObject({ seq: z.number(), channel: z.string(), status: z.enum(['queued', 'sent', 'failed']) }),
  ),
  acknowledged: z.boolean(),
  acknowledgedAt: z.optional(z.string()),
});
const noticeChannelsView = z.object({
  recipients: z.array(z.looseObject({ type: z.string(), address: z.string(), hasSecret: z.boolean() })),
});
const read = { auth: 'tenant', permission: 'alerts:read' } as const;
const write = { auth: 'tenant', permission: 'alerts:write' } as const;

export const ALERTS_OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'POST',
    path: '/v1/alert-routes',
    summary: 'Create an alert routing rule (ordered by priority, first match wins)',
    ...write,
    body: alertRouteInputSchema,
    responses: { 201: routeView, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/alert-routes',
    summary: 'List alert routing rules in priority order',
    ...read,
    responses: { 200: z.object({ routes: z.array(routeView) }), ...errors },
  },
  {
    method: 'GET',
    path: '/v1/alert-routes/{routeId}',
    summary: 'Get an alert routing rule',
    ...read,
    responses: { 200: routeView, ...errors },
  },
  {
    method: 'PUT',
    path: '/v1/alert-routes/{routeId}',
    summary: 'Replace an alert routing rule',
    ...write,
    body: alertRouteInputSchema,
    responses: { 200: routeView, ...errors },
  },
  {
    method: 'DELETE',
    path: '/v1/alert-routes/{routeId}',
    summary: 'Delete an alert routing rule',
    ...write,
    responses: { 204: null, ...errors },
  },
  {
    method: 'POST',
    path: '/v1/alert-rules',
    summary: 'Create an alert rule',
    ...write,
    body: everyAlertRuleInputSchema,
    responses: { 201: ruleView, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/alert-rules',
    summary: 'List alert rules',
    ...read,
    responses: { 200: z.object({ rules: z.array(ruleView) }), ...errors },
  },
  {
    method: 'GET',
    path: '/v1/alert-rules/{ruleId}',
    summary: 'Get an alert rule',
    ...read,
    responses: { 200: ruleView, ...errors },
  },
  {
    method: 'PUT',
    path: '/v1/alert-rules/{ruleId}',
    summary: 'Replace an alert rule',
    ...write,
    body: everyAlertRuleInputSchema,
    responses: { 200: ruleView, ...errors },
  },
  {
    method: 'DELETE',
    path: '/v1/alert-rules/{ruleId}',
    summary: 'Delete an alert rule and its series states',
    ...write,
    responses: { 204: null, ...errors },
  },
  {
    method: 'POST',
    path: '/v1/escalation-chains',
    summary: 'Create an escalation chain (webhook secrets are write-only)',
    ...write,
    body: escalationChainInputSchema,
    responses: { 201: chainView, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/escalation-chains',
    summary: 'List escalation chains',
    ...read,
    responses: { 200: z.object({ chains: z.array(chainView) }), ...errors },
  },
  {
    method: 'GET',
    path: '/v1/escalation-chains/{chainId}',
    summary: 'Get an escalation chain',
    ...read,
    responses: { 200: chainView, ...errors },
  },
  {
    method: 'PUT',
    path: '/v1/escalation-chains/{chainId}',
    summary: 'Replace an escalation chain',
    ...write,
    body: escalationChainInputSchema,
    responses: { 200: chainView, ...errors },
  },
  {
    method: 'DELETE',
    path: '/v1/escalation-chains/{chainId}',
    summary: 'Delete an escalation chain',
    ...write,
    responses: { 204: null, ...errors },
  },
  {
    method: 'POST',
    path: '/v1/downtimes',
    summary: 'Schedule a downtime',
    ...write,
    body: downtimeInputSchema,
    responses: { 201: downtimeView, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/downtimes',
    summary: 'List downtimes',
    ...read,
    responses: { 200: z.object({ downtimes: z.array(downtimeView) }), ...errors },
  },
  {
    method: 'PATCH',
    path: '/v1/downtimes/{downtimeId}',
    summary:
      'Change a downtime (merge patch: null removes a field; If-Match: only the version you read, else 409)',
    ...write,
    body: downtimePatchSchema,
    responses: { 200: downtimeView, 409: null, ...errors },
  },
  {
    method: 'DELETE',
    path: '/v1/downtimes/{downtimeId}',
    summary: 'Delete a downtime',
    ...write,
    responses: { 204: null, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/alerts',
    summary: 'List alerts, newest first',
    ...read,
    query: listAlertsQuery,
    responses: { 200: z.object({ alerts: z.array(alertView), cursor: z.optional(z.string()) }), ...errors },
  },
  {
    method: 'GET',
    path: '/v1/alerts/history',
    summary: 'Alert history within the retention, newest first by opening time, filtered and paged',
    ...read,
    query: alertHistoryQuerySchema,
    responses: {
      200: z.object({ alerts: z.array(alertView), scanned: z.number(), cursor: z.optional(z.string()) }),
      ...errors,
    },
  },
  {
    method: 'GET',
    path: '/v1/alerts/history/export',
    summary: 'Export alert history as NDJSON or CSV, a page at a time (Link rel="next" carries the cursor)',
    ...read,
    query: alertHistoryQuerySchema,
    responses: { 200: z.string(), ...errors },
  },
  {
    method: 'POST',
    path: '/v1/reports/sla',
    summary:
      'Availability over a period with scheduled downtime excluded (JSON, or a PDF with a timeline chart when format is pdf)',
    ...read,
    body: slaReportInputSchema,
    responses: {
      200: z.looseObject({
        averageAvailability: z.nullable(z.number()),
        allOkAvailability: z.nullable(z.number()),
        resources: z.array(z.looseObject({ resource: z.string(), availability: z.nullable(z.number()) })),
      }),
      ...errors,
    },
  },
  ...REPORT_SCHEDULE_OPERATIONS,
  {
    method: 'GET',
    path: '/v1/report-files/{token}',
    summary:
      "A scheduled report's PDF by the link its e-mail carries (no bearer token: the link's signed token, valid 30 days, " +
      'is the credential); 302 to a 5-minute download URL, or the PDF; 404 for an altered token, 410 once expired',
    auth: 'public',
    responses: { 200: { binary: 'application/pdf' }, 302: null, 404: null, 410: null },
  },
  {
    method: 'GET',
    path: '/v1/alerts/{alertId}',
    summary: 'Get an alert with its history and its resource’s log lines around its opening',
    ...read,
    responses: { 200: alertDetailView, ...errors },
  },
  {
    method: 'POST',
    path: '/v1/alerts/{alertId}/ack',
    summary: 'Acknowledge an alert (stops its escalation)',
    ...write,
    responses: { 200: alertView, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/notices',
    summary:
      "The provider's security-incident notices to this tenant, newest first (unacknowledged=true: those not acknowledged since their latest update); admins only",
    ...notices,
    query: noticeListQuery,
    responses: {
      200: z.object({ items: z.array(noticeView), nextCursor: z.optional(z.string()) }),
      ...errors,
    },
  },
  {
    method: 'POST',
    path: '/v1/notices/{incidentId}/ack',
    summary: 'Acknowledge a notice up to its latest update (recorded in the tenant and provider audit logs)',
    ...notices,
    responses: { 200: noticeView, 409: null, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/notice-channels',
    summary: 'Where the tenant admins receive security notices (e-mail, webhook); secrets are write-only',
    ...notices,
    responses: { 200: noticeChannelsView, ...errors },
  },
  {
    method: 'PUT',
    path: '/v1/notice-channels',
    summary: 'Replace the notice channels (at most 10; webhooks signed when they have a secret)',
    ...notices,
    body: noticeChannelsInputSchema,
    responses: { 200: noticeChannelsView, ...errors },
  },
];
