import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy, { type MiddlewareObj } from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { decodeSpilledBatch } from '#adapters/aws/spill-sqs-queue';
import {
  acceptsData,
  type TenantDataStatus,
  TenantNotActiveError,
  TenantStatusCache,
  type TenantStatusSource,
} from '#adapters/tenancy/tenant-status';
import { UnavailableError } from '#domain/errors';
import type { Observability } from '#http/handler';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { SpilledBatch } from '#ports/spill-queue';

export interface ReplayDeps {
  /** The plain metric store (never the spilling decorator: a replay must not park again). */
  readonly metrics: MetricStore;
  /** Each batch's tenant is looked up before its write: only an active tenant's batches are written. */
  readonly tenants: TenantStatusSource;
  /** How long an instance trusts a tenant status it read (default 10 s). */
  readonly tenantStatusTtlMs?: number;
  readonly observability: Observability;
  readonly now?: () => number;
}

export const REPLAY_METRIC = {
  replayedSamples: 'SpillReplayedSamples',
  rejectedSamples: 'SpillReplayRejectedSamples',
  failedBatches: 'SpillReplayFailedBatches',
  batchAgeMs: 'SpillReplayBatchAge',
  /** Batches of a tenant that is offboarding, offboarded or unknown, deleted unwritten. */
  droppedBatches: METRIC.spillReplayDroppedBatches,
} as const;

export type ReplayHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;

/**
 * Drains the spill queue (SQS event source with ReportBatchItemFailures): each message is one parked
 * batch, written again to the metric store. Writes are idempotent, so a message delivered twice is
 * stored once. A message that fails (store still down, unreadable) is reported back to SQS and
 * retried; after the queue's maxReceiveCount it lands in the DLQ, never silently dropped.
 *
 * The one exception: a batch whose tenant is no longer active (offboarding, offboarded, or unknown) is
 * deleted from the queue unwritten, logged and counted. Offboarding erased that tenant's data; writing
 * the batch would bring some of it back (and recreate its Timestream table).
 */
export function createReplayHandler(deps: ReplayDeps): ReplayHandler {
  const { logger, metrics: emf, tracing } = deps.observability;
  const now = deps.now ?? Date.now;
  const statuses = new TenantStatusCache(deps.tenants, {
    now,
    ...(deps.tenantStatusTtlMs !== undefined ? { ttlMs: deps.tenantStatusTtlMs } : {}),
  });

  function drop(messageId: string, batch: SpilledBatch, tenantStatus: TenantDataStatus): void {
    emf.addMetric(REPLAY_METRIC.droppedBatches, MetricUnit.Count, 1);
    logger.warn('spilled batch dropped: its tenant no longer accepts data', {
      messageId,
      tenantId: batch.tenantId,
      tenantStatus,
      samples: batch.samples.length,
      spilledAtMs: batch.spilledAtMs,
    });
  }

  async function replay(event: SQSEvent): Promise<SQSBatchResponse> {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      let batch: SpilledBatch | undefined;
      try {
        batch = decodeSpilledBatch(record.body);
        const tenantStatus = await statuses.status(batch.tenantId);
        if (!acceptsData(tenantStatus)) {
          drop(record.messageId, batch, tenantStatus);
          continue;
        }
        const result = await deps.metrics.write(batch.tenantId, batch.samples);
        emf.addMetric(REPLAY_METRIC.replayedSamples, MetricUnit.Count, result.accepted);
        emf.addMetric(REPLAY_METRIC.batchAgeMs, MetricUnit.Milliseconds, now() - batch.spilledAtMs);
        if (result.rejected.length > 0) {
          emf.addMetric(REPLAY_METRIC.rejectedSamples, MetricUnit.Count, result.rejected.length);
          logger.warn('store refused spilled samples on replay', {
            messageId: record.messageId,
            tenantId: batch.tenantId,
            rejected: result.rejected.slice(0, 10),
          });
        }
      } catch (error) {
        // The store refused to recreate the table: the tenant was offboarded since its status was read.
        if (batch && error instanceof TenantNotActiveError) {
          drop(record.messageId, batch, error.tenantStatus);
          continue;
        }
        emf.addMetric(REPLAY_METRIC.failedBatches, MetricUnit.Count, 1);
        if (error instanceof UnavailableError) logger.warn('store still unavailable', { error });
        else
          logger.error('spilled batch could not be replayed', {
            messageId: record.messageId,
            error: error as Error,
          });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  }

  const handler = middy<SQSEvent, SQSBatchResponse, Error, Context>();
  if (tracing) handler.use(tracing as MiddlewareObj<SQSEvent, SQSBatchResponse, Error, Context>);
  return handler
    .use(injectLambdaContext(deps.observability.logger, { resetKeys: true }))
    .use(logMetrics(emf))
    .handler(replay) as unknown as ReplayHandler;
}
