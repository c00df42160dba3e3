/**
 * The limits function's routes as /openapi.json describes them, with the zod schema its handler
 * validates the overrides with (functions/limits/app.ts).
 */
import { tenantLimitOverridesSchema } from '#domain/guardrails/limits';
import * as z from '#domain/zod';
import type { OperationDoc } from '#http/operations';

const limitsView = z.object({
  tenantId: z.string(),
  limits: z.record(z.string(), z.number()).check(z.describe('the effective limits: overrides over defaults')),
  overrides: z.record(z.string(), z.number()),
  defaults: z.record(z.string(), z.number()),
  version: z.number().check(z.int(), z.describe('Send it back in If-Match to change only this version')),
  updatedAt: z.optional(z.string()),
});
const usageView = z.looseObject({
  tenantId: z.string(),
  generatedAt: z.string(),
  limits: z.record(z.string(), z.number()),
  usage: z.record(z.string(), z.unknown()),
  warnings: z.array(z.unknown()).check(z.describe('limits past 80 % of their value')),
  activeSeries: z.looseObject({ total: z.number() }),
  samples: z.looseObject({}),
});

const errors = { 401: null, 404: null, 422: null } as const;

export const LIMITS_OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'GET',
    path: '/admin/v1/tenants/{tenantId}/limits',
    summary: "A tenant's limits: overrides, defaults and the effective values",
    auth: 'provider',
    responses: { 200: limitsView, ...errors },
  },
  {
    method: 'PUT',
    path: '/admin/v1/tenants/{tenantId}/limits',
    summary: "Replace a tenant's limit overrides (absent fields fall back to the defaults)",
    auth: 'provider',
    body: tenantLimitOverridesSchema,
    responses: { 200: limitsView, 409: null, ...errors },
  },
  {
    method: 'GET',
    path: '/v1/usage',
    summary: "The calling tenant's usage against each of its limits, with warnings at 80 %",
    auth: 'tenant',
    responses: { 200: usageView, 401: null },
  },
];
