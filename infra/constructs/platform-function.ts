/**
 * The one way this app makes a Lambda function: NodejsFunction with fixed, commented defaults, and
 * bind* helpers that set an environment variable AND the matching least-privilege grant in one call,
 * so a function can never learn a resource's name without also being granted exactly what it needs.
 */
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Alias, Architecture, type IFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { DEAD_LETTER_PK_PREFIX } from '#adapters/aws/dynamodb-dead-letters';
import { METRIC_METADATA_PK_PREFIX } from '#adapters/aws/dynamodb-metric-metadata';
import { NOTIFICATION_CLAIM_PK_PREFIX } from '#adapters/aws/dynamodb-notification-ledger';
import { QUERY_LEASE_PK_PREFIX } from '#adapters/aws/dynamodb-query-leases';
import { TENANT_KEY_TAG } from '#adapters/aws/kms-key-service';
import { ENV } from '#adapters/aws/wiring';
import { LAMBDA_BUNDLING, LAMBDA_NODE_OPTIONS } from '../bundling';
import type { MetricStore, MetricStoreAccess } from './metric-store';
import { RuntimeDependenciesLayer } from './runtime-dependencies-layer';

/** Repository root: entries and the lock file are resolved from here, whatever the cwd. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * `readAppendAudit`: read everything, write only new audit events (pk `AUDIT#…`), the counters of
 * failed authentications (pk `AUTHFAIL#…`, UpdateItem ADD) and metric metadata (pk `METRICMETA#…`):
 * what ingest needs. It authenticates but changes no tenant metadata (every authentication is
 * audited), and keeps the metric metadata senders send.
 * `readClaimNotifications`: read everything, put and delete only notification claims (pk
 * `NOTIFIED#…`), what the notifier needs to send each delivery once across its instances.
 */
export type TableAccess =
  | 'read'
  | 'readAppendAudit'
  | 'readClaimNotifications'
  | 'readDeadLetters'
  | 'readWrite'
  /** Query/PutItem/DeleteItem on the query concurrency leases' partitions only (no other item). */
  | 'queryLeases';
export type DataKeyAccess = 'encrypt' | 'decrypt' | 'encryptDecrypt';
export type QueueAccess = 'send' | 'consume' | 'sendConsume';
export type TenantKeyAccess = 'use' | 'manage';

export interface PlatformFunctionProps {
  /** Handler file relative to the repository root, exporting `handler`. */
  readonly entry: string;
  readonly description?: string;
  /** Powertools service name (log `service` field, EMF `service` dimension). */
  readonly serviceName: string;
  readonly logRetentionDays: number;
  /** Customer-managed key for the function's log group. */
  readonly logKey: IKey;
  /** Default 512 MB: ingest decodes protobuf and gzip; ARM64 price per GB-s is low. */
  readonly memorySize?: number;
  /** Default 10 s, well under API Gateway's 29 s integration timeout. */
  readonly timeout?: Duration;
  /** Warm instances through a `live` alias; callers invoke `invokeTarget`. */
  readonly provisionedConcurrency?: number;
  /**
   * Set for functions invoked asynchronously (EventBridge, Scheduler, SNS): failed events go to an
   * encrypted SQS queue after Lambda's own retries. Give the key that encrypts that queue.
   */
  readonly asyncFailureKey?: IKey;
  readonly environment?: Record<string, string>;
}

