/**
 * AWS adapters as the Lambda functions build them: clients created once per cold start, configuration
 * read from the environment once, failing fast when a variable is missing.
 */
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SpillingMetricStore } from '#adapters/spill/spilling-metric-store';
import type { TenantStatusSource } from '#adapters/tenancy/tenant-status';
import { hashSecret } from '#domain/credentials';
import { type RegionSettings, regionSettingsFromEnv } from '#domain/region';
import { configureAuth } from '#http/auth';
import type { ArchiveStore } from '#ports/archive-store';
import type { ConsoleTokenVerifier } from '#ports/console-identity';
import type { LogStore } from '#ports/log-store';
import type { MetricStore } from '#ports/metric-store';
import type { SeriesReaderSource } from '#ports/series-source';
import type { SpillQueue } from '#ports/spill-queue';
import type { TenantDataHolder } from '#ports/tenant-data';
import { AmpMetricStore } from './amp-metric-store';
import { regionFromWorkspaceUrl, sigv4Signer } from './amp-sigv4';
import { LOG_ERASURE } from './athena-log-table';
import { CognitoConsoleUsers, cognitoTokenVerifier, consolePoolFromEnv } from './cognito-console-identity';
import { DynamoDbAuditLog } from './dynamodb-audit-log';
import { INGEST_STATE_TABLE_ENV } from './dynamodb-ingest-state';
import { DynamoDbMetricMetadata } from './dynamodb-metric-metadata';
import { DynamoDbQueryLeases } from './dynamodb-query-leases';
import { DynamoDbTenantStore } from './dynamodb-tenant-store';
import { KmsKeyService } from './kms-key-service';
import { TimestreamMetricStore } from './timestream-metric-store';
import { timestreamSeriesSource } from './timestream-series-reader';
import { MAGNETIC_REJECTIONS_PREFIX, type RejectedDataLocation } from './timestream-tables';
import { TimestreamTenantData } from './timestream-tenant-data';

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

export const ENV = {
  tableName: 'TABLE_NAME',
  /** The metrics database: one table per tenant in it, created on the tenant's first write. */
  timestreamDatabase: 'TIMESTREAM_DATABASE',
  /** Magnetic-store retention (days) the tenant tables are created with. */
  timestreamMagneticRetentionDays: 'TIMESTREAM_MAGNETIC_RETENTION_DAYS',
  /** S3 bucket (and its KMS key ARN) for records Timestream refuses on magnetic-store writes. */
  timestreamRejectedBucket: 'TIMESTREAM_REJECTED_BUCKET',
  timestreamRejectedKeyArn: 'TIMESTREAM_REJECTED_KEY_ARN',
  providerTokenSecretArn: 'PROVIDER_TOKEN_SECRET_ARN',
  /** KMS key (ARN) for envelope encryption of confidential fields. */
  dataKeyArn: 'DATA_KEY_ARN',
  /** `timestream` or `amp`: the region's metric store. */
  metricStore: 'METRIC_STORE',
  /** AMP workspace base URL: https://aps-workspaces.<region>.amazonaws.com/workspaces/<id> */
  ampWorkspaceUrl: 'AMP_WORKSPACE_URL',
  /** The workspace's RetentionPeriodInDays (optional, default 150): how far back offboarding exports. */
  ampRetentionDays: 'AMP_RETENTION_DAYS',
  /** SQS queue (URL) where ingest parks accepted batches while the metric store is down. */
  spillQueueUrl: 'SPILL_QUEUE_URL',
  /** S3 bucket for offboarding archives (admin function only). */
  archiveBucket: 'ARCHIVE_BUCKET',
  /** Comma-separated other regions of the global table: tenant keys become MRKs replicated there. */
  kmsReplicaRegions: 'KMS_REPLICA_REGIONS',
  /** This region's offboarding queue (URL); other regions' queues have the same name. */
  offboardingQueueUrl: 'OFFBOARDING_QUEUE_URL',
  /** Comma-separated: every region of the platform (where offboarding erases when no home is known). */
  platformRegions: 'PLATFORM_REGIONS',
  /** Optional: seconds an authentication decision is cached per instance (default 10; the revocation bound). */
  authCacheTtlSeconds: 'AUTH_CACHE_TTL_SECONDS',
} as const;

