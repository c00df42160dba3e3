/**
 * Alert rules: what to watch (a metric and dimension filters), how to reduce it (window and
 * aggregation), when it is bad (static thresholds for three severities, or a learned band), and how
 * patient to be (trigger and clear intervals, no-data).
 */
import type { Dimensions } from '../metrics';
import { AGGREGATIONS, type Aggregation } from '../query';
import * as z from '../zod';
import type { DynamicThreshold } from './baseline';
import type { FlapConfig } from './state-machine';
import { parseThreshold, SEVERITIES, type Severity, type StaticThreshold } from './thresholds';

/** What a log rule (log-rule.ts) counts: the lines matching `query`, per value of `groupBy`. */
export interface LogRuleSpec {
  /** The search query as given (a 422 at save time when it does not parse). */
  readonly query: string;
  /** Resource attributes (as `resource.<name>:` filters name them) whose values split the count. */
  readonly groupBy: readonly string[];
}

export interface AlertRule {
  readonly tenantId: string;
  readonly ruleId: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly selector: { readonly metric: string; readonly filters: Dimensions };
  readonly windowSeconds: number;
  readonly aggregation: Aggregation;
  readonly threshold?: StaticThreshold;
  readonly dynamic?: DynamicThreshold;
  readonly triggerInterval: number;
  readonly clearInterval: number;
  /** Alert when a series that reported before sends nothing for `afterSeconds`. */
  readonly noData?: { readonly afterSeconds: number; readonly severity: Severity };
  readonly flap?: FlapConfig;
  /** The dimension that names the resource (for downtime, correlation, incidents). */
  readonly resourceDimension?: string;
  readonly escalationChainId?: string;
  /**
   * A PromQL rule (expr-rule.ts): the expression replaces metric, filters, window and aggregation
   * (`selector.metric` holds the expression); its output series are the rule's series.
   */
  readonly expr?: string;
  /** The severity of a PromQL rule's output series when it has no threshold. */
  readonly severity?: Severity;
  /** A log rule (log-rule.ts): counts the lines matching a log query per group over the window. */
  readonly log?: LogRuleSpec;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Dimensions that name a resource when a rule does not say which (native format: its resourceIds). */
export const DEFAULT_RESOURCE_DIMENSIONS = [
  'resource',
  'resourceId',
  'resource_id',
  'system.hostname',
  'host',
  'hostname',
  'instance',
];

export function resourceOf(
  rule: Pick<AlertRule, 'resourceDimension'>,
  dimensions: Dimensions,
): string | undefined {
  if (rule.resourceDimension) return dimensions[rule.resourceDimension];
  for (const name of DEFAULT_RESOURCE_DIMENSIONS) if (dimensions[name]) return dimensions[name];
  return undefined;
}

const severity = z.enum(SEVERITIES);
export const int = (min: number, max: number) => z.number().check(z.int(), z.gte(min), z.lte(max));
export const text = (min: number, max: number) => z.string().check(z.minLength(min), z.maxLength(max));

export const thresholdSchema = z.union([
  z.pipe(
    z.string(),
    z.transform((s, ctx) => {
      try {
        return parseThreshold(s, 'threshold');
      } catch (error) {
        ctx.issues.push({
          code: 'custom',
          message: (error as Error).message.replace(/^threshold: /, ''),
          input: s,
        });
        return z.NEVER;
      }
    }),
  ),
  z
    .strictObject({
      operator: z.enum(['>', '>=', '<', '<=', '=', '!=']),
      warning: z.optional(z.number()),
      error: z.optional(z.number()),
      critical: z.optional(z.number()),
    })
    .check(
      z.refine(
        (t) => t.warning !== undefined || t.error !== undefined || t.critical !== undefined,
        'at least one of warning, error, critical is required',
      ),
    ),
]);

const dynamicSchema = z.strictObject({
  seasonality: z.enum(['daily', 'weekly']),
  sensitivity: z.optional(z.number().check(z.gte(0.5), z.lte(20))),
  direction: z.optional(z.enum(['above', 'below', 'both'])),
  slotMinutes: z.optional(
    z.number().check(
      z.int(),
      z.refine((m) => [5, 10, 15, 30, 60, 120].includes(m), 'slotMinutes must be 5, 10, 15, 30, 60 or 120'),
    ),
  ),
  minHistory: z.optional(int(1, 1000)),
  minSpread: z.optional(z.number().check(z.gte(0))),
  utcOffsetMinutes: z.optional(int(-720, 840)),
});

export const flapSchema = z.strictObject({
  windowSeconds: int(60, 86_400),
  maxTransitions: int(2, 100),
  clearMultiplier: int(1, 20),
});

export const flapConfigOf = (flap: z.infer<typeof flapSchema>): FlapConfig => ({
  windowMs: flap.windowSeconds * 1000,
  maxTransitions: flap.maxTransitions,
  clearMultiplier: flap.clearMultiplier,
});

/** The body of POST/PUT /v1/alert-rules. */
export const alertRuleInputSchema = z
  .strictObject({
    name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
    enabled: z._default(z.boolean(), true),
    metric: text(1, 256),
    filters: z._default(z.record(text(1, 60), text(1, 2048)), {}),
    windowSeconds: z._default(int(10, 86_400), 300),
    aggregation: z._default(z.enum(AGGREGATIONS), 'avg'),
    threshold: z.optional(thresholdSchema),
    dynamic: z.optional(dynamicSchema),
    triggerInterval: z._default(int(1, 100), 1),
    clearInterval: z._default(int(1, 100), 1),
    noData: z.optional(z.strictObject({ afterSeconds: int(60, 86_400), severity: severity })),
    flap: z.optional(flapSchema),
    resourceDimension: z.optional(text(1, 60)),
    escalationChainId: z.optional(text(1, 64)),
  })
  .check(
    z.refine((r) => r.threshold !== undefined || r.dynamic !== undefined || r.noData !== undefined, {
      message: 'a rule needs a threshold, a dynamic threshold or noData',
      path: ['threshold'],
    }),
  );

export type AlertRuleInput = z.infer<typeof alertRuleInputSchema>;

/**
 * The fields every rule kind (metric, PromQL, log) takes from its input the same way: how patient it
 * is, flapping, the resource dimension, the escalation chain, and its times.
 */
export function sharedRuleFields(
  input: {
    readonly triggerInterval: number;
    readonly clearInterval: number;
    readonly flap?: z.infer<typeof flapSchema> | undefined;
    readonly resourceDimension?: string | undefined;
    readonly escalationChainId?: string | undefined;
  },
  nowIso: string,
  createdAt: string,
): Pick<
  AlertRule,
  | 'triggerInterval'
  | 'clearInterval'
  | 'flap'
  | 'resourceDimension'
  | 'escalationChainId'
  | 'createdAt'
  | 'updatedAt'
> {
  return {
    triggerInterval: input.triggerInterval,
    clearInterval: input.clearInterval,
    ...(input.flap ? { flap: flapConfigOf(input.flap) } : {}),
    ...(input.resourceDimension ? { resourceDimension: input.resourceDimension } : {}),
    ...(input.escalationChainId ? { escalationChainId: input.escalationChainId } : {}),
    createdAt,
    updatedAt: nowIso,
  };
}

export function ruleFromInput(
  input: AlertRuleInput,
  ids: { tenantId: string; ruleId: string },
  nowIso: string,
  createdAt = nowIso,
): AlertRule {
  return {
    tenantId: ids.tenantId,
    ruleId: ids.ruleId,
    name: input.name,
    enabled: input.enabled,
    selector: { metric: input.metric, filters: input.filters },
    windowSeconds: input.windowSeconds,
    aggregation: input.aggregation,
    ...(input.threshold ? { threshold: input.threshold } : {}),
    ...(input.dynamic ? { dynamic: input.dynamic } : {}),
    ...(input.noData ? { noData: input.noData } : {}),
    ...sharedRuleFields(input, nowIso, createdAt),
  };
}
