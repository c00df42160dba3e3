/**
 * Prometheus' HTTP API routes as /openapi.json describes them (functions/query/app.ts). The handler
 * parses Prometheus' parameters by hand (params.ts: repeated `match[]`, RFC 3339 or Unix-seconds
 * times, `5m` durations), so these schemas document them; a POST takes the same parameters as a form.
 * Paths are spelled out rather than taken from app.ts's QUERY_PATHS, so the api function, which serves
 * /openapi.json, does not bundle the query engine.
 */
import * as z from '#domain/zod';
import type { OperationDoc } from '#http/operations';

const time = (what: string) => z.optional(z.string().check(z.describe(`${what}: RFC 3339 or Unix seconds`)));
const matchers = z.optional(z.array(z.string()).check(z.describe('series selectors, repeatable as match[]')));
const limit = z.optional(z.string().check(z.describe('at most this many results (0: all)')));

const instantQuery = z.object({ query: z.string(), time: time('evaluation instant (default now)') });
const rangeQuery = z.object({
  query: z.string(),
  start: z.string().check(z.describe('RFC 3339 or Unix seconds')),
  end: z.string().check(z.describe('RFC 3339 or Unix seconds')),
  step: z.string().check(z.describe('`15s`, `1m` or float seconds')),
});
const listing = z.object({ 'match[]': matchers, start: time('from'), end: time('to'), limit });
const queryOnly = z.object({ query: z.string() });

const success = (data: z.ZodMiniType) =>
  z.object({ status: z.literal('success'), data, warnings: z.optional(z.array(z.string())) });
const queryResult = success(
  z.looseObject({
    resultType: z.enum(['matrix', 'vector', 'scalar', 'string']),
    result: z.unknown(),
  }),
);
const prometheusError = z.object({
  status: z.literal('error'),
  errorType: z.string(),
  error: z.string(),
});
const errors = {
  400: prometheusError,
  401: prometheusError,
  403: prometheusError,
  422: prometheusError,
  503: prometheusError,
};

const read = { auth: 'tenant', permission: 'metrics:read' } as const;

/** GET with query parameters and POST with the same as a form, as Prometheus serves both. */
const both = (path: string, summary: string, params: z.ZodMiniType, ok: z.ZodMiniType): OperationDoc[] => [
  { method: 'GET', path, summary, ...read, query: params, responses: { 200: ok, ...errors } },
  { method: 'POST', path, summary, ...read, formBody: params, responses: { 200: ok, ...errors } },
];

export const QUERY_OPERATIONS: readonly OperationDoc[] = [
  ...both('/api/v1/query', 'PromQL instant query', instantQuery, queryResult),
  ...both('/api/v1/query_range', 'PromQL range query', rangeQuery, queryResult),
  ...both(
    '/api/v1/series',
    'Series matching selectors',
    listing,
    success(z.array(z.record(z.string(), z.string()))),
  ),
  ...both('/api/v1/labels', 'Label names', listing, success(z.array(z.string()))),
  ...both('/api/v1/format_query', 'Format a PromQL expression', queryOnly, success(z.string())),
  ...both(
    '/api/v1/query_exemplars',
    'Exemplars (none are stored: always empty)',
    queryOnly,
    success(z.array(z.unknown())),
  ),
  {
    method: 'GET',
    path: '/api/v1/label/{name}/values',
    summary: "A label's values",
    ...read,
    query: listing,
    responses: { 200: success(z.array(z.string())), ...errors },
  },
  {
    method: 'GET',
    path: '/api/v1/metadata',
    summary: 'Metric metadata (Prometheus shape)',
    ...read,
    responses: { 200: success(z.record(z.string(), z.unknown())), ...errors },
  },
  {
    method: 'GET',
    path: '/api/v1/status/buildinfo',
    summary: 'The Prometheus release whose API this one follows',
    ...read,
    responses: { 200: success(z.looseObject({ version: z.string() })), ...errors },
  },
];