let dynamoClient: DynamoDBClient | undefined;
let tableClient: DynamoDBDocumentClient | undefined;
/** The function's one DynamoDB client (SDK retries, jittered), created on first use. */
export function dynamoDbClient(): DynamoDBClient {
  dynamoClient ??= new DynamoDBClient({});
  return dynamoClient;
}
/** The document client over it that every DynamoDB adapter of the function shares. */
export function documentClient(): DynamoDBDocumentClient {
  tableClient ??= DynamoDBDocumentClient.from(dynamoDbClient(), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return tableClient;
}

/**
 * The tenant table. Every function that authenticates against it records its decisions in the audit
 * log (same table, AUDIT#<tenantId> partitions).
 */
export function awsTenantStore(): DynamoDbTenantStore {
  const store = new DynamoDbTenantStore(documentClient(), requiredEnv(ENV.tableName));
  const pool = consolePoolFromEnv();
  configureAuth(store, {
    audit: awsAuditLog(),
    region: awsRegionSettings(),
    ...(pool ? { consoleTokens: cognitoTokenVerifier(pool) } : {}),
  });
  return store;
}

/**
 * Home regions (shared/domain/region.ts): the function's AWS_REGION serves; DEFAULT_HOME_REGION (the
 * deployment's default home, else this region) and REGION_ENDPOINTS / PLATFORM_DOMAIN name the rest.
 */
export function awsRegionSettings(): RegionSettings {
  return regionSettingsFromEnv(process.env);
}

/** Console logins in the Cognito user pool, where the console is deployed. */
export function awsConsoleUsers(): CognitoConsoleUsers | undefined {
  const pool = consolePoolFromEnv();
  return pool
    ? new CognitoConsoleUsers(new CognitoIdentityProviderClient({ region: pool.region }), pool.userPoolId)
    : undefined;
}

/** Console ID tokens of the provider's people (admin API), where the console is deployed. */
export function awsConsoleTokens(): ConsoleTokenVerifier | undefined {
  const pool = consolePoolFromEnv();
  return pool ? cognitoTokenVerifier(pool) : undefined;
}

/**
 * The tenant table for status reads only (the replay function, the metric store before it creates a
 * tenant's table): no authentication is configured on it.
 */
export function awsTenantStatusSource(): TenantStatusSource {
  return new DynamoDbTenantStore(documentClient(), requiredEnv(ENV.tableName));
}

export function awsAuditLog(): DynamoDbAuditLog {
  return new DynamoDbAuditLog(documentClient(), requiredEnv(ENV.tableName));
}

/** Metric metadata (type, help, unit per metric) in the metadata table, in METRICMETA#<tenantId> partitions. */
export function awsMetricMetadata(): DynamoDbMetricMetadata {
  return new DynamoDbMetricMetadata(documentClient(), requiredEnv(ENV.tableName));
}

/** Per-tenant customer-managed KMS keys (created at onboarding, destroyed at offboarding). */
export function awsKeyService(): KmsKeyService {
  const replicaRegions = (process.env[ENV.kmsReplicaRegions] ?? '')
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  return new KmsKeyService({ region: requiredEnv('AWS_REGION'), replicaRegions });
}

/** Offboarding archives in S3: the S3 client is loaded on first use, not at every admin cold start. */
export function awsArchiveStore(): ArchiveStore {
  const bucket = requiredEnv(ENV.archiveBucket);
  let store: Promise<ArchiveStore> | undefined;
  const load = () =>
    (store ??= Promise.all([import('@aws-sdk/client-s3'), import('./s3-archive-store')]).then(
      ([{ S3Client }, { S3ArchiveStore }]) => new S3ArchiveStore(new S3Client({}), bucket),
    ));
  return {
    open: async (archiveId) => (await load()).open(archiveId),
    download: async (archiveId) => (await load()).download(archiveId),
  };
}

/** The region's metric store as offboarding sees it: AMP exports (and erases what it can); Timestream exports and drops the tenant's table. */
export function awsMetricDataHolder(): TenantDataHolder {
  const store = regionMetricStore() as MetricStore & Partial<TenantDataHolder>;
  if (typeof store.exportTenant === 'function' && typeof store.deleteTenant === 'function')
    return store as MetricStore & TenantDataHolder;
  return new TimestreamTenantData(new TimestreamQueryClient({}), (store as TimestreamMetricStore).tables);
}

/**
 * The region's metric store. Where SPILL_QUEUE_URL is set (the ingest function), writes that meet a
 * store outage are parked on that queue and acknowledged; the replay function asks for
 * `{ spill: false }` so that a replay never parks again.
 */
export function awsMetricStore(options: { spill?: boolean } = {}): MetricStore {
  const store = regionMetricStore();
  const spillQueueUrl = process.env[ENV.spillQueueUrl];
  if (options.spill === false || !spillQueueUrl) return store;
  // The SQS client is loaded when the first batch is parked (a store outage), not at cold start.
  let queue: Promise<SpillQueue> | undefined;
  const load = () =>
    (queue ??= Promise.all([import('@aws-sdk/client-sqs'), import('./spill-sqs-queue')]).then(
      ([{ SQSClient }, { SqsSpillQueue }]) => new SqsSpillQueue(new SQSClient({}), spillQueueUrl),
    ));
  return new SpillingMetricStore(store, { park: async (batch) => (await load()).park(batch) });
}

/** Set by infra/constructs/log-store.ts on the functions that ingest, search or erase logs. */
export const LOG_STORE_ENV = {
  stream: 'LOG_STREAM',
  database: 'LOG_DATABASE',
  table: 'LOG_TABLE',
  workGroup: 'LOG_WORKGROUP',
  bucket: 'LOG_BUCKET',
  bytesScannedCutoff: 'LOG_BYTES_SCANNED_CUTOFF',
  /** How long a query may run before it is stopped (the function's timeout less 2 s). */
  queryDeadlineMs: 'LOG_QUERY_DEADLINE_MS',
} as const;

/**
 * The region's log store (Firehose → S3 Parquet → Athena) where the log-store construct bound this
 * function, else undefined (the log routes are then not served). The SDK clients are loaded on
 * first use, so functions that never touch logs pay nothing at cold start.
 */
export function awsLogStore(): LogStore | undefined {
  const deliveryStream = process.env[LOG_STORE_ENV.stream];
  if (!deliveryStream) return undefined;
  const settings = {
    deliveryStream,
    database: requiredEnv(LOG_STORE_ENV.database),
    table: requiredEnv(LOG_STORE_ENV.table),
    workGroup: requiredEnv(LOG_STORE_ENV.workGroup),
    bucket: requiredEnv(LOG_STORE_ENV.bucket),
    bytesScannedCutoff: Number(requiredEnv(LOG_STORE_ENV.bytesScannedCutoff)),
    ...(process.env[LOG_STORE_ENV.queryDeadlineMs]
      ? { queryDeadlineMs: Number(process.env[LOG_STORE_ENV.queryDeadlineMs]) }
      : {}),
  };
  let store: Promise<LogStore> | undefined;
  const load = () =>
    (store ??= Promise.all([
      import('@aws-sdk/client-athena'),
      import('@aws-sdk/client-firehose'),
      import('@aws-sdk/client-s3'),
      import('./athena-log-store'),
    ]).then(
      ([{ AthenaClient }, { FirehoseClient }, { S3Client }, { AthenaLogStore }]) =>
        new AthenaLogStore({
          ...settings,
          athena: new AthenaClient({}),
          // Retries are the store's own: failed records only, with backoff, then a 503.
          firehose: new FirehoseClient({ maxAttempts: 1 }),
          s3: new S3Client({}),
        }),
    ));
  return {
    dataName: 'logs',
    ...LOG_ERASURE,
    append: async (tenantId, records) => (await load()).append(tenantId, records),
    search: async (tenantId, search) => (await load()).search(tenantId, search),
    histogram: async (tenantId, request) => (await load()).histogram(tenantId, request),
    expireBefore: async (tenantId, beforeMs, budget) =>
      (await load()).expireBefore(tenantId, beforeMs, budget),
    deleteTenant: async (tenantId) => (await load()).deleteTenant(tenantId),
    exportTenant: async function* (tenantId) {
      yield* (await load()).exportTenant(tenantId);
    },
  };
}

/** The magnetic-rejection bucket where the CDK construct set one (functions that create tables). */
function rejectedDataLocation(): { rejectedDataLocation?: RejectedDataLocation } {
  const bucketName = process.env[ENV.timestreamRejectedBucket];
  if (!bucketName) return {};
  return {
    rejectedDataLocation: {
      bucketName,
      kmsKeyId: requiredEnv(ENV.timestreamRejectedKeyArn),
      objectKeyPrefix: MAGNETIC_REJECTIONS_PREFIX,
    },
  };
}

/** METRIC_STORE picks the region's store: `timestream` (the default) or `amp`. */
export function regionMetricStore(): MetricStore {
  const kind = process.env[ENV.metricStore] ?? 'timestream';
  if (kind === 'amp') {
    const workspaceUrl = requiredEnv(ENV.ampWorkspaceUrl);
    // Signed with the Lambda role's credentials from the default provider chain.
    const retentionDays = process.env[ENV.ampRetentionDays];
    return new AmpMetricStore({
      workspaceUrl,
      sign: sigv4Signer({ region: regionFromWorkspaceUrl(workspaceUrl) }),
      ...(retentionDays ? { retentionDays: Number(retentionDays) } : {}),
    });
  }
  if (kind !== 'timestream') throw new Error(`${ENV.metricStore} must be timestream or amp, not "${kind}"`);
  // Retries are the store's own (backoff with jitter, then a 503 to the collector), not the SDK's.
  return new TimestreamMetricStore({
    writeClient: new TimestreamWriteClient({ maxAttempts: 1 }),
    queryClient: new TimestreamQueryClient({ maxAttempts: 1 }),
    databaseName: requiredEnv(ENV.timestreamDatabase),
    magneticRetentionDays: Number(requiredEnv(ENV.timestreamMagneticRetentionDays)),
    ...rejectedDataLocation(),
    // No table is created again for an offboarded tenant (read only before a CreateTable).
    tenants: awsTenantStatusSource(),
  });
}

/**
 * The region's store as the PromQL API reads it: AMP answers PromQL itself (functions/query forwards
 * to it); Timestream is read series by series for the engine, on each tenant's own table.
 */
export function regionQueryStore(): AmpMetricStore | SeriesReaderSource {
  const store = regionMetricStore();
  if (store instanceof AmpMetricStore) return store;
  return timestreamSeriesSource(
    store as TimestreamMetricStore,
    new TimestreamQueryClient({ maxAttempts: 1 }),
  );
}

/** The provider admin token lives in Secrets Manager; functions keep only its hash, fetched once. */
export function providerTokenHashFromSecret(): () => Promise<string> {
  const secretArn = requiredEnv(ENV.providerTokenSecretArn);
  const client = new SecretsManagerClient({});
  let hash: Promise<string> | undefined;
  return () => {
    hash ??= client.send(new GetSecretValueCommand({ SecretId: secretArn })).then((r) => {
      if (!r.SecretString) throw new Error('provider token secret is empty');
      return hashSecret(r.SecretString);
    });
    hash.catch(() => {
      hash = undefined;
    });
    return hash;
  };
}

/** The tenant store writing through `region`'s replica of the global table (offboarding job state). */
export function awsTenantStoreIn(region: string): DynamoDbTenantStore {
  if (region === process.env.AWS_REGION) return awsTenantStore();
  const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region }), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return new DynamoDbTenantStore(client, requiredEnv(ENV.tableName));
}

