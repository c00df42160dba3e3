/**
 * The HTTP surface: one table, read by the CDK ingest API (to build API Gateway resources) and by
 * the local server (to dispatch to the same handlers). A route belongs to exactly one function, which
 * describes it for /openapi.json in its operations table (functions/api/routes/*.ts for the api function,
 * functions/<function>/operations.ts; test/tenancy/openapi.test.ts checks every route is there).
 */
export type FunctionName = 'ingest' | 'api' | 'admin' | 'limits' | 'alerts' | 'query';

export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** API Gateway resource template, e.g. `/v1/resources/{id}`. */
  readonly path: string;
  readonly function: FunctionName;
}

export const ROUTES: readonly RouteSpec[] = [
  { method: 'POST', path: '/admin/v1/tenants', function: 'admin' },
  { method: 'POST', path: '/v1/collectors', function: 'api' },
  { method: 'GET', path: '/v1/collectors', function: 'api' },
  { method: 'GET', path: '/v1/metrics/query', function: 'api' },
  // Customer API (functions/api/routes/, one module per resource: each route declares its permission there).
  { method: 'GET', path: '/openapi.json', function: 'api' },
  { method: 'GET', path: '/v1/collectors/{collectorId}', function: 'api' },
  { method: 'PATCH', path: '/v1/collectors/{collectorId}', function: 'api' },
  { method: 'DELETE', path: '/v1/collectors/{collectorId}', function: 'api' },
  { method: 'POST', path: '/v1/collectors/{collectorId}/rotate-key', function: 'api' },
  { method: 'GET', path: '/v1/collector-groups/{collectorGroup}', function: 'api' },
  { method: 'POST', path: '/v1/collector/discoveries', function: 'api' },
  { method: 'GET', path: '/v1/collector/config', function: 'api' },
  { method: 'POST', path: '/v1/collector/heartbeat', function: 'api' },
  { method: 'POST', path: '/v1/resources', function: 'api' },
  { method: 'GET', path: '/v1/resources', function: 'api' },
  { method: 'GET', path: '/v1/resources/{resourceId}', function: 'api' },
  { method: 'PATCH', path: '/v1/resources/{resourceId}', function: 'api' },
  { method: 'DELETE', path: '/v1/resources/{resourceId}', function: 'api' },
  { method: 'POST', path: '/v1/device-credentials', function: 'api' },
  { method: 'GET', path: '/v1/device-credentials', function: 'api' },
  { method: 'GET', path: '/v1/device-credentials/{deviceCredentialId}', function: 'api' },
  { method: 'PUT', path: '/v1/device-credentials/{deviceCredentialId}', function: 'api' },
  { method: 'DELETE', path: '/v1/device-credentials/{deviceCredentialId}', function: 'api' },
  { method: 'POST', path: '/v1/users', function: 'api' },
  { method: 'GET', path: '/v1/users', function: 'api' },
  { method: 'GET', path: '/v1/users/{userId}', function: 'api' },
  { method: 'PATCH', path: '/v1/users/{userId}', function: 'api' },
  { method: 'DELETE', path: '/v1/users/{userId}', function: 'api' },
  { method: 'POST', path: '/v1/users/{userId}/console-access', function: 'api' },
  { method: 'POST', path: '/v1/tokens', function: 'api' },
  { method: 'GET', path: '/v1/tokens', function: 'api' },
  { method: 'DELETE', path: '/v1/tokens/{tokenId}', function: 'api' },
  { method: 'POST', path: '/v1/tokens/{tokenId}/rotate', function: 'api' },
  { method: 'GET', path: '/v1/audit-events', function: 'api' },
  { method: 'POST', path: '/v1/dashboards', function: 'api' },
  { method: 'GET', path: '/v1/dashboards', function: 'api' },
  { method: 'GET', path: '/v1/dashboards/{dashboardId}', function: 'api' },
  { method: 'PUT', path: '/v1/dashboards/{dashboardId}', function: 'api' },
  { method: 'DELETE', path: '/v1/dashboards/{dashboardId}', function: 'api' },
  // Provider API (functions/admin/app.ts): provider token only.
  { method: 'GET', path: '/admin/v1/tenants', function: 'admin' },
  { method: 'GET', path: '/admin/v1/tenants/{tenantId}', function: 'admin' },
  { method: 'POST', path: '/admin/v1/tenants/{tenantId}/offboard', function: 'admin' },
  { method: 'GET', path: '/admin/v1/offboarding-jobs/{jobId}', function: 'admin' },
  { method: 'GET', path: '/admin/v1/exports/{archiveId}', function: 'admin' },
  { method: 'GET', path: '/admin/v1/audit-events', function: 'admin' },
  { method: 'GET', path: '/admin/v1/benchmarks', function: 'admin' },
  { method: 'POST', path: '/admin/v1/console-users', function: 'admin' },
  // Security-incident notices (functions/admin/notices.ts; the tenant side in functions/alerts/notice-routes.ts).
  { method: 'POST', path: '/admin/v1/incidents', function: 'admin' },
  { method: 'GET', path: '/admin/v1/incidents', function: 'admin' },
  { method: 'GET', path: '/admin/v1/incidents/{incidentId}', function: 'admin' },
  { method: 'POST', path: '/admin/v1/incidents/{incidentId}/updates', function: 'admin' },
  { method: 'POST', path: '/admin/v1/incidents/{incidentId}/deliver', function: 'admin' },
  { method: 'GET', path: '/admin/v1/incidents/{incidentId}/tenants/{tenantId}', function: 'admin' },
  { method: 'GET', path: '/v1/notices', function: 'alerts' },
  { method: 'POST', path: '/v1/notices/{incidentId}/ack', function: 'alerts' },
  { method: 'GET', path: '/v1/notice-channels', function: 'alerts' },
  { method: 'PUT', path: '/v1/notice-channels', function: 'alerts' },
  { method: 'POST', path: '/v1/ingest', function: 'ingest' },
  { method: 'POST', path: '/v1/metrics', function: 'ingest' },
  { method: 'POST', path: '/api/v1/write', function: 'ingest' },
  // Logs (docs/logs.md): OTLP and native ingest, search.
  { method: 'POST', path: '/v1/logs', function: 'ingest' },
  { method: 'POST', path: '/v1/logs/ingest', function: 'ingest' },
  { method: 'GET', path: '/v1/logs/search', function: 'api' },
  { method: 'GET', path: '/admin/v1/tenants/{tenantId}/limits', function: 'limits' },
  { method: 'PUT', path: '/admin/v1/tenants/{tenantId}/limits', function: 'limits' },
  { method: 'GET', path: '/v1/usage', function: 'limits' },
  { method: 'POST', path: '/v1/alert-rules', function: 'alerts' },
  { method: 'GET', path: '/v1/alert-rules', function: 'alerts' },
  { method: 'GET', path: '/v1/alert-rules/{ruleId}', function: 'alerts' },
  { method: 'PUT', path: '/v1/alert-rules/{ruleId}', function: 'alerts' },
  { method: 'DELETE', path: '/v1/alert-rules/{ruleId}', function: 'alerts' },
  { method: 'POST', path: '/v1/escalation-chains', function: 'alerts' },
  { method: 'GET', path: '/v1/escalation-chains', function: 'alerts' },
  { method: 'GET', path: '/v1/escalation-chains/{chainId}', function: 'alerts' },
  { method: 'PUT', path: '/v1/escalation-chains/{chainId}', function: 'alerts' },
  { method: 'DELETE', path: '/v1/escalation-chains/{chainId}', function: 'alerts' },
  { method: 'POST', path: '/v1/alert-routes', function: 'alerts' },
  { method: 'GET', path: '/v1/alert-routes', function: 'alerts' },
  { method: 'GET', path: '/v1/alert-routes/{routeId}', function: 'alerts' },
  { method: 'PUT', path: '/v1/alert-routes/{routeId}', function: 'alerts' },
  { method: 'DELETE', path: '/v1/alert-routes/{routeId}', function: 'alerts' },
  { method: 'POST', path: '/v1/downtimes', function: 'alerts' },
  { method: 'GET', path: '/v1/downtimes', function: 'alerts' },
  { method: 'PATCH', path: '/v1/downtimes/{downtimeId}', function: 'alerts' },
  { method: 'DELETE', path: '/v1/downtimes/{downtimeId}', function: 'alerts' },
  { method: 'GET', path: '/v1/alerts', function: 'alerts' },
  // Before /v1/alerts/{alertId}: the local server takes the first template that matches.
  { method: 'GET', path: '/v1/alerts/history', function: 'alerts' },
  { method: 'GET', path: '/v1/alerts/history/export', function: 'alerts' },
  { method: 'POST', path: '/v1/reports/sla', function: 'alerts' },
  // Scheduled SLA reports (functions/alerts/report-schedule-routes.ts).
  { method: 'POST', path: '/v1/report-schedules', function: 'alerts' },
  { method: 'GET', path: '/v1/report-schedules', function: 'alerts' },
  { method: 'GET', path: '/v1/report-schedules/{scheduleId}', function: 'alerts' },
  { method: 'PUT', path: '/v1/report-schedules/{scheduleId}', function: 'alerts' },
  { method: 'DELETE', path: '/v1/report-schedules/{scheduleId}', function: 'alerts' },
  // A scheduled report's e-mailed link: the token is the credential (functions/alerts/report-file-routes.ts).
  { method: 'GET', path: '/v1/report-files/{token}', function: 'alerts' },
  { method: 'GET', path: '/v1/alerts/{alertId}', function: 'alerts' },
  { method: 'POST', path: '/v1/alerts/{alertId}/ack', function: 'alerts' },
  // Prometheus' HTTP API (functions/query/app.ts): Grafana and Prometheus tools, tenant tokens.
  ...(['GET', 'POST'] as const).flatMap((method) =>
    [
      '/api/v1/query',
      '/api/v1/query_range',
      '/api/v1/series',
      '/api/v1/labels',
      '/api/v1/format_query',
      '/api/v1/query_exemplars',
    ].map((path) => ({ method, path, function: 'query' as const })),
  ),
  { method: 'GET', path: '/api/v1/label/{name}/values', function: 'query' },
  { method: 'GET', path: '/api/v1/metadata', function: 'query' },
  { method: 'GET', path: '/api/v1/status/buildinfo', function: 'query' },
];

/** Matches a concrete path against a template; returns the path parameters or undefined. */
const templateSegments = new Map<string, readonly string[]>();

export function matchPath(template: string, path: string): Record<string, string> | undefined {
  let t = templateSegments.get(template);
  if (!t) {
    t = template.split('/');
    templateSegments.set(template, t);
  }
  const p = path.split('/');
  if (t.length !== p.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < t.length; i++) {
    const segment = t[i]!;
    const actual = p[i]!;
    if (segment.startsWith('{') && segment.endsWith('}')) {
      if (actual === '') return undefined;
      params[segment.slice(1, -1)] = decodeURIComponent(actual);
    } else if (segment !== actual) return undefined;
  }
  return params;
}
