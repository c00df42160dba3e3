/** Dashboards saved per tenant: everyone with a tenant role may view them, operators and admins change them. */
import { redact } from '#domain/classification';
import { newId } from '#domain/credentials';
import { type Dashboard, dashboardInputSchema, widgetSchema } from '#domain/dashboards';
import { pageQuerySchema } from '#domain/pagination';
import * as z from '#domain/zod';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std, withEtag } from '../operation';
import { pageOf } from '../views';

const dashboardPath = '/v1/dashboards/{dashboardId}';

export const dashboardView = z.object({
  dashboardId: z.string(),
  name: z.string(),
  description: z.optional(z.string()),
  widgets: z.array(widgetSchema),
  version: z.number().check(z.int(), z.describe('Send it back in If-Match to update only this version')),
  createdAt: z.string(),
  updatedAt: z.optional(z.string()),
});

export const toDashboardView = (d: Dashboard) => ({
  dashboardId: d.dashboardId,
  name: d.name,
  ...(d.description ? { description: d.description } : {}),
  widgets: d.widgets,
  version: d.version ?? 1,
  createdAt: d.createdAt,
  ...(d.updatedAt ? { updatedAt: d.updatedAt } : {}),
});

export function dashboardOperations(ctx: ApiContext): Operation[] {
  const { deps, now, audit, mustGet, modify, remove } = ctx;
  return [
    op({
      method: 'POST',
      path: '/v1/dashboards',
      summary: 'Save a dashboard (widgets: line chart, single value, alert list)',
      auth: 'tenant',
      permission: 'dashboards:write',
      body: dashboardInputSchema,
      responses: { 201: dashboardView, ...std },
      run: async (request) => {
        const dashboard: Dashboard = {
          tenantId: request.principal.tenantId,
          dashboardId: newId(),
          ...request.body,
          version: 1,
          createdAt: now(),
        };
        const stored = await deps.tenants.createEntity('dashboard', dashboard);
        await audit(request, 'dashboard.create', `dashboard/${stored.dashboardId}`, {
          after: redact('dashboard', stored),
        });
        return withEtag(201, toDashboardView(stored));
      },
    }),
    op({
      method: 'GET',
      path: '/v1/dashboards',
      summary: 'List dashboards',
      auth: 'tenant',
      permission: 'dashboards:read',
      query: pageQuerySchema,
      responses: { 200: pageOf(dashboardView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listEntities('dashboard', principal.tenantId, query);
        return json(200, { ...page, items: page.items.map(toDashboardView) });
      },
    }),
    op({
      method: 'GET',
      path: dashboardPath,
      summary: 'Get a dashboard',
      auth: 'tenant',
      permission: 'dashboards:read',
      responses: { 200: dashboardView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(200, toDashboardView(await mustGet('dashboard', principal.tenantId, params.dashboardId))),
    }),
    op({
      method: 'PUT',
      path: dashboardPath,
      summary: 'Replace a dashboard (If-Match: only the version you read)',
      auth: 'tenant',
      permission: 'dashboards:write',
      body: dashboardInputSchema,
      responses: { 200: dashboardView, 404: null, 409: null, ...std },
      run: async (request) => {
        const { before, after } = await modify(
          'dashboard',
          request,
          request.params.dashboardId,
          async (current) => {
            const { description: _dropped, ...kept } = current;
            return { ...kept, ...request.body };
          },
        );
        await audit(request, 'dashboard.update', `dashboard/${after.dashboardId}`, {
          before: redact('dashboard', before),
          after: redact('dashboard', after),
        });
        return withEtag(200, toDashboardView(after));
      },
    }),
    op({
      method: 'DELETE',
      path: dashboardPath,
      summary: 'Delete a dashboard',
      auth: 'tenant',
      permission: 'dashboards:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('dashboard', request, request.params.dashboardId);
        await audit(request, 'dashboard.delete', `dashboard/${removed.dashboardId}`, {
          before: redact('dashboard', removed),
        });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
  ];
}
