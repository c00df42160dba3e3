import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from '#domain/zod';
import type { Observability } from '#http/handler';
import type { OffboardingMessage } from '#ports/offboarding-queue';
import { type OffboardingWorkerDeps, runOffboardingPart } from './job';

export const OFFBOARDING_METRIC = {
  partsDone: 'OffboardingPartsDone',
  partsFailed: 'OffboardingPartsFailed',
  jobsFinished: 'OffboardingJobsFinished',
} as const;

export const offboardingMessageSchema = z.strictObject({
  tenantId: z.string().check(z.regex(/^[a-f0-9]{32}$/)),
  jobId: z.string().check(z.regex(/^[a-f0-9]{32}-[0-9]{13}$/)),
  region: z.string().check(z.regex(/^[a-z0-9-]{1,32}$/)),
  pass: z.optional(z.literal('late-erasure')),
});

export type OffboardingWorkerHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * The region's offboarding worker (SQS event source, ReportBatchItemFailures, batch size 1): each
 * message is one region's part of a job (functions/offboarding/job.ts). A part that fails is retried
 * by SQS (it is safe to run again) and reaches the DLQ after maxReceiveCount, whose message alarms.
 * Logs name the tenant and job, never a record of the tenant's.
 */
export function createOffboardingWorker(
  deps: OffboardingWorkerDeps & { readonly observability: Observability },
): OffboardingWorkerHandler {
  const { logger, metrics: emf, tracing } = deps.observability;

  async function work(event: SQSEvent): Promise<SQSBatchResponse> {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      let message: OffboardingMessage;
      try {
        message = offboardingMessageSchema.parse(JSON.parse(record.body));
      } catch (error) {
        // Not a job message: retrying cannot help; the DLQ keeps it for a person to read.
        logger.error('unreadable offboarding message', {
          messageId: record.messageId,
          error: error as Error,
        });
        batchItemFailures.push({ itemIdentifier: record.messageId });
        continue;
      }
      try {
        const job = await runOffboardingPart(deps, message);
        emf.addMetric(OFFBOARDING_METRIC.partsDone, MetricUnit.Count, 1);
        if (job?.state === 'succeeded' && job.finalizedBy === deps.region)
          emf.addMetric(OFFBOARDING_METRIC.jobsFinished, MetricUnit.Count, 1);
        logger.info('offboarding part done', { ...message, state: job?.state ?? 'stale' });
      } catch (error) {
        emf.addMetric(OFFBOARDING_METRIC.partsFailed, MetricUnit.Count, 1);
        logger.error('offboarding part failed; SQS retries it', { ...message, error: error as Error });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  }

  const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>();
  if (tracing) handler.use(tracing as MiddlewareObj<SQSEvent, SQSBatchResponse, Error, Context>);
  return handler
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(logMetrics(emf))
    .handler(work) as unknown as OffboardingWorkerHandler;
}
