/**
 * X-Ray tracing for the Lambda functions, kept out of shared/http/handler.ts on purpose: importing
 * the Powertools tracer loads aws-xray-sdk-core, whose context (cls-hooked) enables an async hook
 * with a destroy callback on every promise of the process. Lambda pays that for its traces; the local
 * platform, which sends traces nowhere, never imports this module and so never pays it.
 *
 * Responses and errors are never recorded in a trace: responses carry the one-time admin token, API
 * tokens, ingest keys and decrypted device credentials (GET /v1/collector/config), and trace metadata
 * is readable by anyone with X-Ray read access. What a trace keeps instead are annotations: the route,
 * the status and a hash of the tenant id (the id itself is not a secret but needs no spreading).
 */
import { createHash } from 'node:crypto';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { Request } from '@middy/core';
import { authenticatedTenantOf } from './auth';
import { createObservability, type Observability, type TracingMiddleware } from './handler';
import type { HttpEvent } from './types';

/** The tenant annotation: enough to group one tenant's traces, not its id. */
export const tenantIdHash = (tenantId: string): string =>
  createHash('sha256').update(tenantId).digest('hex').slice(0, 16);

/** Logger, metrics and an X-Ray segment per invocation: what every Lambda entry point uses. */
export function lambdaObservability(serviceName: string): Observability {
  const tracer = new Tracer({ serviceName });
  const capture = captureLambdaHandler(tracer, {
    captureResponse: false,
  }) as unknown as Required<TracingMiddleware>;
  // Runs inside the handler's subsegment, which capture's after/onError closes.
  const annotate = (request: Request<unknown, unknown, Error>) => {
    const event = request.event as Partial<HttpEvent> | undefined;
    if (!tracer.isTracingEnabled() || !event?.httpMethod) return;
    tracer.putAnnotation('route', `${event.httpMethod} ${event.resource}`);
    const status = (request.response as { statusCode?: number } | undefined)?.statusCode;
    tracer.putAnnotation('status', status ?? 500);
    const tenantId = authenticatedTenantOf(event as HttpEvent);
    if (tenantId) tracer.putAnnotation('tenantIdHash', tenantIdHash(tenantId));
  };
  const tracing: TracingMiddleware = {
    before: capture.before,
    after: async (request) => {
      annotate(request as never);
      await capture.after(request);
    },
    // Not capture.onError, which records the error (message, stack, cause) as metadata: the error
    // flag alone, then the same close as a success.
    onError: async (request) => {
      annotate(request as never);
      if (tracer.isTracingEnabled()) tracer.getSegment()?.addErrorFlag();
      await capture.after(request);
    },
  };
  return createObservability(serviceName, tracing);
}
