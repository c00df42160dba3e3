/**
 * Alert rules: what to watch (a metric and dimension filters), how to reduce it (window and
 * aggregation), when it is bad (static thresholds for three severities, or a learned band), and how
 * patient to be (trigger and clear intervals, no-data).
 */
import { z } from 'zod';
import type { Dimensions } from '../metrics';
import { AGGREGATIONS, type Aggregation } from '../query';
import type { DynamicThreshold } from './baseline';
import type { FlapConfig } from './state-machine';
import { parseThreshold, SEVERITIES, type Severity, type StaticThreshold } from './thresholds';

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

const thresholdSchema = z.union([
  z.string().transform((s, ctx) => {
    try {
      return parseThreshold(s, 'threshold');
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^threshold: /, '') });
      return z.NEVER;
    }
  }),
  z
    .strictObject({
      operator: z.enum(['>', '>=', '<', '<=', '=', '!=']),
      warning: z.number().finite().optional(),
      error: z.number().finite().optional(),
      critical: z.number().finite().optional(),
    })
    .refine(
      (t) => t.warning !== undefined || t.error !== undefined || t.critical !== undefined,
      'at least one of warning, error, critical is required',
    ),
]);

const dynamicSchema = z.strictObject({
  seasonality: z.enum(['daily', 'weekly']),
  sensitivity: z.number().min(0.5).max(20).optional(),
  direction: z.enum(['above', 'below', 'both']).optional(),
  slotMinutes: z
    .number()
    .int()
    .refine((m) => [5, 10, 15, 30, 60, 120].includes(m), 'slotMinutes must be 5, 10, 15, 30, 60 or 120')
    .optional(),
  minHistory: z.number().int().min(1).max(1000).optional(),
  minSpread: z.number().min(0).optional(),
  utcOffsetMinutes: z.number().int().min(-720).max(840).optional(),
});

/** The body of POST/PUT /v1/alert-rules. */
export const alertRuleInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(128),
    enabled: z.boolean().default(true),
    metric: z.string().min(1).max(256),
    filters: z.record(z.string().min(1).max(60), z.string().min(1).max(2048)).default({}),
    windowSeconds: z.number().int().min(10).max(86_400).default(300),
    aggregation: z.enum(AGGREGATIONS).default('avg'),
    threshold: thresholdSchema.optional(),
    dynamic: dynamicSchema.optional(),
    triggerInterval: z.number().int().min(1).max(100).default(1),
    clearInterval: z.number().int().min(1).max(100).default(1),
    noData: z
      .strictObject({ afterSeconds: z.number().int().min(60).max(86_400), severity: severity })
      .optional(),
    flap: z
      .strictObject({
        windowSeconds: z.number().int().min(60).max(86_400),
        maxTransitions: z.number().int().min(2).max(100),
        clearMultiplier: z.number().int().min(1).max(20),
      })
      .optional(),
    resourceDimension: z.string().min(1).max(60).optional(),
    escalationChainId: z.string().min(1).max(64).optional(),
  })
  .refine((r) => r.threshold !== undefined || r.dynamic !== undefined || r.noData !== undefined, {
    message: 'a rule needs a threshold, a dynamic threshold or noData',
    path: ['threshold'],
  });

export type AlertRuleInput = z.infer<typeof alertRuleInputSchema>;

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
    triggerInterval: input.triggerInterval,
    clearInterval: input.clearInterval,
    ...(input.noData ? { noData: input.noData } : {}),
    ...(input.flap
      ? {
          flap: {
            windowMs: input.flap.windowSeconds * 1000,
            maxTransitions: input.flap.maxTransitions,
            clearMultiplier: input.flap.clearMultiplier,
          },
        }
      : {}),
    ...(input.resourceDimension ? { resourceDimension: input.resourceDimension } : {}),
    ...(input.escalationChainId ? { escalationChainId: input.escalationChainId } : {}),
    createdAt,
    updatedAt: nowIso,
  };
}
