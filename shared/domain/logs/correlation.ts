/**
 * Alert ↔ log correlation: the log lines of an alert's resource around the time it opened (issue
 * #19, LM Logs' "logs of the alerting resource"). The search is bounded like every search (a window
 * of ALERT_LOG_WINDOW around the opening, at most maxLines lines, maxScan records examined), and it is
 * a plain log search (`q`, `from`, `to`), so a client pages on through GET /v1/logs/search with it.
 *
 * The resource is named in the alert's dimensions (the rule's resourceDimension, else the first of
 * DEFAULT_RESOURCE_DIMENSIONS holding the alert's resource value); a log line belongs to it when its
 * resource attribute of that name has that value (native logs' resourceIds, OTLP resource attributes).
 * For a log rule's alert the search is the rule's own query narrowed to the alert's group: the
 * matching lines themselves.
 */
import type { Alert } from '../alerting/alert';
import { isLogRule, logRuleQuery } from '../alerting/log-rule';
import { type AlertRule, DEFAULT_RESOURCE_DIMENSIONS } from '../alerting/rule';
import { formatLogQuery, type LogQuery } from './query';

export const ALERT_LOG_WINDOW = {
  /** Lines from this long before the alert opened… */
  beforeMs: 15 * 60_000,
  /** …to this long after. */
  afterMs: 5 * 60_000,
  maxLines: 50,
  maxScan: 10_000,
} as const;

export interface AlertLogSearch {
  readonly query: LogQuery;
  /** The query as GET /v1/logs/search takes it. */
  readonly q: string;
  readonly fromMs: number;
  readonly toMs: number;
}

/** The resource attribute (name, value) an alert's log lines carry, or undefined when it names no resource. */
export function alertResourceAttribute(
  alert: Pick<Alert, 'dimensions' | 'resource'>,
  rule: Pick<AlertRule, 'resourceDimension'> | undefined,
): readonly [string, string] | undefined {
  const resource = alert.resource;
  if (resource === undefined) return undefined;
  const named = rule?.resourceDimension;
  const name =
    named !== undefined && alert.dimensions[named] === resource
      ? named
      : DEFAULT_RESOURCE_DIMENSIONS.find((n) => alert.dimensions[n] === resource);
  return name === undefined ? undefined : [name, resource];
}

/**
 * The search for an alert's log lines, or undefined when the alert names no resource and is not a
 * log rule's (a search over every resource would not be about the alert).
 */
export function alertLogSearch(
  alert: Pick<Alert, 'dimensions' | 'resource' | 'openedAt'>,
  rule: AlertRule | undefined,
): AlertLogSearch | undefined {
  const openedMs = Date.parse(alert.openedAt);
  const logRule = rule && isLogRule(rule) ? rule : undefined;
  let query: LogQuery;
  let beforeMs: number = ALERT_LOG_WINDOW.beforeMs;
  if (logRule) {
    const own = logRuleQuery(logRule);
    // The group's lines: each groupBy attribute the alert's dimensions hold.
    const group = logRule.log.groupBy.flatMap((name) => {
      const value = alert.dimensions[name];
      return value === undefined ? [] : [[name, value] as const];
    });
    query = { ...own, resource: [...own.resource, ...group] };
    // The lines that made it open lie in the rule's window before the opening.
    beforeMs = Math.max(beforeMs, logRule.windowSeconds * 1000);
  } else {
    const attribute = alertResourceAttribute(alert, rule);
    if (!attribute) return undefined;
    query = { text: [], resource: [attribute], attributes: [] };
  }
  return {
    query,
    q: formatLogQuery(query),
    fromMs: openedMs - beforeMs,
    toMs: openedMs + ALERT_LOG_WINDOW.afterMs,
  };
}
