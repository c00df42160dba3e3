/**
 * One route of the customer API and the helpers every resource module's routes share. The resource
 * modules (routes/*.ts) each return their operations; app.ts composes them.
 */
import { UnprocessableError } from '#domain/errors';
import type * as z from '#domain/zod';
import type { Principal } from '#http/auth';
import type { OperationDoc } from '#http/operations';
import { json } from '#http/response';
import { type HttpEvent, type HttpResult, header } from '#http/types';

export interface Request<B, Q> {
  readonly event: HttpEvent;
  readonly principal: Principal;
  readonly params: Record<string, string>;
  readonly body: B;
  readonly query: Q;
}

/** One route of the customer API: the router, the authorizer check and /openapi.json all read it. */
export interface Operation extends Omit<OperationDoc, 'auth' | 'binaryBody' | 'formBody'> {
  /** Which credential the route takes; `public` only for the API description itself. */
  readonly auth: 'tenant' | 'ingest' | 'public';
  readonly run: (request: Request<unknown, unknown>) => Promise<HttpResult>;
}

export function op<B extends z.ZodMiniType = z.ZodMiniUnknown, Q extends z.ZodMiniType = z.ZodMiniUnknown>(
  o: Omit<Operation, 'run' | 'body' | 'query'> & {
    body?: B;
    query?: Q;
    run: (request: Request<z.infer<B>, z.infer<Q>>) => Promise<HttpResult>;
  },
): Operation {
  return o as unknown as Operation;
}

/** `If-Match: "3"` → 3. */
export function ifMatch(event: HttpEvent): number | undefined {
  const raw = header(event, 'if-match');
  if (raw === undefined) return undefined;
  const version = Number(raw.replace(/^W\//, '').replaceAll('"', '').trim());
  if (!Number.isInteger(version) || version < 1)
    throw new UnprocessableError('If-Match must be a version this API returned', 'if-match');
  return version;
}

export const withEtag = (status: number, body: { version: number }) =>
  json(status, body, { etag: `"${body.version}"` });

/** The error answers every tenant route can give. */
export const std = { 401: null, 403: null, 422: null } as const;
