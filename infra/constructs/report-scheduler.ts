/**
 * Scheduled SLA reports of one region (functions/report-scheduler): every hour the scheduler sends
 * the reports whose period has ended, for the tenants homed here, e-mailing a link (SNS e-mail has
 * no attachments). The PDFs go to a bucket of their own (its own KMS key, expiring after 100 days);
 * the links are HMAC-signed by a KMS HMAC key (no secret in any function) and opened through the
 * API's `GET /v1/report-files/{token}` (the `reader` function: VerifyMac, then a 5-minute presigned
 * GET made at click time, when its credentials are fresh).
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key, KeySpec, KeyUsage } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Schedule } from 'aws-cdk-lib/aws-scheduler';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ALERT_ENV } from '#adapters/aws/eventbridge-alert-wiring';
import { REPORT_ENV } from '#adapters/aws/report-files-wiring';
import { customerDataBucketProps } from './archive-bucket';
import type { MetricStore } from './metric-store';
import type { PlatformFunction, PlatformFunctionProps } from './platform-function';
import { invokeOnSchedule } from './scheduler-role';

/** Days a report PDF is kept: past its 30-day link and the ledger's memory of the sent report. */
export const REPORT_FILE_EXPIRY_DAYS = 100;

export interface ReportSchedulerProps {
  readonly table: ITableV2;
  readonly metricStore: MetricStore;
  /** The alert e-mail topic: reports reach their recipients through it, like alert e-mails. */
  readonly emailTopic: ITopic;
  /** The function that serves GET /v1/report-files/{token} (the alerts API). */
  readonly reader: PlatformFunction;
  /** Encrypts the schedule and the function's failure queue. */
  readonly messagingKey: IKey;
  readonly deadLetterQueue: IQueue;
  readonly newFunction: (
    id: string,
    props: Omit<PlatformFunctionProps, 'logKey' | 'logRetentionDays'>,
  ) => PlatformFunction;
}

export class ReportScheduler extends Construct {
  readonly bucket: Bucket;
  readonly bucketKey: Key;
  readonly linkKey: Key;
  readonly scheduler: PlatformFunction;
  readonly schedule: Schedule;

  constructor(scope: Construct, id: string, props: ReportSchedulerProps) {
    super(scope, id);
    this.bucketKey = new Key(this, 'BucketKey', {
      description: 'Scheduled report PDFs in S3',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.linkKey = new Key(this, 'LinkKey', {
      description: 'Signs the links of e-mailed reports (HMAC, GenerateMac/VerifyMac)',
      keySpec: KeySpec.HMAC_256,
      keyUsage: KeyUsage.GENERATE_VERIFY_MAC,
      // Retained like every key; replacing it only invalidates links (at most 30 days old).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(
      this,
      'Bucket',
      customerDataBucketProps(this.bucketKey, REPORT_FILE_EXPIRY_DAYS, 'ExpireReports'),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the report scheduler writes and only the alerts API reads (each opening is in the tenant audit log); ' +
        'S3 server access logs can only target a bucket without SSE-KMS, which this platform does not keep.',
    });

    this.scheduler = props.newFunction('ScheduledReportRunner', {
      entry: 'functions/report-scheduler/handler.ts',
      description: "Hourly: e-mails the scheduled SLA reports whose period ended (this region's tenants)",
      serviceName: 'report-scheduler',
      // A PDF per schedule and period: rendering is CPU-bound.
      memorySize: 1024,
      timeout: Duration.minutes(15),
      asyncFailureKey: props.messagingKey,
    });
    const fn = this.scheduler.fn;
    // Reads tenants, schedules, chains, alerts and downtimes; claims each delivery (NOTIFIED#…) once.
    this.scheduler.bindTable(props.table, 'readClaimNotifications');
    // Metric-defined availability.
    this.scheduler.bindMetricStore(props.metricStore, 'read');
    fn.addEnvironment(ALERT_ENV.emailTopicArn, props.emailTopic.topicArn);
    props.emailTopic.grantPublish(fn);
    for (const target of [fn, props.reader.fn])
      target.addEnvironment(REPORT_ENV.linkKeyArn, this.linkKey.keyArn);
    this.bindBucketName(this.scheduler);
    // Puts PDFs (SSE-KMS with the bucket key: GenerateDataKey), never reads or deletes; signs links.
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:PutObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    this.bucketKey.grant(fn, 'kms:GenerateDataKey');
    this.linkKey.grant(fn, 'kms:GenerateMac');
    // The reader verifies links and presigns GETs: object read (HeadObject is GetObject) and decrypt.
    this.bindRead(props.reader);
    this.linkKey.grant(props.reader.fn, 'kms:VerifyMac');

    this.schedule = invokeOnSchedule(this, this.scheduler, {
      description: 'Scheduled SLA reports',
      what: 'report scheduler',
      every: Duration.hours(1),
      key: props.messagingKey,
      deadLetterQueue: props.deadLetterQueue,
      retryAttempts: 2,
    });
  }

  /**
   * The offboarding worker: exports (lists, reads, decrypts) and erases a tenant's `<tenantId>/`
   * prefix; deletes objects, never puts.
   */
  bindEraser(worker: PlatformFunction): void {
    this.bindRead(worker);
    worker.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    worker.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:DeleteObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
  }

  /** The bucket's name and key in the environment, object reads and decryption. */
  private bindRead(reader: PlatformFunction): void {
    this.bindBucketName(reader);
    reader.fn.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.bucket.arnForObjects('*')] }),
    );
    this.bucketKey.grant(reader.fn, 'kms:Decrypt');
  }

  private bindBucketName(target: PlatformFunction): void {
    target.fn.addEnvironment(REPORT_ENV.bucket, this.bucket.bucketName);
    target.fn.addEnvironment(REPORT_ENV.bucketKeyArn, this.bucketKey.keyArn);
  }
}
