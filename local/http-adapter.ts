/**
 * HTTP → API Gateway (REST, payload v1) events and back: the only thing the local server adds around
 * the Lambda handlers. Bodies are always base64, as with the API's binary media type `*\/*`.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { rememberRawBody } from '#http/body';
import type { HttpEvent, HttpResult } from '#http/types';

/** API Gateway's own payload limit. */
export const MAX_REQUEST_BYTES = 10 * 1024 * 1024;

export class RequestTooLargeError extends Error {}

export async function readRequestBody(req: IncomingMessage, limit = MAX_REQUEST_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new RequestTooLargeError(`request body is larger than ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** What an API Gateway REST event is made of, whoever makes it (this server, tests, benchmarks). */
export interface EventParts {
  readonly method: string;
  /** Resource template, e.g. `/v1/resources/{id}`. */
  readonly resource: string;
  readonly path: string;
  /** Header name → values, in the client's case. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly query: Readonly<Record<string, readonly string[]>>;
  readonly pathParameters?: Readonly<Record<string, string>>;
  readonly body?: Buffer;
  readonly sourceIp: string;
  readonly userAgent?: string;
  readonly protocol?: string;
}

/** The event API Gateway (REST, binary media type `*\/*`) hands a Lambda: bodies always base64. */
export function apiGatewayEvent(parts: EventParts): HttpEvent {
  const last = (values: Readonly<Record<string, readonly string[]>>) => {
    const result: Record<string, string> = {};
    for (const name in values) {
      const v = values[name] as readonly string[];
      result[name] = v[v.length - 1] as string;
    }
    return result;
  };
  const multi = (values: Readonly<Record<string, readonly string[]>>) => {
    const result: Record<string, string[]> = {};
    for (const name in values) result[name] = [...(values[name] as readonly string[])];
    return result;
  };
  const hasQuery = Object.keys(parts.query).length > 0;
  const pathParameters = parts.pathParameters ?? {};
  const body = parts.body ?? Buffer.alloc(0);
  const event: HttpEvent = {
    resource: parts.resource,
    path: parts.path,
    httpMethod: parts.method,
    headers: last(parts.headers),
    multiValueHeaders: multi(parts.headers),
    queryStringParameters: hasQuery ? last(parts.query) : null,
    multiValueQueryStringParameters: hasQuery ? multi(parts.query) : null,
    pathParameters: Object.keys(pathParameters).length > 0 ? { ...pathParameters } : null,
    stageVariables: null,
    body: null,
    isBase64Encoded: body.length > 0,
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      authorizer: null,
      protocol: parts.protocol ?? 'HTTP/1.1',
      httpMethod: parts.method,
      path: parts.path,
      stage: 'local',
      requestId: randomUUID(),
      requestTimeEpoch: Date.now(),
      resourceId: 'local',
      resourcePath: parts.resource,
      identity: {
        sourceIp: parts.sourceIp,
        userAgent: parts.userAgent ?? null,
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
  if (body.length > 0) {
    // Base64 as API Gateway sends it, but encoded only if someone reads it: handlers read the bytes
    // through rawBody, which gets them as they are.
    let encoded: string | undefined;
    Object.defineProperty(event, 'body', {
      get: () => {
        encoded ??= body.toString('base64');
        return encoded;
      },
      enumerable: true,
    });
    rememberRawBody(event, body);
  }
  return event;
}

export function toApiGatewayEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  resource: string,
  pathParameters: Record<string, string>,
): HttpEvent {
  const headers: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    const values = headers[name];
    if (values) values.push(value);
    else headers[name] = [value];
  }
  const query: Record<string, string[]> = {};
  for (const [name, value] of url.searchParams) {
    const values = query[name];
    if (values) values.push(value);
    else query[name] = [value];
  }
  return apiGatewayEvent({
    method: req.method ?? 'GET',
    resource,
    path: url.pathname,
    headers,
    query,
    pathParameters,
    body,
    sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
    ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
    protocol: `HTTP/${req.httpVersion}`,
  });
}

export function lambdaContext(functionName: string, requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: `/local/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

export function writeResult(res: ServerResponse, result: HttpResult): void {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  for (const [name, values] of Object.entries(result.multiValueHeaders ?? {}))
    headers[name] = values.map(String);
  const body = result.body
    ? Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8')
    : Buffer.alloc(0);
  headers['content-length'] = String(body.length);
  res.writeHead(result.statusCode, headers);
  res.end(body);
}
