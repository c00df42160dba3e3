/**
 * OpenAPI 3.1 from the operations table: request bodies and queries are the very zod schemas the
 * handlers validate with (zod 4's toJSONSchema, JSON Schema 2020-12 as OpenAPI 3.1 expects).
 */
import * as z from '../../shared/domain/zod';
import { ROUTES } from '../../shared/http/routes';
import type { Operation } from './app';
import { errorView } from './views';

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No content',
  401: 'Missing, unknown, revoked or malformed token',
  403: 'The token’s kind or role does not allow this',
  404: 'Not found (or not yours)',
  409: 'Changed since the version you read (If-Match)',
  422: 'Invalid input; `error.field` names the field',
};

const schemaOf = (schema: z.ZodMiniType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;

export function buildOpenApiDocument(operations: readonly Operation[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const o of operations) {
    const parameters: unknown[] = [];
    for (const match of o.path.matchAll(/\{([^}]+)\}/g))
      parameters.push({ name: match[1], in: 'path', required: true, schema: { type: 'string' } });
    if (o.query) {
      const q = schemaOf(o.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, schema] of Object.entries(q.properties ?? {}))
        parameters.push({ name, in: 'query', required: (q.required ?? []).includes(name), schema });
    }
    if (['PATCH', 'PUT', 'DELETE'].includes(o.method) && o.path.includes('{'))
      parameters.push({
        name: 'If-Match',
        in: 'header',
        required: false,
        description: 'The version you read; the change is refused with 409 if it is no longer current',
        schema: { type: 'string' },
      });
    const responses: Record<string, unknown> = {};
    for (const [status, schema] of Object.entries(o.responses)) {
      const code = Number(status);
      const description = STATUS_TEXT[code] ?? 'See description';
      const body = schema ?? (code >= 400 ? errorView : undefined);
      responses[status] = body
        ? { description, content: { 'application/json': { schema: schemaOf(body, 'output') } } }
        : { description };
    }
    paths[o.path] ??= {};
    paths[o.path]![o.method.toLowerCase()] = {
      summary: o.summary,
      operationId: `${o.method.toLowerCase()}${o.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string = '') => c.toUpperCase())}`,
      ...(o.auth === 'public'
        ? { security: [] }
        : { security: [{ [o.auth === 'ingest' ? 'ingestKey' : 'tenantToken']: [] }] }),
      ...(o.permission ? { 'x-required-permission': o.permission } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(o.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(o.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  // Routes served by other functions (ingest, alerting, usage) are listed too, so the document names
  // every route a tenant can call; their owners describe bodies in their own schemas.
  for (const route of ROUTES) {
    if (route.function === 'api' || route.path.startsWith('/admin/')) continue;
    const method = route.method.toLowerCase();
    paths[route.path] ??= {};
    if (paths[route.path]![method]) continue;
    const parameters = [...route.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    paths[route.path]![method] = {
      summary: `Served by the ${route.function} function`,
      operationId: `${method}${route.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string = '') => c.toUpperCase())}`,
      security: [{ [route.function === 'ingest' ? 'ingestKey' : 'tenantToken']: [] }],
      ...(parameters.length > 0 ? { parameters } : {}),
      responses: {
        default: {
          description: 'See the function’s documentation; errors are `{error: {code, message, field?}}`',
          content: { 'application/json': { schema: schemaOf(errorView, 'output') } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Observability platform — customer API',
      version: '1.0.0',
      description:
        'Every request is scoped to the tenant of its token. Lists are paged with opaque cursors. ' +
        'Secrets (device credentials, tokens, ingest keys) are write-only: shown once or never.',
    },
    components: {
      securitySchemes: {
        tenantToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'obs_tenant_… (roles: admin, operator, read-only)',
        },
        ingestKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'obs_ingest_… (ingest and own config only)',
        },
      },
    },
    paths,
  };
}
