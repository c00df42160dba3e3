import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#domain/credentials';
import { type Permission, roleGrants } from '#domain/roles';
import { ROUTES } from '#http/routes';
import { apiOpenApiDocument } from '../../functions/api/app';
import { startTestPlatform, type TestPlatform } from '../support/platform';

interface DocOperation {
  'x-required-permission'?: string;
  security?: unknown[];
  requestBody?: { content: Record<string, { schema?: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema?: Record<string, unknown> }> }>;
}

const document = apiOpenApiDocument() as { paths: Record<string, Record<string, DocOperation>> };
const operationOf = (route: (typeof ROUTES)[number]) =>
  document.paths[route.path]?.[route.method.toLowerCase()];

/** Actions on an existing item: POST without a body. Every other POST, PUT and PATCH takes one. */
const BODILESS_ACTION = /\/(rotate-key|rotate|offboard|ack|console-access|deliver)$/;

describe('/openapi.json', () => {
  it.each(ROUTES.map((r) => [`${r.method} ${r.path}`, r] as const))('describes %s', (_, route) => {
    const operation = operationOf(route);
    expect(operation).toBeDefined();
    expect(operation?.['x-required-permission']).toMatch(
      /^([a-z]+:[a-z]+|any-tenant-token|ingest-key|provider-token|none)$/,
    );
    if (['POST', 'PUT', 'PATCH'].includes(route.method) && !BODILESS_ACTION.test(route.path)) {
      const content = Object.values(operation?.requestBody?.content ?? {});
      expect(content.length, 'request body').toBeGreaterThan(0);
      for (const c of content) expect(c.schema, 'request body schema').toBeTypeOf('object');
    }
    const success = Object.entries(operation?.responses ?? {}).filter(([status]) => status.startsWith('2'));
    expect(success.length, 'a success response').toBeGreaterThan(0);
    for (const [status, response] of success) {
      if (status === '204') expect(response.content).toBeUndefined();
      else expect(Object.values(response.content ?? {})[0]?.schema, `${status} schema`).toBeTypeOf('object');
    }
    for (const [status, response] of Object.entries(operation?.responses ?? {}))
      if (Number(status) >= 400)
        expect(response.content?.['application/json']?.schema, `${status} error schema`).toBeTypeOf('object');
  });

  it('documents nothing that is not a route', () => {
    const routes = new Set(ROUTES.map((r) => `${r.method.toLowerCase()} ${r.path}`));
    for (const [path, methods] of Object.entries(document.paths))
      for (const method of Object.keys(methods))
        expect(routes, `${method} ${path}`).toContain(`${method} ${path}`);
  });

  it('names the credential of provider and ingest routes, and the permission of tenant routes', () => {
    for (const route of ROUTES) {
      const permission = operationOf(route)?.['x-required-permission'];
      if (route.path.startsWith('/admin/')) expect(permission, route.path).toBe('provider-token');
      else if (route.function === 'ingest') expect(permission, route.path).toBe('ingest-key');
      else if (route.path.startsWith('/v1/notice'))
        // Security notices are the tenant admins' (functions/alerts/notice-routes.ts).
        expect(permission, route.path).toBe('notices:manage');
      else if (route.path === '/v1/report-files/{token}')
        // A scheduled report's e-mailed link: its HMAC-signed token is the credential, no bearer token.
        expect(permission, route.path).toBe('none');
      else if (route.function === 'alerts')
        // A report is a POST (its definition is a body) that changes nothing: a read.
        expect(permission, route.path).toBe(
          route.method === 'GET' || route.path === '/v1/reports/sla' ? 'alerts:read' : 'alerts:write',
        );
    }
  });
});

describe('x-required-permission of every tenant route', () => {
  let platform: TestPlatform;
  beforeAll(async () => {
    platform = await startTestPlatform();
  });
  afterAll(async () => {
    await platform?.destroy();
  });

  it('is the permission its function enforces: a role without it gets 403, a role with it does not', async () => {
    const { adminToken } = await platform.createTenant();
    const tokens: Record<string, string> = {};
    for (const role of ['operator', 'read-only'] as const) {
      const issued = await platform.request('/v1/tokens', {
        method: 'POST',
        token: adminToken,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: role, role }),
      });
      tokens[role] = ((await issued.json()) as { token: string }).token;
    }
    let checked = 0;
    for (const route of ROUTES) {
      const permission = operationOf(route)?.['x-required-permission'];
      if (!permission?.includes(':')) continue;
      for (const role of ['read-only', 'operator'] as const) {
        const r = await platform.request(route.path.replace(/\{[^}]+\}/g, newId()), {
          method: route.method,
          token: tokens[role],
          ...(['POST', 'PUT', 'PATCH'].includes(route.method)
            ? { headers: { 'content-type': 'application/json' }, body: '{}' }
            : {}),
        });
        const what = `${role} ${route.method} ${route.path} (${permission})`;
        if (roleGrants(role, permission as Permission)) expect(r.status, what).not.toBe(403);
        else expect(r.status, what).toBe(403);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(60);
  });
});