export class PlatformFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  /** What API Gateway, rules and schedules should invoke (the alias when provisioned concurrency is on). */
  readonly invokeTarget: IFunction;
  /** On-failure destination for asynchronous invocations, when `asyncFailureKey` was given. */
  readonly failureQueue?: IQueue;

  constructor(scope: Construct, id: string, props: PlatformFunctionProps) {
    super(scope, id);
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetentionDays,
      encryptionKey: props.logKey,
      // Logs are evidence (CC7.2); keep them when the stack goes.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    if (props.asyncFailureKey) {
      this.failureQueue = new Queue(this, 'FailureQueue', {
        encryption: QueueEncryption.KMS,
        encryptionMasterKey: props.asyncFailureKey,
        enforceSSL: true,
        retentionPeriod: Duration.days(14),
      });
    }
    // Own role instead of AWSLambdaBasicExecutionRole (logs:* on every log group): write to this
    // function's log group only.
    const role = new Role(this, 'Role', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    this.fn = new NodejsFunction(this, 'Function', {
      role,
      entry: resolve(REPO_ROOT, props.entry),
      handler: 'handler',
      projectRoot: REPO_ROOT,
      depsLockFilePath: resolve(REPO_ROOT, 'package-lock.json'),
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      // Graviton: cheaper per GB-s and faster for this CPU-bound decoding.
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // No reserved concurrency: a new account's quota (10) must stay unreserved, so any reservation
      // fails the deploy there. API Gateway throttling bounds the HTTP functions instead.
      onFailure: this.failureQueue ? new SqsDestination(this.failureQueue) : undefined,
      retryAttempts: this.failureQueue ? 2 : undefined,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        // INFO by default; 1 % of invocations log at DEBUG (events carry credentials: never log them whole).
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_LOGGER_SAMPLE_RATE: '0.01',
        // Responses and errors carry tokens, ingest keys and decrypted device credentials: never
        // trace metadata (shared/http/tracing.ts annotates route, status and a tenant hash instead).
        POWERTOOLS_TRACER_CAPTURE_RESPONSE: 'false',
        POWERTOOLS_TRACER_CAPTURE_ERROR: 'false',
        NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
        ...props.environment,
      },
      // The AWS SDK, Smithy and the Encryption SDK come from the stack's one layer (the versions the
      // tests ran against), not from each bundle nor from the runtime: infra/bundling.ts.
      layers: [RuntimeDependenciesLayer.of(this, REPO_ROOT).layer],
      bundling: {
        ...LAMBDA_BUNDLING,
        externalModules: [...LAMBDA_BUNDLING.externalModules],
        sourceMapMode: SourceMapMode.DEFAULT,
        format: OutputFormat.CJS,
      },
    });
    if (props.provisionedConcurrency) {
      this.invokeTarget = new Alias(this, 'Live', {
        aliasName: 'live',
        version: this.fn.currentVersion,
        provisionedConcurrentExecutions: props.provisionedConcurrency,
      });
    } else {
      this.invokeTarget = this.fn;
    }
  }

  /** `envName` (default TABLE_NAME) + DynamoDB item (and key) permissions on that table and its indexes only. */
  bindTable(table: ITableV2, access: TableAccess, envName: string = ENV.tableName): this {
    this.fn.addEnvironment(envName, table.tableName);
    if (access === 'readWrite') {
      table.grantReadWriteData(this.fn);
      return this;
    }
    if (access === 'queryLeases') {
      // No read of the table at large: the leases live in their own partitions (QUERYLEASE#<tenant>).
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${QUERY_LEASE_PK_PREFIX}*`] },
          },
        }),
      );
      // The table is encrypted with a customer-managed key: reading and writing items uses it.
      table.encryptionKey?.grantEncryptDecrypt(this.fn);
      return this;
    }
    table.grantReadData(this.fn);
    if (access === 'readClaimNotifications') {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:PutItem', 'dynamodb:DeleteItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${NOTIFICATION_CLAIM_PK_PREFIX}*`] },
          },
        }),
      );
    }
    if (access === 'readDeadLetters') {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${DEAD_LETTER_PK_PREFIX}*`] },
          },
        }),
      );
    }
    if (access === 'readAppendAudit') {
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
        }),
      );
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['AUTHFAIL#*'] } },
        }),
      );
      // Ingest records the metric metadata senders send (type, help, unit) in its own partitions.
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:BatchWriteItem', 'dynamodb:PutItem'],
          resources: [table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${METRIC_METADATA_PK_PREFIX}*`] },
          },
        }),
      );
    }
    return this;
  }

  /** METRIC_STORE and the store's location, with write and/or query rights on that store only. */
  bindMetricStore(store: MetricStore, access: MetricStoreAccess): this {
    for (const [name, value] of Object.entries(store.environment)) this.fn.addEnvironment(name, value);
    store.grant(this.fn, access);
    return this;
  }

  /** `envName` = the secret's ARN, with GetSecretValue on that secret (and decrypt on its key). */
  bindSecret(secret: ISecret, envName: string = ENV.providerTokenSecretArn): this {
    this.fn.addEnvironment(envName, secret.secretArn);
    secret.grantRead(this.fn);
    return this;
  }

  /** `envName` = the queue's URL, with send and/or consume rights on that queue (and its key). */
  bindQueue(queue: IQueue, envName: string, access: QueueAccess): this {
    this.fn.addEnvironment(envName, queue.queueUrl);
    if (access === 'send' || access === 'sendConsume') queue.grantSendMessages(this.fn);
    if (access === 'consume' || access === 'sendConsume') queue.grantConsumeMessages(this.fn);
    return this;
  }

  /**
   * Per-tenant KMS keys (shared/adapters/aws/kms-key-service.ts), created at onboarding, so no ARN
   * exists at deploy time: grants name this account's keys in `regions` and require the tenant tag.
   * 'use' = encrypt/decrypt; 'manage' adds create, replicate, disable and schedule deletion, and sets
   * KMS_REPLICA_REGIONS to the other regions.
   */
  bindTenantKeys(access: TenantKeyAccess, regions: readonly string[]): this {
    const stack = Stack.of(this);
    const keyArns = regions.map((region) =>
      stack.formatArn({ service: 'kms', region, resource: 'key', resourceName: '*' }),
    );
    const tagged = { Null: { [`aws:ResourceTag/${TENANT_KEY_TAG}`]: 'false' } };
    this.fn.addToRolePolicy(
      new PolicyStatement({
        // Exactly what the Encryption SDK's KMS keyring calls, and only with the context it sends
        // ({tenant, field}: an unsigned suite adds no key of its own).
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: keyArns,
        conditions: {
          ...tagged,
          Null: { ...tagged.Null, 'kms:EncryptionContext:tenant': 'false' },
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['tenant', 'field'] },
          // The key's tenant tag is the tenant the data is for: one tenant's context never opens
          // (nor seals with) another tenant's key, whatever a caller passes.
          StringEquals: { 'kms:EncryptionContext:tenant': `\${aws:ResourceTag/${TENANT_KEY_TAG}}` },
        },
      }),
    );
    if (access === 'manage') {
      const others = regions.filter((r) => r !== stack.region);
      this.fn.addEnvironment(ENV.kmsReplicaRegions, others.join(','));
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:EnableKeyRotation', 'kms:ReplicateKey', 'kms:DisableKey', 'kms:ScheduleKeyDeletion'],
          resources: keyArns,
          conditions: tagged,
        }),
      );
      // CreateKey (also what ReplicateKey needs in the replica region) has no resource ARN: the
      // request must carry the tenant tag, and only that tag.
      this.fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['kms:CreateKey', 'kms:TagResource'],
          resources: ['*'],
          conditions: {
            Null: { [`aws:RequestTag/${TENANT_KEY_TAG}`]: 'false' },
            'ForAllValues:StringEquals': { 'aws:TagKeys': [TENANT_KEY_TAG] },
          },
        }),
      );
    }
    return this;
  }

  /** `envName` = the bucket's name, with object read (and put) on that bucket only; never delete. */
  bindBucket(bucket: IBucket, envName: string, access: 'read' | 'readWrite'): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    bucket.grantRead(this.fn);
    // Put only: objects leave through their lifecycle rule, never through a function.
    if (access === 'readWrite') bucket.grantPut(this.fn);
    return this;
  }

  /** DATA_KEY_ARN for envelope encryption of confidential fields, with only the operations asked for. */
  bindDataKey(key: IKey, access: DataKeyAccess): this {
    this.fn.addEnvironment(ENV.dataKeyArn, key.keyArn);
    if (access === 'encrypt') key.grantEncrypt(this.fn);
    else if (access === 'decrypt') key.grantDecrypt(this.fn);
    else key.grantEncryptDecrypt(this.fn);
    // Envelope encryption asks KMS for data keys; GenerateDataKey* is part of grantEncrypt already.
    return this;
  }
}
