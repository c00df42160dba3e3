/**
 * Alert history routes: every alert the tenant had within its retention, filtered and paged newest
 * first, and exported as NDJSON or CSV a bounded page at a time (a `Link: rel="next"` header carries
 * the cursor, as GitHub's API does), so neither a request nor the function's memory grows with the
 * history's size: an export of 10 M alerts is 1,000 requests of constant cost.
 */

import type { Alert } from '#domain/alerting/alert';
import {
  alertHistoryQuerySchema,
  csvHeader,
  csvRow,
  MAX_EXPORT_PAGE,
  MAX_HISTORY_PAGE,
} from '#domain/alerting/history';
import { UnprocessableError } from '#domain/errors';
import { parseOrThrow } from '#domain/validation';
import type { Principal } from '#http/auth';
import type { Route } from '#http/handler';
import { json } from '#http/response';
import type { HttpEvent } from '#http/types';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';

export const ALERT_HISTORY_ROUTES = ['GET /v1/alerts/history', 'GET /v1/alerts/history/export'] as const;

/** Export pages may read more stored alerts than an interactive page before answering. */
const EXPORT_SCAN = 50_000;

export function alertHistoryRoutes(deps: {
  store: AlertStore;
  clock: Clock;
  principalFor: (event: HttpEvent) => Promise<Principal>;
  audit: (event: HttpEvent, principal: Principal, action: string, target: string) => Promise<void>;
  view: (alert: Alert) => unknown;
}): Record<(typeof ALERT_HISTORY_ROUTES)[number], Route> {
  async function page(event: HttpEvent, maxLimit: number, defaultLimit: number, maxScan?: number) {
    const principal = await deps.principalFor(event);
    const query = parseOrThrow(alertHistoryQuerySchema, event.queryStringParameters ?? {});
    const limit = query.limit ?? defaultLimit;
    if (limit < 1 || limit > maxLimit)
      throw new UnprocessableError(`limit: must be between 1 and ${maxLimit}`, 'limit');
    const { state, severity, ruleId, resource, text } = query;
    const result = await deps.store.alertHistory(principal.tenantId, {
      ...(query.from !== undefined ? { fromMs: query.from } : {}),
      ...(query.to !== undefined ? { toMs: query.to } : {}),
      filter: {
        ...(state ? { state } : {}),
        ...(severity ? { severity } : {}),
        ...(ruleId ? { ruleId } : {}),
        ...(resource ? { resource } : {}),
        ...(text ? { text } : {}),
      },
      limit,
      nowMs: deps.clock.now().getTime(),
      ...(query.cursor ? { cursor: query.cursor } : {}),
      ...(maxScan ? { maxScan } : {}),
    });
    return { principal, query, result };
  }

  return {
    'GET /v1/alerts/history': async (event) => {
      const { result } = await page(event, MAX_HISTORY_PAGE, 100);
      return json(200, {
        alerts: result.items.map(deps.view),
        scanned: result.scanned,
        ...(result.cursor ? { cursor: result.cursor } : {}),
      });
    },
    'GET /v1/alerts/history/export': async (event) => {
      const { principal, query, result } = await page(event, MAX_EXPORT_PAGE, MAX_EXPORT_PAGE, EXPORT_SCAN);
      const format = query.format ?? 'ndjson';
      // The header row only on the first page, so the pages concatenate into one file.
      const body =
        format === 'csv'
          ? (query.cursor ? '' : csvHeader()) + result.items.map(csvRow).join('')
          : result.items.map((a) => `${JSON.stringify(deps.view(a))}\n`).join('');
      await deps.audit(event, principal, 'alert-history.export', `alerts/history?format=${format}`);
      const headers: Record<string, string> = {
        'content-type': format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson',
        'content-disposition': `attachment; filename="alert-history.${format === 'csv' ? 'csv' : 'ndjson'}"`,
      };
      if (result.cursor) {
        const params = new URLSearchParams(
          Object.entries(event.queryStringParameters ?? {}).filter(
            (e): e is [string, string] => e[0] !== 'cursor' && e[1] !== undefined,
          ),
        );
        params.set('cursor', result.cursor);
        headers['link'] = `</v1/alerts/history/export?${params}>; rel="next"`;
        headers['x-next-cursor'] = result.cursor;
      }
      return { statusCode: 200, headers, body };
    },
  };
}
