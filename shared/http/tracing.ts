/**
 * X-Ray tracing for the Lambda functions, kept out of shared/http/handler.ts on purpose: importing
 * the Powertools tracer loads aws-xray-sdk-core, whose context (cls-hooked) enables an async hook
 * with a destroy callback on every promise of the process. Lambda pays that for its traces; the local
 * platform, which sends traces nowhere, never imports this module and so never pays it.
 */
import { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import { createObservability, type Observability, type TracingMiddleware } from './handler';

/** Logger, metrics and an X-Ray segment per invocation: what every Lambda entry point uses. */
export function lambdaObservability(serviceName: string): Observability {
  return createObservability(
    serviceName,
    captureLambdaHandler(new Tracer({ serviceName })) as unknown as TracingMiddleware,
  );
}