/**
 * The offboarding queues: a part goes to the queue of the region that runs it (same name, this
 * region's URL rewritten), through a client of that region loaded on first use.
 */
export function awsOffboardingQueue(): import('#ports/offboarding-queue').OffboardingQueue {
  const queueUrl = requiredEnv(ENV.offboardingQueueUrl);
  const clients = new Map<string, Promise<import('@aws-sdk/client-sqs').SQSClient>>();
  const clientIn = (region: string) => {
    let client = clients.get(region);
    if (!client) {
      client = import('@aws-sdk/client-sqs').then(({ SQSClient }) => new SQSClient({ region }));
      clients.set(region, client);
    }
    return client;
  };
  return {
    enqueue: async (message, options) => {
      const { SqsOffboardingQueue } = await import('./sqs-offboarding-queue');
      const client = await clientIn(message.region);
      await new SqsOffboardingQueue(queueUrl, () => client).enqueue(message, options);
    },
  };
}

/** Offboarding as the admin API starts it: this region, every region, each region's queue. */
export function awsOffboardingStart() {
  return {
    region: requiredEnv('AWS_REGION'),
    regions: requiredEnv(ENV.platformRegions)
      .split(',')
      .map((r) => r.trim())
      .filter(Boolean),
    queue: awsOffboardingQueue(),
  };
}

/** The query API's per-tenant concurrency leases, in the regional ingest-state table the CDK binds. */
export function awsQueryLeases(): DynamoDbQueryLeases {
  return new DynamoDbQueryLeases(documentClient(), requiredEnv(INGEST_STATE_TABLE_ENV));
}
