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
import type { RejectedSample, Sample } from '#domain/metrics';
import { sampleJsonReplacer } from '#domain/special-values';
import type { Observability } from '#http/handler';
import type { DeadLetterStore } from '#ports/dead-letter-store';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { SpilledBatch, SpillQueue } from '#ports/spill-queue';

export interface ReplayDeps {
  /** The plain metric store (never the spilling decorator: a replay must not park again). */
  readonly metrics: MetricStore;
  /** Each batch's tenant is looked up before its write: only an active tenant's batches are written. */
  readonly tenants: TenantStatusSource;
  /** How long an instance trusts a tenant status it read (default 10 s). */
  readonly tenantStatusTtlMs?: number;
  readonly observability: Observability;
  readonly now?: () => number;
  /** Where samples the store refused for now are parked again (the spill queue itself). */
  readonly spill: SpillQueue;
  /** Where samples the store refused for good land for an operator (RUNBOOK "Dead letters"). */
  readonly deadLetters: DeadLetterStore;
  /** Replays of a retryable refusal before its samples are dead-lettered instead (default 5). */
  readonly maxReplays?: number;
}

/** Refused samples per dead letter: keeps each letter well under the store's item size. */
const SAMPLES_PER_DEAD_LETTER = 200;

export const REPLAY_METRIC = {
  replayedSamples: 'SpillReplayedSamples',
  rejectedSamples: 'SpillReplayRejectedSamples',
  /** Samples refused for now, parked again for a later replay. */
  retriedSamples: 'SpillReplayRetriedSamples',
  /** Samples refused for good (or still refused after maxReplays), kept as dead letters: alarmed. */
  deadLetteredSamples: METRIC.spillReplayDeadLetteredSamples,
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
 * Samples the store refuses one by one are never just counted: those it refuses for now (`retryable`)
 * are parked again as a new message (with `replays` + 1) and come back on a later replay; those it
 * refuses for good, or still refuses after `maxReplays`, become dead letters (DeadLetterStore, with
 * each sample's reason) and the SpillReplayDeadLetteredSamples metric, which alarms. Re-parking comes
 * first: if dead-lettering then fails, the message is retried and the re-parked copy is written twice,
 * which is idempotent. Either failing reports the message back to SQS.
 *
 * The one exception: a batch whose tenant is no longer active (offboarding, offboarded, or unknown) is
 * deleted from the queue unwritten, logged and counted. Offboarding erased that tenant's data; writing
 * the batch would bring some of it back (and recreate its Timestream table).
 */
/**
 * What the replay does with samples the store refused one by one (the Lambda and the local spill
 * directory's replay share it): parks again those refused for now, while they have replays left;
 * dead-letters the rest with each sample's reason. Re-parking comes first; either failing throws, and
 * the caller keeps the batch to try again (idempotent).
 */
export function refusalSettler(deps: {
  spill: Pick<SpillQueue, 'park'>;
  deadLetters: DeadLetterStore;
  now: () => number;
  maxReplays: number;
  onRejected?: (count: number) => void;
  onRetried?: (count: number) => void;
  onDeadLettered?: (count: number, details: Record<string, unknown>) => void;
}) {
  return async (ref: string, batch: SpilledBatch, rejected: readonly RejectedSample[]): Promise<void> => {
    deps.onRejected?.(rejected.length);
    const replays = (batch.replays ?? 0) + 1;
    const again = replays < deps.maxReplays ? rejected.filter((r) => r.retryable) : [];
    const lost = rejected.filter((r) => !again.includes(r));
    if (again.length > 0) {
      await deps.spill.park({
        tenantId: batch.tenantId,
        samples: again.map((r) => batch.samples[r.index] as Sample),
        spilledAtMs: batch.spilledAtMs,
        replays,
      });
      deps.onRetried?.(again.length);
    }
    if (lost.length === 0) return;
    const refused = lost.map((r) => ({
      reason: r.retryable ? `still refused after ${replays} replays: ${r.reason}` : r.reason,
      // The sample as the spill writes it: NaN, ±Inf and -0 survive JSON.
      sample: JSON.parse(JSON.stringify(batch.samples[r.index], sampleJsonReplacer)) as unknown,
    }));
    const letters = [];
    for (let i = 0; i < refused.length; i += SAMPLES_PER_DEAD_LETTER) {
      const part = refused.slice(i, i + SAMPLES_PER_DEAD_LETTER);
      letters.push({
        source: 'spill-replay' as const,
        tenantId: batch.tenantId,
        reason: part[0]?.reason ?? '',
        payload: { messageId: ref, spilledAtMs: batch.spilledAtMs, refused: part },
        atMs: deps.now(),
      });
    }
    await deps.deadLetters.put(letters);
    deps.onDeadLettered?.(lost.length, {
      messageId: ref,
      tenantId: batch.tenantId,
      samples: lost.length,
      reasons: [...new Set(refused.map((r) => r.reason))].slice(0, 10),
    });
  };
}

export function createReplayHandler(deps: ReplayDeps): ReplayHandler {
  const { logger, metrics: emf, tracing } = deps.observability;
  const now = deps.now ?? Date.now;
  const maxReplays = deps.maxReplays ?? 5;
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

  const settleRefusals = refusalSettler({
    spill: deps.spill,
    deadLetters: deps.deadLetters,
    now,
    maxReplays,
    onRejected: (count) => emf.addMetric(REPLAY_METRIC.rejectedSamples, MetricUnit.Count, count),
    onRetried: (count) => emf.addMetric(REPLAY_METRIC.retriedSamples, MetricUnit.Count, count),
    onDeadLettered: (count, details) => {
      emf.addMetric(REPLAY_METRIC.deadLetteredSamples, MetricUnit.Count, count);
      logger.error('store refused spilled samples for good; dead-lettered', details);
    },
  });

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
        if (result.rejected.length > 0) await settleRefusals(record.messageId, batch, result.rejected);
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
