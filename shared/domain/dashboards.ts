/**
 * Dashboards: a tenant's saved arrangement of widgets, drawn by the console. A widget names what it
 * shows (a PromQL expression over a range, or the alert list) and nothing about how the console lays
 * it out beyond its width, so the same document serves another client. Bounded: a dashboard costs at
 * most MAX_WIDGETS queries per refresh.
 */
import type { Versioned } from './entities';
import * as z from './zod';

export const MAX_WIDGETS = 24;
export const WIDGET_TYPES = ['line', 'single-value', 'alert-list'] as const;
export type WidgetType = (typeof WIDGET_TYPES)[number];

const title = z.string().check(z.trim(), z.minLength(1, 'title must not be empty'), z.maxLength(128));
const promql = z
  .string()
  .check(
    z.trim(),
    z.minLength(1, 'promql must not be empty'),
    z.maxLength(2048, 'promql is at most 2048 characters'),
  );
/** How far back a chart looks: 5 minutes to 7 days. */
const rangeSeconds = z._default(
  z
    .number()
    .check(
      z.int(),
      z.gte(300, 'rangeSeconds is at least 300'),
      z.lte(7 * 86_400, 'rangeSeconds is at most 604800'),
    ),
  3600,
);
const width = z._default(z.union([z.literal(1), z.literal(2)]), 1);

export const widgetSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('line'), title, promql, rangeSeconds, width }),
  z.strictObject({
    type: z.literal('single-value'),
    title,
    promql,
    unit: z.optional(z.string().check(z.maxLength(16))),
    width,
  }),
  z.strictObject({
    type: z.literal('alert-list'),
    title,
    status: z._default(z.enum(['open', 'all']), 'open'),
    width,
  }),
]);
export type Widget = z.infer<typeof widgetSchema>;

/** The body of POST /v1/dashboards and PUT /v1/dashboards/{dashboardId} (a whole dashboard). */
export const dashboardInputSchema = z.strictObject({
  name: z
    .string({ error: 'name must be a string' })
    .check(
      z.trim(),
      z.minLength(1, 'name must not be empty'),
      z.maxLength(128, 'name must be at most 128 characters'),
    ),
  description: z.optional(z.string().check(z.maxLength(1024))),
  widgets: z._default(
    z.array(widgetSchema).check(z.maxLength(MAX_WIDGETS, `a dashboard has at most ${MAX_WIDGETS} widgets`)),
    [],
  ),
});
export type DashboardInput = z.infer<typeof dashboardInputSchema>;

export interface Dashboard extends Versioned {
  readonly tenantId: string;
  readonly dashboardId: string;
  readonly name: string;
  readonly description?: string;
  readonly widgets: readonly Widget[];
}
