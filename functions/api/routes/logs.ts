/**
 * Log search: time range, full text, attribute and resource filters, newest first, cursor paging,
 * a bounded scan and a histogram of matches for the console. Device logs are Customer Sensitive:
 * every search is recorded in the tenant's audit log (action `logs.search`, the query as target).
 */
import { NotFoundError, UnprocessableError } from '#domain/errors';
import { alertResourceAttribute } from '#domain/logs/correlation';
import { formatLogQuery, type LogQuery } from '#domain/logs/query';
import { LOG_SEARCH_LIMITS, logRecordView, parseLogSearch } from '#domain/logs/search';
import * as z from '#domain/zod';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std } from '../operation';

const logSearchQuery = z.looseObject({
  q: z
    .optional(z.string())
    .check(
      z.describe('words, "phrases", severity:error, resource.<name>:value, <attribute>:value; all must hold'),
    ),
  from: z.optional(z.string()).check(z.describe('epoch ms or RFC 3339; default an hour before `to`')),
  to: z.optional(z.string()).check(z.describe('epoch ms or RFC 3339 (exclusive); default now')),
  limit: z
    .optional(z.string())
    .check(z.describe(`1–${LOG_SEARCH_LIMITS.maxPageSize}, default ${LOG_SEARCH_LIMITS.defaultPageSize}`)),
  cursor: z.optional(z.string()),
  interval: z
    .optional(z.string())
    .check(z.describe('seconds: also answer a histogram of matches per interval')),
  alertId: z
    .optional(z.string())
    .check(z.describe('only the lines of this alert’s resource (as its detail’s logs are found)')),
});

const logRecordDoc = z.looseObject({
  id: z.string(),
  timestamp: z.string(),
  severity: z.string(),
  message: z.string(),
  resource: z.record(z.string(), z.string()),
  attributes: z.record(z.string(), z.string()),
});

const logSearchResult = z.object({
  items: z.array(logRecordDoc),
  nextCursor: z.optional(z.string()),
  scanned: z.number().check(z.int()),
  scanLimited: z.boolean().check(z.describe('the page stopped at the scan bound; nextCursor resumes it')),
  histogram: z.optional(
    z.object({
      intervalMs: z.number(),
      buckets: z.array(z.object({ start: z.string(), count: z.number() })),
      scanLimited: z.boolean(),
    }),
  ),
});

export function logOperations(ctx: ApiContext): Operation[] {
  const { deps, audit } = ctx;

  /** The query narrowed to the resource of the tenant's alert `alertId` (a 404 for another tenant's). */
  async function forAlert(tenantId: string, query: LogQuery, alertId: string): Promise<LogQuery> {
    if (!deps.alerts) throw new UnprocessableError('alertId: alerts are not available here', 'alertId');
    const alert = alertId.length <= 64 ? await deps.alerts.getAlert(tenantId, alertId) : undefined;
    if (!alert) throw new NotFoundError('no such alert', 'alertId');
    const attribute = alertResourceAttribute(alert, await deps.alerts.getRule(tenantId, alert.ruleId));
    if (!attribute) throw new UnprocessableError('alertId: the alert names no resource', 'alertId');
    return { ...query, resource: [...query.resource, attribute] };
  }

  return [
    op({
      method: 'GET',
      path: '/v1/logs/search',
      summary: 'Search the tenant’s logs, newest first (audited)',
      auth: 'tenant',
      permission: 'logs:read',
      query: logSearchQuery,
      responses: { 200: logSearchResult, ...std },
      run: async (request) => {
        if (!deps.logs) throw new NotFoundError('logs are not enabled in this deployment');
        const tenantId = request.principal.tenantId;
        const raw = request.event.queryStringParameters ?? {};
        const params = parseLogSearch(raw, deps.clock.now().getTime());
        const query = raw['alertId'] ? await forAlert(tenantId, params.query, raw['alertId']) : params.query;
        const bounds = { fromMs: params.fromMs, toMs: params.toMs, query };
        const [page, histogram] = await Promise.all([
          deps.logs.search(tenantId, {
            ...bounds,
            limit: params.limit,
            maxScan: LOG_SEARCH_LIMITS.maxScan,
            ...(params.cursor ? { cursor: params.cursor } : {}),
          }),
          params.intervalMs === undefined || params.cursor
            ? undefined
            : deps.logs.histogram(tenantId, {
                ...bounds,
                intervalMs: params.intervalMs,
                maxScan: LOG_SEARCH_LIMITS.maxScan,
              }),
        ]);
        await audit(
          request,
          'logs.search',
          `logs?q=${formatLogQuery(query)}&from=${new Date(params.fromMs).toISOString()}&to=${new Date(params.toMs).toISOString()}`,
        );
        return json(200, {
          items: page.records.map(logRecordView),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
          scanned: page.scanned,
          scanLimited: page.scanLimited,
          ...(histogram && params.intervalMs
            ? {
                histogram: {
                  intervalMs: params.intervalMs,
                  buckets: histogram.buckets.map((b) => ({
                    start: new Date(b.startMs).toISOString(),
                    count: b.count,
                  })),
                  scanLimited: histogram.scanLimited,
                },
              }
            : {}),
        });
      },
    }),
  ];
}
