/**
 * API Gateway REST events built in-process, so tests, the fuzz run and the benchmarks call the Lambda
 * handlers directly, without a socket.
 */

import type { HttpEvent, HttpHandler, HttpResult } from '#http/types';
import { apiGatewayEvent, lambdaContext } from '../../../local/http-adapter';

export interface EventSpec {
  readonly method: string;
  /** Resource template, e.g. `/v1/ingest`. */
  readonly resource: string;
  readonly path?: string;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: string | Buffer;
  readonly token?: string;
}

export function httpEvent(spec: EventSpec): HttpEvent {
  const headers: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(spec.headers ?? {})) headers[name] = [value];
  if (spec.token) headers.authorization = [`Bearer ${spec.token}`];
  const query: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(spec.query ?? {})) query[name] = [value];
  return apiGatewayEvent({
    method: spec.method,
    resource: spec.resource,
    path: spec.path ?? spec.resource,
    headers,
    query,
    ...(spec.body === undefined ? {} : { body: Buffer.from(spec.body) }),
    sourceIp: '127.0.0.1',
    userAgent: 'fuzz',
  });
}

export function invoke(handler: HttpHandler, spec: EventSpec): Promise<HttpResult> {
  const event = httpEvent(spec);
  return handler(event, lambdaContext('fuzz', event.requestContext.requestId));
}
