/**
 * Prometheus' HTTP API (/api/v1/*), so Grafana and every Prometheus tool read a tenant's metrics:
 * authenticate (a tenant token as Bearer, or as the Basic-auth password: Grafana's two ways), parse
 * Prometheus' parameters, check the query limits, answer from the region's backend (the engine over
 * the store, or the AMP workspace) in Prometheus' envelope. The tenant comes from the credential only.
 */
import { BadRequestError } from '#domain/errors';
import type { LabelMatcher, Labels } from '#domain/label-matchers';
import {
  checkQueryLength,
  checkResolution,
  DEFAULT_QUERY_LIMITS,
  type QueryLimits,
} from '#domain/query-limits';
import { authenticate, requirePermission } from '#http/auth';
import { httpHandler, type Observability, type Route, router } from '#http/handler';
import { internalErrorResult } from '#http/response';
import { type HttpEvent, type HttpHandler, type HttpResult, header } from '#http/types';
import type { Clock } from '#ports/clock';
import { type MetricMetadataStore, prometheusMetadataData } from '#ports/metric-metadata';
import type { QueryLeases } from '#ports/query-leases';
import type { TenantStore } from '#ports/tenant-store';
import type { QueryBackend, QueryContext } from './backend';
import { withDeadline, withQueryLease } from './concurrency';
import type { PromqlEngine } from './engine';
import { ANY_SERIES } from './engine-backend';
import { prometheusError, queryAnswer, sortedLabelSets, success } from './format';
import {
  MAX_TIME_MS,
  MIN_TIME_MS,
  type Params,
  param,
  parseDuration,
  parseTime,
  requestParams,
} from './params';

export interface QueryDeps {
  readonly tenants: TenantStore;
  readonly backend: QueryBackend;
  /** The tenant's query concurrency, counted across every instance of the function. */
  readonly leases: QueryLeases;
  /** Parses selectors and formats queries (the backend evaluates). */
  readonly engine: PromqlEngine;
  readonly limits?: Partial<QueryLimits>;
  /** What senders said each metric is (/api/v1/metadata); empty answers without it. */
  readonly metadata?: MetricMetadataStore;
  readonly clock: Clock;
  readonly observability: Observability;
}

/** The Prometheus release whose API this one follows; Grafana reads its features from the version. */
export const BUILD_INFO = {
  version: '2.42.0',
  revision: 'observability-platform',
  branch: 'HEAD',
  buildUser: 'observability-platform',
  buildDate: '20230131-00:00:00',
  goVersion: 'go1.19.5',
} as const;

export const QUERY_PATHS = {
  query: '/api/v1/query',
  queryRange: '/api/v1/query_range',
  series: '/api/v1/series',
  labels: '/api/v1/labels',
  labelValues: '/api/v1/label/{name}/values',
  metadata: '/api/v1/metadata',
  buildInfo: '/api/v1/status/buildinfo',
  formatQuery: '/api/v1/format_query',
  exemplars: '/api/v1/query_exemplars',
} as const;

/**
 * Grafana sends the token either as `Authorization: Bearer` (a custom header) or as the Basic-auth
 * password (any user name): the latter is turned into the former before authentication.
 */
export function bearerFromBasicAuth(event: HttpEvent): HttpEvent {
  const basic = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header(event, 'authorization') ?? '');
  if (!basic) return event;
  const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
  const password = decoded.slice(decoded.indexOf(':') + 1);
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {}))
    if (name.toLowerCase() !== 'authorization') headers[name] = value;
  headers.authorization = `Bearer ${password}`;
  return { ...event, headers };
}

