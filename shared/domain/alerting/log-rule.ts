/**
 * Log alert rules: "pattern count over a window" (`"log": { "query": "severity:error \"link down\"",
 * "groupBy": ["system.hostname"] }, "windowSeconds": 300, "threshold": ">= 3"`), beside the metric
 * and PromQL kinds. At every scheduled pass the evaluator counts the tenant's log lines of the last
 * window matching the query (the search language of shared/domain/logs/query.ts), one count per
 * value of the groupBy resource attributes; each group is one alert instance (its dimensions are the
 * groupBy attributes), judged against the threshold. A group with no matching lines in the window
 * counts 0 (healthy). Trigger and clear intervals, flap suppression, downtime (by the group's
 * resource), routing and escalation are the metric rules'.
 *
 * Bounded work: a pass reads at most LOG_RULE_LIMITS.maxLines lines of one rule (newest first). A
 * count that reached the bound is a lower bound: groups it did not reach hold their state that pass.
 *
 * Stored as an AlertRule whose `log` marks the kind and whose `selector.metric` names the count
 * (`log_lines{q="…"}`: the evaluator's series key and an alert's `metric`).
 */
import { UnprocessableError } from '../errors';
import { formatLogQuery, type LogQuery, parseLogQuery } from '../logs/query';
import type { StoredLogRecord } from '../logs/record';
import type { Series } from '../query';
import { parseOrThrow } from '../validation';
import * as z from '../zod';
import { exprRuleInputSchema, isObject, ruleFromBody } from './expr-rule';
import {
  type AlertRule,
  alertRuleInputSchema,
  flapSchema,
  int,
  type LogRuleSpec,
  sharedRuleFields,
  text,
  thresholdSchema,
} from './rule';

export const LOG_RULE_LIMITS = {
  /** Lines one evaluation of one rule reads at most (the search's bounded scan). */
  maxLines: 10_000,
  maxGroupBy: 4,
  /** Groups (alert instances) one rule keeps at most; lines of further groups are not counted. */
  maxGroups: 1_000,
  maxWindowSeconds: 86_400,
} as const;

const querySchema = text(1, 1024).check(
  z.superRefine((q, ctx) => {
    try {
      parseLogQuery(q, 'log.query');
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: (error as Error).message.replace(/^log\.query:? /, ''),
        input: q,
      });
    }
  }),
);

/** The body of POST/PUT /v1/alert-rules for a log rule (one with `log`). */
export const logRuleInputSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
  enabled: z._default(z.boolean(), true),
  log: z.strictObject({
    query: querySchema,
    groupBy: z._default(z.array(text(1, 128)).check(z.maxLength(LOG_RULE_LIMITS.maxGroupBy)), []),
  }),
  windowSeconds: z._default(int(60, LOG_RULE_LIMITS.maxWindowSeconds), 300),
  threshold: thresholdSchema,
  triggerInterval: z._default(int(1, 100), 1),
  clearInterval: z._default(int(1, 100), 1),
  flap: z.optional(flapSchema),
  resourceDimension: z.optional(text(1, 60)),
  escalationChainId: z.optional(text(1, 64)),
});

export type LogRuleInput = z.infer<typeof logRuleInputSchema>;

/** Any kind of rule body, as documented (anyRuleFromBody picks the kind by `log`, then `expr`). */
export const everyAlertRuleInputSchema = z.union([
  alertRuleInputSchema,
  exprRuleInputSchema,
  logRuleInputSchema,
]);

/** The alert `metric` of a log rule: what it counts. */
export const logRuleMetric = (query: LogQuery): string =>
  `log_lines{q=${JSON.stringify(formatLogQuery(query))}}`;

export function ruleFromLogInput(
  input: LogRuleInput,
  ids: { tenantId: string; ruleId: string },
  nowIso: string,
  createdAt = nowIso,
): AlertRule {
  const query = parseLogQuery(input.log.query, 'log.query');
  // The one groupBy attribute names the group's resource (downtime, correlation) unless told otherwise.
  const resourceDimension =
    input.resourceDimension ?? (input.log.groupBy.length === 1 ? input.log.groupBy[0] : undefined);
  return {
    tenantId: ids.tenantId,
    ruleId: ids.ruleId,
    name: input.name,
    enabled: input.enabled,
    log: { query: input.log.query, groupBy: input.log.groupBy },
    selector: { metric: logRuleMetric(query), filters: {} },
    windowSeconds: input.windowSeconds,
    // One count per group per pass: the judged value is that count.
    aggregation: 'max',
    threshold: input.threshold,
    ...sharedRuleFields({ ...input, resourceDimension }, nowIso, createdAt),
  };
}

export const isLogRule = (rule: AlertRule): rule is AlertRule & { readonly log: LogRuleSpec } =>
  rule.log !== undefined;

/** Parses a rule body of any kind (metric, PromQL `expr`, `log`) into a rule; 422 naming the field. */
export function anyRuleFromBody(
  body: unknown,
  ids: { tenantId: string; ruleId: string },
  nowIso: string,
  createdAt = nowIso,
): AlertRule {
  if (!isObject(body) || !('log' in body)) return ruleFromBody(body, ids, nowIso, createdAt);
  for (const field of ['metric', 'filters', 'aggregation', 'dynamic', 'noData', 'expr', 'severity'])
    if (field in body)
      throw new UnprocessableError(
        `${field}: a log rule counts the lines its log.query matches; ${field} belongs to another kind of rule`,
        field,
      );
  return ruleFromLogInput(parseOrThrow(logRuleInputSchema, body), ids, nowIso, createdAt);
}

/** The group a line counts in: its groupBy resource attributes (those it has). */
function groupOf(record: StoredLogRecord, groupBy: readonly string[]): Record<string, string> {
  const dimensions: Record<string, string> = {};
  for (const name of groupBy) {
    const value = record.resource[name];
    if (value !== undefined) dimensions[name] = value;
  }
  return dimensions;
}

export interface LogRuleCount {
  /** One series per group seen: a single point at `nowMs`, its count. */
  readonly series: Series[];
  /** False when the count stopped at a bound (lines or groups): the counts are lower bounds. */
  readonly complete: boolean;
}

/** Counts the matching lines of a window per group, as the rule's series. */
export function logRuleSeries(
  rule: AlertRule & { readonly log: LogRuleSpec },
  lines: readonly StoredLogRecord[],
  complete: boolean,
  nowMs: number,
): LogRuleCount {
  const groups = new Map<string, { dimensions: Record<string, string>; count: number }>();
  let bounded = !complete;
  for (const line of lines) {
    const dimensions = groupOf(line, rule.log.groupBy);
    const key = JSON.stringify(dimensions);
    const group = groups.get(key);
    if (group) group.count++;
    else if (groups.size >= LOG_RULE_LIMITS.maxGroups) bounded = true;
    else groups.set(key, { dimensions, count: 1 });
  }
  if (rule.log.groupBy.length === 0 && groups.size === 0) groups.set('{}', { dimensions: {}, count: 0 });
  return {
    series: [...groups.values()].map((g) => ({
      metric: rule.selector.metric,
      dimensions: g.dimensions,
      points: [[nowMs, g.count]],
    })),
    complete: !bounded,
  };
}

/** The parsed query of a stored log rule (checked when it was saved). */
export const logRuleQuery = (rule: AlertRule & { readonly log: LogRuleSpec }): LogQuery =>
  parseLogQuery(rule.log.query, 'log.query');
