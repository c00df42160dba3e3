/** The tenant's audit log, newest first. */
import { pageQuerySchema } from '#domain/pagination';
import * as z from '#domain/zod';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std } from '../operation';
import { auditEventView, pageOf } from '../views';

const auditQuerySchema = z.extend(pageQuerySchema, {
  from: z.optional(z.iso.datetime({ message: 'from must be an RFC 3339 instant' })),
  to: z.optional(z.iso.datetime({ message: 'to must be an RFC 3339 instant' })),
  action: z.optional(z.string().check(z.minLength(1), z.maxLength(64))),
});

export function auditEventOperations(ctx: ApiContext): Operation[] {
  const { deps } = ctx;

  return [
    op({
      method: 'GET',
      path: '/v1/audit-events',
      summary: 'The tenant’s audit log, newest first',
      auth: 'tenant',
      permission: 'audit:read',
      query: auditQuerySchema,
      responses: { 200: pageOf(auditEventView), ...std },
      run: async ({ principal, query }) => {
        const { from, to, action, ...page } = query;
        const result = await deps.audit.query(principal.tenantId, { from, to, action }, page);
        return json(200, { ...result, items: result.items.map(({ tenantId: _t, ...e }) => e) });
      },
    }),
  ];
}
