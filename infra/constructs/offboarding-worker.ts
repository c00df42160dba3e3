/**
 * The region's offboarding worker (functions/offboarding): an SQS queue named the same in every
 * region (the admin API of any region queues a job's part on the queue of the region that runs it,
 * by name: shared/adapters/aws/sqs-offboarding-queue.ts), a DLQ whose first message alarms, and the
 * worker with exactly what a part needs: export and erase this region's stores, write the archive to
 * this region's bucket (multipart), record the job through the coordinator's table replica, destroy
 * the tenant key. The queue carries ids only (tenant, job, region) and is encrypted with a key of
 * its own whose policy lets this account's principals use it through SQS only, from any region.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { INGEST_STATE_TABLE_ENV } from '#adapters/aws/guardrails-wiring';
import { OFFBOARDING_QUEUE_NAME } from '#adapters/aws/sqs-offboarding-queue';
import { ENV } from '#adapters/aws/wiring';
import type { LogStore } from './log-store';
import type { MetricStore } from './metric-store';
import type { PlatformFunction } from './platform-function';

/** A part of a big tenant streams for minutes: the worker gets Lambda's longest timeout. */
export const OFFBOARDING_TIMEOUT = Duration.minutes(15);
/** Receives before a part goes to the DLQ (each retry resumes safely: job.ts claims parts). */
export const OFFBOARDING_MAX_RECEIVE_COUNT = 5;

export interface OffboardingWorkerProps {
  /** Every configured region: where parts are queued and tenant keys live. */
  readonly regions: readonly string[];
  readonly table: ITableV2;
  readonly ingestStateTable: ITableV2;
  readonly metricStore: MetricStore;
  readonly archives: IBucket;
  /** The region's log lake: the worker exports the tenant's lines and deletes its prefix. */
  readonly logStore: LogStore;
  /** The admin function: queues parts (SendMessage to this queue's name in every region). */
  readonly admin: PlatformFunction;
  readonly newFunction: (id: string, serviceName: string) => PlatformFunction;
}

export class OffboardingWorker extends Construct {
  readonly queue: Queue;
  readonly deadLetterQueue: Queue;
  readonly worker: PlatformFunction;

  constructor(scope: Construct, id: string, props: OffboardingWorkerProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const key = new Key(this, 'QueueKey', {
      description: 'Offboarding job queue (ids only) of this region',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // The admin function of another region sends here: its role is not known to this stack, so the
    // key lets any principal of this account use it, and only through SQS in this region.
    key.addToResourcePolicy(
      new PolicyStatement({
        principals: [new AnyPrincipal()],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: {
          StringEquals: {
            'kms:CallerAccount': stack.account,
            'kms:ViaService': `sqs.${stack.region}.amazonaws.com`,
          },
        },
      }),
    );
    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new Queue(this, 'Queue', {
      queueName: OFFBOARDING_QUEUE_NAME,
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      visibilityTimeout: Duration.seconds(OFFBOARDING_TIMEOUT.toSeconds() * 6),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: OFFBOARDING_MAX_RECEIVE_COUNT },
    });

    this.worker = props.newFunction('OffboardingWorker', 'offboarding');
    this.worker.bindTable(props.table, 'readWrite');
    this.worker.bindTable(props.ingestStateTable, 'readWrite', INGEST_STATE_TABLE_ENV);
    this.worker.bindMetricStore(props.metricStore, 'readErase');
    this.worker.bindTenantKeys('manage', props.regions);
    this.worker.bindBucket(props.archives, ENV.archiveBucket, 'readWrite');
    props.logStore.bind(this.worker, 'erase');
    // The job record is written through the coordinator's replica (conditional writes hold there).
    this.worker.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: props.regions.map((region) =>
          stack.formatArn({
            service: 'dynamodb',
            region,
            resource: 'table',
            resourceName: props.table.tableName,
          }),
        ),
      }),
    );
    // The late erasure (functions/offboarding/job.ts) is queued by the worker on its own queue.
    this.worker.fn.addEnvironment(ENV.offboardingQueueUrl, this.queue.queueUrl);
    this.queue.grantSendMessages(this.worker.fn);
    this.worker.fn.addEventSource(
      new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true }),
    );

    props.admin.fn.addEnvironment(ENV.offboardingQueueUrl, this.queue.queueUrl);
    props.admin.fn.addEnvironment(ENV.platformRegions, props.regions.join(','));
    props.admin.fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: props.regions.map((region) =>
          stack.formatArn({ service: 'sqs', region, resource: OFFBOARDING_QUEUE_NAME }),
        ),
      }),
    );
  }
}
