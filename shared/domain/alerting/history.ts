/**
 * Alert history: every alert a tenant had, with its transitions, acknowledgement, notified stages and
 * the downtime that suppressed it, kept for the tenant's retention (default 13 months; LogicMonitor
 * keeps 30 days to 2 years capped at 10,000 alerts, Alertmanager none). Alerts are listed newest
 * first by when they opened; the filters below narrow a page, and a page reads a bounded number of
 * stored alerts (so a filter that matches rarely answers with fewer items and a cursor, never with
 * unbounded work).
 */
import * as z from '../zod';
import type { Alert } from './alert';
import { resourceNamesOf } from './alert';
import { SEVERITIES } from './thresholds';

/** 13 months of 30.4 days: LogicMonitor's longest default and what the SLA reports look back over. */
export const DEFAULT_HISTORY_RETENTION_DAYS = 396;
/** Stored alerts one page may read before it answers (with a cursor to go on). */
export const MAX_HISTORY_SCAN = 5_000;
export const MAX_HISTORY_PAGE = 1_000;
export const MAX_EXPORT_PAGE = 10_000;

const instant = z.union([
  z.iso.datetime({ offset: true }),
  z.string().check(z.regex(/^\d{1,13}$/, 'must be epoch milliseconds or an ISO-8601 date-time')),
]);
const toMs = (v: string | undefined) =>
  v === undefined ? undefined : /^\d+$/.test(v) ? Number(v) : Date.parse(v);

export const alertHistoryQuerySchema = z
  .pipe(
    z.strictObject({
      /** Opened at or after (epoch ms or ISO-8601). */
      from: z.optional(instant),
      /** Opened before. */
      to: z.optional(instant),
      state: z.optional(z.enum(['open', 'cleared', 'acknowledged', 'suppressed'])),
      severity: z.optional(z.enum(SEVERITIES)),
      ruleId: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
      /** The linked API resource's id or name, or the series' resource value. */
      resource: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
      /** Case-insensitive substring of the rule name, metric, resource or a dimension value. */
      text: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
      limit: z.optional(z.string().check(z.regex(/^\d{1,5}$/, 'must be a positive integer'))),
      cursor: z.optional(z.string().check(z.maxLength(2048))),
      format: z.optional(z.enum(['ndjson', 'csv'])),
    }),
    z.transform((q) => ({
      ...q,
      from: toMs(q.from),
      to: toMs(q.to),
      limit: q.limit === undefined ? undefined : Number(q.limit),
    })),
  )
  .check(
    z.refine((q) => q.from === undefined || q.to === undefined || q.to > q.from, {
      message: 'to must be after from',
      path: ['to'],
    }),
  );
export type AlertHistoryQuery = z.infer<typeof alertHistoryQuerySchema>;

export interface AlertHistoryFilter {
  readonly state?: 'open' | 'cleared' | 'acknowledged' | 'suppressed';
  readonly severity?: string;
  readonly ruleId?: string;
  readonly resource?: string;
  readonly text?: string;
}

/** Whether an alert passes the filters (the time range is the store's key range, not checked here). */
export function matchesHistoryFilter(alert: Alert, filter: AlertHistoryFilter): boolean {
  if (filter.severity !== undefined && alert.severity !== filter.severity) return false;
  if (filter.ruleId !== undefined && alert.ruleId !== filter.ruleId) return false;
  switch (filter.state) {
    case 'open':
    case 'cleared':
      if (alert.status !== filter.state) return false;
      break;
    case 'acknowledged':
      if (alert.acknowledgedAt === undefined) return false;
      break;
    case 'suppressed':
      if (alert.suppressedBy === undefined) return false;
      break;
  }
  if (filter.resource !== undefined && !resourceNamesOf(alert).includes(filter.resource)) return false;
  if (filter.text !== undefined) {
    const needle = filter.text.toLowerCase();
    const haystack = [
      alert.ruleName,
      alert.metric,
      ...resourceNamesOf(alert),
      ...Object.values(alert.dimensions),
    ];
    if (!haystack.some((h) => h.toLowerCase().includes(needle))) return false;
  }
  return true;
}

/** When a cleared alert's history item expires (epoch seconds, DynamoDB's TTL unit); open ones never. */
export function historyExpiry(
  alert: Pick<Alert, 'status' | 'clearedAt' | 'updatedAt'>,
  retentionDays: number,
) {
  if (alert.status !== 'cleared') return undefined;
  const closed = Date.parse(alert.clearedAt ?? alert.updatedAt);
  return Math.floor(closed / 1000) + retentionDays * 86_400;
}

export const CSV_COLUMNS = [
  'alertId',
  'openedAt',
  'clearedAt',
  'status',
  'severity',
  'ruleId',
  'ruleName',
  'metric',
  'resource',
  'resourceName',
  'value',
  'acknowledgedAt',
  'acknowledgedBy',
  'suppressedBy',
  'notifiedStages',
  'transitions',
] as const;

/** RFC 4180 quoting; a leading =, +, - or @ is prefixed with ' so a spreadsheet does not run it. */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

export const csvHeader = () => `${CSV_COLUMNS.join(',')}\r\n`;

export function csvRow(alert: Alert): string {
  const row: Record<(typeof CSV_COLUMNS)[number], unknown> = {
    alertId: alert.alertId,
    openedAt: alert.openedAt,
    clearedAt: alert.clearedAt,
    status: alert.status,
    severity: alert.severity,
    ruleId: alert.ruleId,
    ruleName: alert.ruleName,
    metric: alert.metric,
    resource: alert.resource,
    resourceName: alert.resourceName,
    value: alert.value,
    acknowledgedAt: alert.acknowledgedAt,
    acknowledgedBy: alert.acknowledgedBy,
    suppressedBy: alert.suppressedBy,
    notifiedStages: alert.escalation?.notifiedStages.join(' '),
    transitions: alert.history.length,
  };
  return `${CSV_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`;
}
