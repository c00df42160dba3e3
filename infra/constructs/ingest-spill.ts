/**
 * Where ingest parks accepted batches while the metric store is down (shared/adapters/aws/
 * spill-sqs-queue.ts), and the replay function that drains them back into the store
 * (functions/replay). Encrypted queue with a DLQ; a batch the replay cannot write is retried for
 * hours (store outages last that long) before it reaches the DLQ, whose first message alarms. The
 * replay reads each batch's tenant in the metadata table and drops the batches of offboarded tenants.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#adapters/aws/wiring';
import type { MetricStore } from './metric-store';
import type { PlatformFunction } from './platform-function';

/** Replay function timeout; the queue's visibility timeout is six times this (AWS guidance). */
export const REPLAY_TIMEOUT = Duration.seconds(60);
/** Receives before a batch goes to the DLQ: 60 × 6 min visibility ≈ 6 hours of store outage. */
export const SPILL_MAX_RECEIVE_COUNT = 60;

export interface IngestSpillProps {
  readonly key: IKey;
  readonly metricStore: MetricStore;
  /** The metadata table: the replay reads tenant status there and writes dead letters (TABLE_NAME). */
  readonly table: ITableV2;
  /** The ingest function: gets SPILL_QUEUE_URL and send rights. */
  readonly ingest: PlatformFunction;
  /** Builds the replay function with the region's defaults (RegionalStack.newFunction). */
  readonly newFunction: (id: string, serviceName: string) => PlatformFunction;
}

export class IngestSpill extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly replay: PlatformFunction;

  constructor(scope: Construct, id: string, props: IngestSpillProps) {
    super(scope, id);
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(REPLAY_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: SPILL_MAX_RECEIVE_COUNT },
    });
    props.ingest.bindQueue(this.queue, ENV.spillQueueUrl, 'send');
    this.replay = props.newFunction('Replay', 'replay');
    this.replay.bindMetricStore(props.metricStore, 'write');
    this.replay.bindTable(props.table, 'readDeadLetters');
    // Samples the store refused for now are parked again on this queue.
    this.replay.bindQueue(this.queue, ENV.spillQueueUrl, 'send');
    this.replay.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        maxBatchingWindow: Duration.seconds(5),
        reportBatchItemFailures: true,
      }),
    );
  }
}