export function createQueryHandler(deps: QueryDeps): HttpHandler {
  const limits: QueryLimits = { ...DEFAULT_QUERY_LIMITS, ...deps.limits };
  const { logger } = deps.observability;
  const now = () => deps.clock.now().getTime();

  /** Authenticated, holding one of the tenant's query leases, under the deadline; errors as Prometheus says them. */
  function endpoint(
    run: (params: Params, event: HttpEvent, ctx: () => Promise<QueryContext>) => Promise<HttpResult>,
    options: { bounded: boolean } = { bounded: true },
  ): Route {
    return async (event) => {
      try {
        const principal = await authenticate(bearerFromBasicAuth(event), deps.tenants, 'tenant');
        requirePermission(principal, 'metrics:read');
        const params = requestParams(event);
        if (!options.bounded) return await run(params, event, () => Promise.reject(new Error('unbounded')));
        return await withQueryLease(
          deps.leases,
          {
            tenantId: principal.tenantId,
            max: limits.maxConcurrentQueries,
            timeoutMs: limits.timeoutMs,
            nowMs: now(),
          },
          () =>
            withDeadline(limits.timeoutMs, (signal) =>
              run(params, event, async () => ({ tenantId: principal.tenantId, limits, signal })),
            ),
          (error) => logger.warn('query lease not released; it expires', { error: error as Error }),
        );
      } catch (error) {
        const answer = prometheusError(error);
        if (answer) return answer;
        logger.error('query failed', { error: error as Error });
        return internalErrorResult();
      }
    };
  }

  const required = (params: Params, name: string): string => {
    const value = param(params, name);
    if (value === undefined || value === '')
      throw new BadRequestError(`invalid parameter "${name}": missing`, name);
    return value;
  };

  function selectors(params: Params): LabelMatcher[][] | undefined {
    const matches = params.get('match[]');
    if (!matches || matches.length === 0) return undefined;
    return matches.map((m) => deps.engine.selectorMatchers(m));
  }

  /**
   * start/end of a listing: Prometheus' defaults are all of time; here the range is at most
   * max_query_length, kept at its end (a label browser wants recent names, and no listing reads more).
   */
  function listRange(params: Params): { startMs: number; endMs: number } {
    const endRaw = param(params, 'end');
    const startRaw = param(params, 'start');
    const endMs = Math.min(endRaw ? parseTime(endRaw, 'end') : now(), MAX_TIME_MS);
    let startMs = startRaw ? parseTime(startRaw, 'start') : MIN_TIME_MS;
    if (endMs < startMs)
      throw new BadRequestError(
        'invalid parameter "end": end timestamp must not be before start time',
        'end',
      );
    startMs = Math.max(startMs, endMs - limits.maxQueryLengthMs);
    return { startMs, endMs };
  }

  function limitOf(params: Params): number | undefined {
    const raw = param(params, 'limit');
    if (raw === undefined || raw === '' || raw === '0') return undefined;
    const limit = Number(raw);
    if (!Number.isInteger(limit) || limit < 0)
      throw new BadRequestError('invalid parameter "limit": must be a non-negative integer', 'limit');
    return limit;
  }

  function truncated<T>(items: T[], limit: number | undefined): { data: T[]; warnings: string[] } {
    if (limit === undefined || items.length <= limit) return { data: items, warnings: [] };
    return { data: items.slice(0, limit), warnings: ['results truncated due to limit'] };
  }

  async function listSeries(
    params: Params,
    ctx: QueryContext,
    required: boolean,
  ): Promise<readonly Labels[]> {
    const selected = selectors(params);
    if (!selected && required) throw new BadRequestError('no match[] parameter provided', 'match[]');
    return deps.backend.series(ctx, { selectors: selected ?? [ANY_SERIES], ...listRange(params) });
  }

  const routes: Record<string, Route> = {};
  const both = (path: string, route: Route) => {
    routes[`GET ${path}`] = route;
    routes[`POST ${path}`] = route;
  };

  both(
    QUERY_PATHS.query,
    endpoint(async (params, _event, context) => {
      const query = required(params, 'query');
      const timeRaw = param(params, 'time');
      const timeMs = timeRaw ? parseTime(timeRaw, 'time') : now();
      const answer = await deps.backend.instant(await context(), query, timeMs);
      return queryAnswer(answer, answer.warnings);
    }),
  );
  both(
    QUERY_PATHS.queryRange,
    endpoint(async (params, _event, context) => {
      const query = required(params, 'query');
      const startMs = parseTime(required(params, 'start'), 'start');
      const endMs = parseTime(required(params, 'end'), 'end');
      if (endMs < startMs)
        throw new BadRequestError(
          'invalid parameter "end": end timestamp must not be before start time',
          'end',
        );
      const stepMs = parseDuration(required(params, 'step'), 'step');
      if (stepMs <= 0)
        throw new BadRequestError(
          'invalid parameter "step": zero or negative query resolution step widths are not accepted. Try a positive integer',
          'step',
        );
      checkResolution(startMs, endMs, stepMs, limits);
      checkQueryLength(startMs, endMs, limits);
      const answer = await deps.backend.range(await context(), query, startMs, endMs, stepMs);
      return queryAnswer(answer, answer.warnings);
    }),
  );
  both(
    QUERY_PATHS.series,
    endpoint(async (params, _event, context) => {
      const series = sortedLabelSets([...(await listSeries(params, await context(), true))]);
      const { data, warnings } = truncated(series, limitOf(params));
      return success(data, warnings);
    }),
  );
  both(
    QUERY_PATHS.labels,
    endpoint(async (params, _event, context) => {
      const names = new Set<string>();
      for (const labels of await listSeries(params, await context(), false))
        for (const name of Object.keys(labels)) names.add(name);
      const { data, warnings } = truncated([...names].sort(), limitOf(params));
      return success(data, warnings);
    }),
  );
  routes[`GET ${QUERY_PATHS.labelValues}`] = endpoint(async (params, event, context) => {
    const name = event.pathParameters?.name ?? '';
    // Dimension names may hold `.`, `-` and `/` (OTLP names), beyond Prometheus' classic label names.
    if (!/^[a-zA-Z_][a-zA-Z0-9_.:/-]*$/.test(name))
      throw new BadRequestError(`invalid label name: "${name}"`, 'name');
    const values = new Set<string>();
    for (const labels of await listSeries(params, await context(), false)) {
      const value = labels[name];
      if (value !== undefined && value !== '') values.add(value);
    }
    const { data, warnings } = truncated([...values].sort(), limitOf(params));
    return success(data, warnings);
  });
  routes[`GET ${QUERY_PATHS.metadata}`] = endpoint(async (params, _event, context) => {
    const { tenantId } = await context();
    const metric = param(params, 'metric') || undefined;
    const limit = limitOf(params);
    const entries = deps.metadata
      ? await deps.metadata.list(tenantId, { ...(metric ? { metric } : {}), ...(limit ? { limit } : {}) })
      : [];
    return success(prometheusMetadataData(entries));
  });
  routes[`GET ${QUERY_PATHS.buildInfo}`] = endpoint(async () => success(BUILD_INFO), { bounded: false });
  both(
    QUERY_PATHS.formatQuery,
    endpoint(async (params) => success(deps.engine.format(required(params, 'query'))), { bounded: false }),
  );
  both(
    QUERY_PATHS.exemplars,
    endpoint(
      async (params) => {
        required(params, 'query');
        return success([]);
      },
      { bounded: false },
    ),
  );

  return httpHandler(deps.observability, router(routes));
}
