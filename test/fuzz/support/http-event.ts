/**
 * API Gateway REST events built in-process, so tests, the fuzz run and the benchmarks call the Lambda
 * handlers directly, without a socket.
 */
import { randomUUID } from 'node:crypto';
import { lambdaContext } from '../../../local/http-adapter';
import type { HttpEvent, HttpHandler, HttpResult } from '../../../shared/http/types';

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
  const headers: Record<string, string> = { ...(spec.headers ?? {}) };
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  const body = spec.body === undefined ? undefined : Buffer.from(spec.body);
  const query = spec.query && Object.keys(spec.query).length > 0 ? spec.query : null;
  const path = spec.path ?? spec.resource;
  return {
    resource: spec.resource,
    path,
    httpMethod: spec.method,
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query
      ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]]))
      : null,
    pathParameters: null,
    stageVariables: null,
    body: body && body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: !!body && body.length > 0,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: spec.method,
      path,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: spec.resource,
      identity: {
        sourceIp: '127.0.0.1',
        userAgent: 'fuzz',
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        user: null,
        userArn: null,
      },
    },
  };
}

export function invoke(handler: HttpHandler, spec: EventSpec): Promise<HttpResult> {
  const event = httpEvent(spec);
  return handler(event, lambdaContext('fuzz', event.requestContext.requestId));
}
