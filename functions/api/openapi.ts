/**
 * OpenAPI 3.1 of every route in shared/http/routes.ts, from each function's operations table: request
 * bodies and queries are the very zod schemas the handlers validate with (zod 4's toJSONSchema, JSON
 * Schema 2020-12 as OpenAPI 3.1 expects), and each route names what authorizes it
 * (`x-required-permission`).
 */
import * as z from '#domain/zod';
import { type BinaryContent, type OperationDoc, requiredPermission } from '#http/operations';
import { ADMIN_OPERATIONS } from '../admin/operations';
import { ALERTS_OPERATIONS } from '../alerts/operations';
import { INGEST_OPERATIONS } from '../ingest/operations';
import { LIMITS_OPERATIONS } from '../limits/operations';
import { QUERY_OPERATIONS } from '../query/operations';
import { errorView } from './views';

/** The routes the other functions serve; the api function's own come from its operations table. */
const OTHER_FUNCTIONS_OPERATIONS: readonly OperationDoc[] = [
  ...INGEST_OPERATIONS,
  ...ALERTS_OPERATIONS,
  ...LIMITS_OPERATIONS,
  ...QUERY_OPERATIONS,
  ...ADMIN_OPERATIONS,
];

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No content',
  302: 'Found: the Location header points to the content',
  304: 'Not modified since the ETag given in If-None-Match',
  400: 'Malformed body',
  401: 'Missing, unknown, revoked or malformed token',
  403: 'The token’s kind or role does not allow this',
  404: 'Not found (or not yours)',
  409: 'Changed since the version you read (If-Match)',
  410: 'Gone: it expired',
  413: 'Body too large',
  415: 'Unsupported media type',
  421: 'Misdirected: the tenant’s home is another region; `region` and `endpoints` name it (nothing was served or stored here)',
  422: 'Invalid input; `error.field` names the field',
  429: 'Over a limit; retry after Retry-After',
  503: 'Unavailable; retry after Retry-After',
};

const misdirectedView = z.object({
  error: z.object({ code: z.literal('misdirected'), message: z.string(), field: z.literal('region') }),
  region: z.string(),
  endpoints: z.optional(z.object({ ingest: z.string(), api: z.string() })),
});

const SECURITY: Record<OperationDoc['auth'], unknown[]> = {
  public: [],
  tenant: [{ tenantToken: [] }],
  ingest: [{ ingestKey: [] }],
  provider: [{ providerToken: [] }],
};

const schemaOf = (schema: z.ZodMiniType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;

const isBinary = (body: z.ZodMiniType | BinaryContent): body is BinaryContent => 'binary' in body;

/** The document for the api function's own operations plus every other function's. */
export function platformOpenApiDocument(apiOperations: readonly OperationDoc[]): Record<string, unknown> {
  return buildOpenApiDocument([...apiOperations, ...OTHER_FUNCTIONS_OPERATIONS]);
}

export function buildOpenApiDocument(operations: readonly OperationDoc[]): Record<string, unknown> {
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
    // Every tenant and ingest route answers 421 away from the tenant's home (shared/domain/region.ts).
    const statuses =
      o.auth === 'tenant' || o.auth === 'ingest' ? { ...o.responses, 421: misdirectedView } : o.responses;
    for (const [status, schema] of Object.entries(statuses)) {
      const code = Number(status);
      const description = STATUS_TEXT[code] ?? 'See description';
      const body = schema ?? (code >= 400 ? errorView : undefined);
      responses[status] = !body
        ? { description }
        : isBinary(body)
          ? { description, content: { [body.binary]: { schema: { type: 'string', format: 'binary' } } } }
          : { description, content: { 'application/json': { schema: schemaOf(body, 'output') } } };
    }
    const content: Record<string, unknown> = {};
    if (o.body) content['application/json'] = { schema: schemaOf(o.body, 'input') };
    if (o.formBody) content['application/x-www-form-urlencoded'] = { schema: schemaOf(o.formBody, 'input') };
    for (const type of o.binaryBody ?? []) content[type] ??= { schema: { type: 'string', format: 'binary' } };
    paths[o.path] ??= {};
    paths[o.path]![o.method.toLowerCase()] = {
      summary: o.summary,
      operationId: `${o.method.toLowerCase()}${o.path.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string = '') => c.toUpperCase())}`,
      security: SECURITY[o.auth],
      'x-required-permission': requiredPermission(o),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(Object.keys(content).length > 0 ? { requestBody: { required: true, content } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Observability platform API',
      version: '1.0.0',
      description:
        'Every customer request is scoped to the tenant of its token; /admin/v1/* is the provider’s. ' +
        'Lists are paged with opaque cursors. Secrets (device credentials, tokens, ingest keys) are ' +
        'write-only: shown once or never. `x-required-permission` names what authorizes each route: ' +
        'the tenant token role permission, `any-tenant-token`, `ingest-key`, `provider-token` or `none`.',
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
        providerToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The provider’s admin token (/admin/v1/* only)',
        },
      },
    },
    paths,
  };
}
