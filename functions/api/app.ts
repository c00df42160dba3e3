/**
 * The customer API: one module per resource under routes/, each returning its operations; this file
 * composes them, serves /openapi.json and dispatches (authenticate, check the permission, parse).
 */
import { parseOrThrow } from '#domain/validation';
import * as z from '#domain/zod';
import { authenticate, type Principal, requirePermission } from '#http/auth';
import { readJson, requireMediaType } from '#http/body';
import { httpHandler, type Route, router } from '#http/handler';
import { json } from '#http/response';
import type { HttpHandler } from '#http/types';
import { type ApiDeps, createApiContext } from './api-context';
import { platformOpenApiDocument } from './openapi';
import { type Operation, op } from './operation';
import { auditEventOperations } from './routes/audit-events';
import { collectorConfigOperations } from './routes/collector-config';
import { collectorOperations } from './routes/collectors';
import { dashboardOperations } from './routes/dashboards';
import { deviceCredentialOperations } from './routes/device-credentials';
import { logOperations } from './routes/logs';
import { metricsQueryOperations } from './routes/metrics-query';
import { resourceOperations } from './routes/resources';
import { tokenOperations } from './routes/tokens';
import { userOperations } from './routes/users';

export type { ApiDeps } from './api-context';
export type { Operation } from './operation';

/** The operations of the customer API. `apiDeps` is only touched when an operation runs. */
export function apiOperations(apiDeps: ApiDeps): Operation[] {
  const ctx = createApiContext(apiDeps);
  const operations: Operation[] = [
    ...collectorOperations(ctx),
    ...collectorConfigOperations(ctx),
    ...resourceOperations(ctx),
    ...deviceCredentialOperations(ctx),
    ...userOperations(ctx),
    ...tokenOperations(ctx),
    ...auditEventOperations(ctx),
    ...metricsQueryOperations(ctx),
    ...logOperations(ctx),
    ...dashboardOperations(ctx),
  ];
  operations.push(
    op({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This API, described in OpenAPI 3.1',
      auth: 'public',
      responses: {
        200: z.looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) }),
      },
      run: async () => json(200, platformOpenApiDocument(operations)),
    }),
  );
  return operations;
}

export function apiOpenApiDocument(): unknown {
  return platformOpenApiDocument(apiOperations(undefined as unknown as ApiDeps));
}

/** The customer API: everything a tenant's own tooling does, scoped to the tenant of its token. */
export function createApiHandler(deps: ApiDeps): HttpHandler {
  const routes: Record<string, Route> = {};
  for (const operation of apiOperations(deps)) {
    routes[`${operation.method} ${operation.path}`] = async (event) => {
      let principal = undefined as unknown as Principal;
      if (operation.auth !== 'public') {
        principal = await authenticate(event, deps.tenants, operation.auth);
        if (operation.permission) requirePermission(principal, operation.permission);
      }
      let body: unknown;
      if (operation.body) {
        if (event.body) requireMediaType(event, ['application/json']);
        body = parseOrThrow(operation.body, readJson(event) ?? {});
      }
      const query = operation.query
        ? parseOrThrow(operation.query, { ...(event.queryStringParameters ?? {}) })
        : undefined;
      const params = { ...(event.pathParameters ?? {}) } as Record<string, string>;
      return operation.run({ event, principal, params, body, query });
    };
  }
  return httpHandler(deps.observability, router(routes));
}
