/**
 * The region's log store (docs/logs.md, shared/adapters/aws/athena-log-store.ts): a Firehose stream
 * that partitions lines by tenant and hour and converts them to Parquet through a Glue table; the
 * S3 bucket they land in; the Glue table (partition projection: no crawler, no partition to add);
 * an Athena workgroup whose results are KMS-encrypted and whose queries stop at a bytes-scanned cap.
 *
 * Log lines are Customer Sensitive: one customer-managed key of their own encrypts the stream, the
 * objects and the query results. The bucket is not versioned, so deleting a tenant's prefix
 * (offboarding) erases the data rather than hiding it; lines expire after `retentionDays`, query
 * results after a day.
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { CfnWorkGroup } from 'aws-cdk-lib/aws-athena';
import { CfnDatabase, CfnTable } from 'aws-cdk-lib/aws-glue';
import { type IGrantable, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnDeliveryStream } from 'aws-cdk-lib/aws-kinesisfirehose';
import { Key } from 'aws-cdk-lib/aws-kms';
import { type ILogGroup, LogGroup, LogStream } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import {
  FIREHOSE_BUFFER_SECONDS,
  FIREHOSE_ERROR_PREFIX,
  FIREHOSE_PARTITION_QUERY,
  FIREHOSE_PREFIX,
  FIREHOSE_RETRY_SECONDS,
  LOG_HOUR_FORMAT,
  LOG_OBJECT_PREFIX,
  LOG_PARTITION_KEYS,
  LOG_TABLE_COLUMNS,
} from '#adapters/aws/athena-log-table';
import { LOG_STORE_ENV } from '#adapters/aws/wiring';
import { customerDataBucketProps } from './archive-bucket';
import type { PlatformFunction } from './platform-function';

/** What a function does with the log store: ingest appends; search reads; erase reads and deletes. */
export type LogStoreAccess = 'ingest' | 'search' | 'erase';

export interface LogStoreProps {
  /** Days a log line is kept (S3 lifecycle; also the hours the partition projection enumerates). */
  readonly retentionDays: number;
  /** Athena stops a query that would scan more (default 10 GiB: $0.05 of Athena at $5/TB). */
  readonly bytesScannedCutoff?: number;
  /** The function log groups' retention in days (the stream's delivery-error log). */
  readonly logRetentionDays: number;
  readonly logKey: Key;
}

const RESULTS_PREFIX = 'athena-results/';
export const LOG_BYTES_SCANNED_CUTOFF = 10 * 1024 ** 3;

export class LogStore extends Construct {
  readonly key: Key;
  readonly bucket: Bucket;
  readonly database: CfnDatabase;
  readonly table: CfnTable;
  readonly stream: CfnDeliveryStream;
  readonly workGroup: CfnWorkGroup;
  readonly bytesScannedCutoff: number;
  readonly deliveryErrors: ILogGroup;
  private readonly databaseName: string;
  private readonly tableName = 'log_lines';

