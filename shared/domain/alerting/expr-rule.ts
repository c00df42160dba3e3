/**
 * Alert rules written as a PromQL expression (`"expr": "rate(http_requests_total[5m]) > 3"`), the
 * kind Prometheus evaluates, beside the metric + filters kind (rule.ts). At every pass the expression
 * is evaluated as an instant query by the PromQL engine through the same selector port the query API
 * reads (so the tenant scoping and the query limits are the API's); every series of its result is one
 * alert instance, its labels the alert's dimensions. A series in the result breaches at the rule's
 * `severity`, or, when the rule has a `threshold`, at whatever level its value breaches; a series that
 * leaves the result is healthy again (Prometheus resolves an alert whose series is gone). Trigger and
 * clear intervals, flap suppression, downtime, routing and escalation are the other kind's.
 *
 * Stored as an AlertRule whose `selector.metric` is the expression (the evaluator groups rules by it,
 * an alert's `metric` names it) and whose `expr` marks the kind.
 */

import { typeOf } from '#promql/ast';
import { parseExpr } from '#promql/parser';
import { UnprocessableError } from '../errors';
import type { Labels } from '../label-matchers';
import type { Series } from '../query';
import { parseOrThrow } from '../validation';
import * as z from '../zod';
import {
  type AlertRule,
  alertRuleInputSchema,
  flapSchema,
  int,
  ruleFromInput,
  sharedRuleFields,
  text,
  thresholdSchema,
} from './rule';
import { SEVERITIES, type Severity, staticSeverity } from './thresholds';

/** The longest expression a rule may hold (Prometheus has no limit; a rule is not a dashboard). */
export const EXPR_MAX_LENGTH = 4096;
export const DEFAULT_EXPR_SEVERITY: Severity = 'error';

const TYPE_NAMES = { scalar: 'a scalar', matrix: 'a range vector', string: 'a string' } as const;

/** Why `expr` cannot be a rule's expression, or undefined when it can (an instant vector). */
export function exprProblem(expr: string): string | undefined {
  let type: ReturnType<typeof typeOf>;
  try {
    type = typeOf(parseExpr(expr));
  } catch (error) {
    return `not a valid PromQL expression: ${(error as Error).message}`;
  }
  return type === 'vector'
    ? undefined
    : `must be an instant vector expression (each series an alert), not ${TYPE_NAMES[type]}`;
}

const exprSchema = text(1, EXPR_MAX_LENGTH).check(
  z.superRefine((expr, ctx) => {
    const problem = exprProblem(expr);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: expr });
  }),
);

/** The body of POST/PUT /v1/alert-rules for a PromQL rule (one with `expr`). */
export const exprRuleInputSchema = z
  .strictObject({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
    enabled: z._default(z.boolean(), true),
    expr: exprSchema,
    severity: z.optional(z.enum(SEVERITIES)),
    threshold: z.optional(thresholdSchema),
    triggerInterval: z._default(int(1, 100), 1),
    clearInterval: z._default(int(1, 100), 1),
    flap: z.optional(flapSchema),
    resourceDimension: z.optional(text(1, 60)),
    escalationChainId: z.optional(text(1, 64)),
  })
  .check(
    z.refine((r) => r.severity === undefined || r.threshold === undefined, {
      message: 'a threshold decides the severity: give severity or threshold, not both',
      path: ['severity'],
    }),
  );

export type ExprRuleInput = z.infer<typeof exprRuleInputSchema>;

export const isObject = (body: unknown): body is Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body);

/** Parses a rule body of either kind into a rule; 422 naming the field that is wrong. */
export function ruleFromBody(
  body: unknown,
  ids: { tenantId: string; ruleId: string },
  nowIso: string,
  createdAt = nowIso,
): AlertRule {
  if (!isObject(body) || !('expr' in body))
    return ruleFromInput(parseOrThrow(alertRuleInputSchema, body), ids, nowIso, createdAt);
  for (const field of ['metric', 'filters', 'windowSeconds', 'aggregation', 'dynamic', 'noData'])
    if (field in body)
      throw new UnprocessableError(
        `${field}: a PromQL rule (expr) carries its own selector and window; ${field} belongs to a metric rule`,
        field,
      );
  return ruleFromExprInput(parseOrThrow(exprRuleInputSchema, body), ids, nowIso, createdAt);
}

export function ruleFromExprInput(
  input: ExprRuleInput,
  ids: { tenantId: string; ruleId: string },
  nowIso: string,
  createdAt = nowIso,
): AlertRule {
  return {
    tenantId: ids.tenantId,
    ruleId: ids.ruleId,
    name: input.name,
    enabled: input.enabled,
    expr: input.expr,
    selector: { metric: input.expr, filters: {} },
    // The expression holds its own windows: the evaluator judges the one value each series has now.
    windowSeconds: 0,
    aggregation: 'max',
    ...(input.threshold
      ? { threshold: input.threshold }
      : { severity: input.severity ?? DEFAULT_EXPR_SEVERITY }),
    ...sharedRuleFields(input, nowIso, createdAt),
  };
}

export const isExprRule = (rule: AlertRule): rule is AlertRule & { readonly expr: string } =>
  rule.expr !== undefined;

/** The severity a PromQL rule's output value breaches at (every output series, without a threshold). */
export const exprSeverity = (rule: AlertRule, value: number): Severity | undefined =>
  rule.threshold ? staticSeverity(value, rule.threshold) : (rule.severity ?? DEFAULT_EXPR_SEVERITY);

/** One sample of an expression's result. */
export interface ExprSample {
  readonly labels: Labels;
  readonly value: number;
}

/** An expression's result as the rule's series: one point at `nowMs` each, its labels as dimensions. */
export const exprSeries = (rule: AlertRule, samples: readonly ExprSample[], nowMs: number): Series[] =>
  samples.map((s) => ({ metric: rule.selector.metric, dimensions: s.labels, points: [[nowMs, s.value]] }));
