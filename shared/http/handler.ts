import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { DomainError, NotFoundError, UnavailableError } from '#domain/errors';
import { isRetryable } from '#ports/dependency-failure';
import { errorResult, internalErrorResult } from './response';
import type { HttpEvent, HttpHandler, HttpResult } from './types';

/** X-Ray tracing of each invocation: Powertools' captureLambdaHandler (shared/http/tracing.ts). */
export type TracingMiddleware = MiddlewareObj<never, unknown, Error, Context>;

/** Powertools utilities of one function, created once per module (cold start), injected. */
export interface Observability {
  readonly logger: Logger;
  readonly metrics: Metrics;
  /**
   * Present in the Lambda functions (lambdaObservability); absent where nothing collects traces
   * (the local platform, tests), which then never load the X-Ray SDK (see tracing.ts).
   */
  readonly tracing?: TracingMiddleware;
}

export const METRICS_NAMESPACE = 'ObservabilityPlatform';

/**
 * Powertools Metrics' own warnings, minus "No application metrics to publish": many routes (reads,
 * admin calls) rightly emit none, and the local server, running concurrent requests through one
 * Metrics object, printed it on nearly every request. Its other warnings (bad dimension or metric) stay.
 */
const metricsWarnings = {
  debug: (...args: unknown[]) => console.debug(...args),
  info: (...args: unknown[]) => console.info(...args),
  error: (...args: unknown[]) => console.error(...args),
  warn: (...args: unknown[]) => {
    if (!String(args[0]).startsWith('No application metrics to publish')) console.warn(...args);
  },
};

export function createObservability(serviceName: string, tracing?: TracingMiddleware): Observability {
  return {
    logger: new Logger({ serviceName }),
    metrics: new Metrics({ serviceName, namespace: METRICS_NAMESPACE, logger: metricsWarnings }),
    ...(tracing ? { tracing } : {}),
  };
}

/**
 * Errors to HTTP in one place (as middy's http-error-handler does): a DomainError shows its status and
 * message; anything else is logged and answered with a generic 500 that reveals nothing.
 */
export function httpErrors(logger: Logger): MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof DomainError) {
        if (error.status >= 500) logger.warn('dependency unavailable', { error });
        request.response = errorResult(error);
        return;
      }
      if (isRetryable(error)) {
        // A throttled or failing AWS dependency (DynamoDB, KMS, SNS…) is the platform's problem, not
        // the client's: a retryable 503, never a bare 500 (fault matrix, test/faults).
        logger.warn('dependency unavailable', { error: error as Error });
        request.response = errorResult(
          new UnavailableError('a dependency is unavailable; retry later', 2, { cause: error }),
        );
        return;
      }
      logger.error('unhandled error', { error: error as Error });
      request.response = internalErrorResult();
    },
  };
}

/** A route gets the Lambda context too (its remaining time bounds the ingest deadline). */
export type Route = (event: HttpEvent, context?: Context) => Promise<HttpResult>;

/** Dispatches on `METHOD /resource` (the API Gateway resource template). */
export function router(routes: Record<string, Route>): Route {
  return async (event, context) => {
    const route = routes[`${event.httpMethod} ${event.resource}`];
    if (!route) throw new NotFoundError(`no route for ${event.httpMethod} ${event.resource}`);
    return route(event, context);
  };
}

/** The middy chain every HTTP function shares: tracer, logger context, EMF metrics, error mapping. */
export function httpHandler(observability: Observability, route: Route): HttpHandler {
  const { logger, metrics, tracing } = observability;
  const handler = middy<HttpEvent, HttpResult, Error, Context>();
  if (tracing) handler.use(tracing as MiddlewareObj<HttpEvent, HttpResult, Error, Context>);
  handler
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(metrics))
    .use(httpErrors(logger))
    .handler(route);
  return handler as unknown as HttpHandler;
}