  constructor(scope: Construct, id: string, props: LogStoreProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.bytesScannedCutoff = props.bytesScannedCutoff ?? LOG_BYTES_SCANNED_CUTOFF;
    this.key = new Key(this, 'Key', {
      description: 'Tenant log lines (Customer Sensitive): Firehose stream, S3 objects, Athena results',
      enableKeyRotation: true,
      // Deleting the key destroys the logs it protects: it outlives the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucketProps = customerDataBucketProps(this.key, props.retentionDays, 'ExpireLogLines');
    this.bucket = new Bucket(this, 'Bucket', {
      ...bucketProps,
      lifecycleRules: [
        ...(bucketProps.lifecycleRules ?? []),
        // Results hold searched lines: kept only as long as a console session pages through them.
        { id: 'ExpireQueryResults', prefix: RESULTS_PREFIX, expiration: Duration.days(1) },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only the log store functions and Firehose reach this bucket; searches are audited in the platform audit log. ' +
        'S3 server access logs can only target a bucket without SSE-KMS, which this platform does not keep.',
    });

    this.databaseName = `${stack.stackName.toLowerCase().replace(/[^a-z0-9_]/g, '_')}_logs`;
    this.database = new CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'Tenant log lines (docs/logs.md)' },
    });
    const location = `s3://${this.bucket.bucketName}/${LOG_OBJECT_PREFIX}`;
    this.table = new CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: this.databaseName,
      tableInput: {
        name: this.tableName,
        tableType: 'EXTERNAL_TABLE',
        partitionKeys: LOG_PARTITION_KEYS.map((k) => ({ name: k.name, type: k.type })),
        parameters: {
          classification: 'parquet',
          'projection.enabled': 'true',
          // Injected: a query must name its tenant (`tenant = ?`), and reads only that prefix.
          'projection.tenant.type': 'injected',
          'projection.event_hour.type': 'date',
          'projection.event_hour.format': LOG_HOUR_FORMAT,
          'projection.event_hour.range': `NOW-${props.retentionDays}DAYS,NOW+1DAYS`,
          'projection.event_hour.interval': '1',
          'projection.event_hour.interval.unit': 'HOURS',
          'storage.location.template': `${location}tenant=\${tenant}/event_hour=\${event_hour}/`,
        },
        storageDescriptor: {
          location,
          columns: LOG_TABLE_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
          inputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe' },
        },
      },
    });
    this.table.node.addDependency(this.database);

    this.deliveryErrors = new LogGroup(this, 'DeliveryErrors', {
      encryptionKey: props.logKey,
      retention: props.logRetentionDays,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const errorStream = new LogStream(this, 'DeliveryErrorStream', { logGroup: this.deliveryErrors });
    const role = new Role(this, 'DeliveryRole', {
      assumedBy: new ServicePrincipal('firehose.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
      description:
        'Firehose: writes log lines to the log bucket, reads the Glue schema for Parquet conversion',
    });
    // Firehose writes objects and multipart uploads; it never reads the data back nor deletes it.
    role.addToPolicy(
      new PolicyStatement({
        actions: [
          's3:AbortMultipartUpload',
          's3:GetBucketLocation',
          's3:ListBucket',
          's3:ListBucketMultipartUploads',
        ],
        resources: [this.bucket.bucketArn],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects('*')],
      }),
    );
    role.addToPolicy(
      new PolicyStatement({
        actions: ['glue:GetTable', 'glue:GetTableVersion', 'glue:GetTableVersions'],
        resources: this.glueArns(),
      }),
    );
    this.key.grantEncryptDecrypt(role);
    this.deliveryErrors.grantWrite(role);

    this.stream = new CfnDeliveryStream(this, 'Stream', {
      deliveryStreamType: 'DirectPut',
      deliveryStreamEncryptionConfigurationInput: {
        keyType: 'CUSTOMER_MANAGED_CMK',
        keyArn: this.key.keyArn,
      },
      extendedS3DestinationConfiguration: {
        bucketArn: this.bucket.bucketArn,
        roleArn: role.roleArn,
        prefix: FIREHOSE_PREFIX,
        errorOutputPrefix: FIREHOSE_ERROR_PREFIX,
        // Parquet conversion needs at least 64 MB buffers; 60 s is the freshness docs/logs.md promises.
        bufferingHints: { intervalInSeconds: FIREHOSE_BUFFER_SECONDS, sizeInMBs: 128 },
        compressionFormat: 'UNCOMPRESSED',
        encryptionConfiguration: { kmsEncryptionConfig: { awskmsKeyArn: this.key.keyArn } },
        cloudWatchLoggingOptions: {
          enabled: true,
          logGroupName: this.deliveryErrors.logGroupName,
          logStreamName: errorStream.logStreamName,
        },
        // Both bound LOG_LATE_WRITES_SECONDS, after which offboarding erases a tenant's prefix again.
        dynamicPartitioningConfiguration: {
          enabled: true,
          retryOptions: { durationInSeconds: FIREHOSE_RETRY_SECONDS },
        },
        processingConfiguration: {
          enabled: true,
          processors: [
            // The adapter joins an hour's lines into records of up to 1,000 KiB (billing is per 5 KB).
            {
              type: 'RecordDeAggregation',
              parameters: [{ parameterName: 'SubRecordType', parameterValue: 'JSON' }],
            },
            {
              type: 'MetadataExtraction',
              parameters: [
                { parameterName: 'MetadataExtractionQuery', parameterValue: FIREHOSE_PARTITION_QUERY },
                { parameterName: 'JsonParsingEngine', parameterValue: 'JQ-1.6' },
              ],
            },
          ],
        },
        dataFormatConversionConfiguration: {
          enabled: true,
          inputFormatConfiguration: { deserializer: { openXJsonSerDe: {} } },
          outputFormatConfiguration: { serializer: { parquetSerDe: { compression: 'SNAPPY' } } },
          schemaConfiguration: {
            catalogId: stack.account,
            databaseName: this.databaseName,
            tableName: this.tableName,
            region: stack.region,
            roleArn: role.roleArn,
            versionId: 'LATEST',
          },
        },
      },
    });
    this.stream.node.addDependency(role);
    this.stream.node.addDependency(this.table);

    this.workGroup = new CfnWorkGroup(this, 'WorkGroup', {
      name: `${stack.stackName}-logs`,
      description: 'Tenant log searches (docs/logs.md): encrypted results, bytes scanned capped per query',
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: this.bytesScannedCutoff,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.bucket.bucketName}/${RESULTS_PREFIX}`,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.key.keyArn },
        },
      },
    });
  }

  private glueArns(): string[] {
    const stack = Stack.of(this);
    const base = `arn:${stack.partition}:glue:${stack.region}:${stack.account}`;
    return [
      `${base}:catalog`,
      `${base}:database/${this.databaseName}`,
      `${base}:table/${this.databaseName}/${this.tableName}`,
    ];
  }

  /** The environment the adapter reads (shared/adapters/aws/wiring.ts awsLogStore). */
  get environment(): Record<string, string> {
    return {
      [LOG_STORE_ENV.stream]: this.stream.ref,
      [LOG_STORE_ENV.database]: this.databaseName,
      [LOG_STORE_ENV.table]: this.tableName,
      [LOG_STORE_ENV.workGroup]: this.workGroup.ref,
      [LOG_STORE_ENV.bucket]: this.bucket.bucketName,
      [LOG_STORE_ENV.bytesScannedCutoff]: String(this.bytesScannedCutoff),
    };
  }

  /**
   * Sets the environment and grants exactly `access`. A query may run until 2 s before the function's
   * timeout (then it is stopped and the caller gets a 503, not a timed-out function).
   */
  bind(fn: PlatformFunction, access: LogStoreAccess): void {
    for (const [name, value] of Object.entries(this.environment)) fn.fn.addEnvironment(name, value);
    const timeoutMs = (fn.fn.timeout ?? Duration.seconds(3)).toMilliseconds();
    fn.fn.addEnvironment(LOG_STORE_ENV.queryDeadlineMs, String(Math.max(1_000, timeoutMs - 2_000)));
    this.grant(fn.fn, access);
  }

  grant(grantee: IGrantable, access: LogStoreAccess): void {
    const stack = Stack.of(this);
    if (access === 'ingest') {
      grantee.grantPrincipal.addToPrincipalPolicy(
        new PolicyStatement({ actions: ['firehose:PutRecordBatch'], resources: [this.stream.attrArn] }),
      );
      return;
    }
    // Athena runs as the caller: the workgroup, the table's schema, the objects, results and the key.
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
        ],
        resources: [
          `arn:${stack.partition}:athena:${stack.region}:${stack.account}:workgroup/${this.workGroup.ref}`,
        ],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['glue:GetDatabase', 'glue:GetTable'], resources: this.glueArns() }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetBucketLocation', 's3:ListBucket'],
        resources: [this.bucket.bucketArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', ...(access === 'erase' ? ['s3:DeleteObject'] : [])],
        resources: [this.bucket.arnForObjects(`${LOG_OBJECT_PREFIX}*`)],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects(`${RESULTS_PREFIX}*`)],
      }),
    );
    this.key.grantEncryptDecrypt(grantee);
  }
}
