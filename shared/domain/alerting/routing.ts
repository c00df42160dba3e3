/**
 * Alert routing rules, in LogicMonitor's shape: ordered by `priority` (lowest number first, first
 * match wins), each matching on severity, resource (name, group, properties), datasource, metric and
 * alert rule, and naming the escalation chain its alerts go to. An alert no route matches is recorded,
 * published and shown (`routing: {by: 'unrouted'}`), but nobody is notified (LogicMonitor's
 * behaviour).
 *
 * Precedence: an alert rule's own `escalationChainId` is the most specific statement and wins; the
 * routes decide for the alerts of rules without one. Routing is decided when the alert opens and again
 * at every escalation to a worse severity (so a warning that turns critical goes where a new critical
 * alert would); de-escalation keeps the chain already running.
 *
 * Patterns (names, groups, property values, datasource, metric) are globs: `*` matches any run of
 * characters, everything else itself, case-insensitively (as LogicMonitor's alert rules).
 */
import type { Dimensions } from '../metrics';
import type { LinkedResource } from '../resource-identity';
import * as z from '../zod';
import { SEVERITIES, type Severity } from './thresholds';

export interface RouteMatch {
  /** Any of these severities (absent: every severity). */
  readonly severities?: readonly Severity[];
  readonly resource?: {
    /** Globs on the linked resource's name, or on the series' resource value when it is not linked. */
    readonly names?: readonly string[];
    /** Globs; the linked resource is in one of the groups matching any of them. */
    readonly groups?: readonly string[];
    /** Every named property of the linked resource matches its glob. */
    readonly properties?: Readonly<Record<string, string>>;
  };
  /** Glob on the series' `datasource` dimension. */
  readonly datasource?: string;
  /** Glob on the metric name. */
  readonly metric?: string;
  /** Alerts of these alert rules only. */
  readonly ruleIds?: readonly string[];
}

export interface AlertRoute {
  readonly tenantId: string;
  readonly routeId: string;
  readonly name: string;
  /** Lowest first; unique within a tenant. */
  readonly priority: number;
  readonly enabled: boolean;
  readonly match: RouteMatch;
  readonly escalationChainId: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** How an alert's notifications were routed (shown with the alert). */
export type AlertRouting =
  | { readonly by: 'rule'; readonly chainId: string }
  | { readonly by: 'route'; readonly routeId: string; readonly chainId: string }
  | { readonly by: 'unrouted' };

/** What a route looks at. */
export interface RoutedAlert {
  readonly severity: Severity;
  readonly ruleId: string;
  readonly metric: string;
  readonly dimensions: Dimensions;
  /** The series' resource value (a dimension), linked or not. */
  readonly resource?: string | undefined;
  readonly linked?: LinkedResource | undefined;
}

const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));
const glob = text(1, 256);

/** The body of POST/PUT /v1/alert-routes. */
export const alertRouteInputSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
  priority: z.number().check(z.int(), z.gte(1), z.lte(1_000_000)),
  enabled: z._default(z.boolean(), true),
  match: z._default(
    z.strictObject({
      severities: z.optional(z.array(z.enum(SEVERITIES)).check(z.minLength(1), z.maxLength(3))),
      resource: z.optional(
        z.strictObject({
          names: z.optional(z.array(glob).check(z.minLength(1), z.maxLength(50))),
          groups: z.optional(z.array(glob).check(z.minLength(1), z.maxLength(50))),
          properties: z.optional(
            z
              .record(text(1, 128), glob)
              .check(z.refine((p) => Object.keys(p).length <= 20, 'at most 20 properties')),
          ),
        }),
      ),
      datasource: z.optional(glob),
      metric: z.optional(glob),
      ruleIds: z.optional(z.array(text(1, 64)).check(z.minLength(1), z.maxLength(100))),
    }),
    {},
  ),
  escalationChainId: text(1, 64),
});
export type AlertRouteInput = z.infer<typeof alertRouteInputSchema>;

export function routeFromInput(
  input: AlertRouteInput,
  ids: { tenantId: string; routeId: string },
  nowIso: string,
  createdAt = nowIso,
): AlertRoute {
  return {
    tenantId: ids.tenantId,
    routeId: ids.routeId,
    name: input.name,
    priority: input.priority,
    enabled: input.enabled,
    match: input.match,
    escalationChainId: input.escalationChainId,
    createdAt,
    updatedAt: nowIso,
  };
}

const globs = new Map<string, RegExp>();
/** `*` any run of characters, the rest literal, whole string, case-insensitive. */
export function globMatches(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  let re = globs.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`, 'is');
    if (globs.size > 10_000) globs.clear();
    globs.set(pattern, re);
  }
  return re.test(value);
}

export function routeMatches(match: RouteMatch, alert: RoutedAlert): boolean {
  if (match.severities && !match.severities.includes(alert.severity)) return false;
  if (match.ruleIds && !match.ruleIds.includes(alert.ruleId)) return false;
  if (match.metric !== undefined && !globMatches(match.metric, alert.metric)) return false;
  if (match.datasource !== undefined && !globMatches(match.datasource, alert.dimensions['datasource']))
    return false;
  const r = match.resource;
  if (!r) return true;
  const linked = alert.linked;
  if (r.names && !r.names.some((p) => globMatches(p, linked?.name ?? alert.resource))) return false;
  if (r.groups && !r.groups.some((p) => (linked?.groups ?? []).some((g) => globMatches(p, g)))) return false;
  if (r.properties)
    for (const [name, pattern] of Object.entries(r.properties))
      if (!globMatches(pattern, linked?.properties[name])) return false;
  return true;
}

/** Lowest priority number first (ties, which the API refuses, by creation then id). */
export const byPriority = (a: AlertRoute, b: AlertRoute): number =>
  a.priority - b.priority || a.createdAt.localeCompare(b.createdAt) || a.routeId.localeCompare(b.routeId);

/** The first enabled route (by priority) matching the alert. */
export function firstMatchingRoute(
  routes: readonly AlertRoute[],
  alert: RoutedAlert,
): AlertRoute | undefined {
  return [...routes].sort(byPriority).find((r) => r.enabled && routeMatches(r.match, alert));
}

/** Where an alert's notifications go: the rule's own chain, else the first matching route, else nowhere. */
export function routingOf(
  rule: { readonly escalationChainId?: string | undefined },
  routes: readonly AlertRoute[],
  alert: RoutedAlert,
): AlertRouting {
  if (rule.escalationChainId) return { by: 'rule', chainId: rule.escalationChainId };
  const route = firstMatchingRoute(routes, alert);
  return route
    ? { by: 'route', routeId: route.routeId, chainId: route.escalationChainId }
    : { by: 'unrouted' };
}
