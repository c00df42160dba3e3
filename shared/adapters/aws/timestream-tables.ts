/**
 * One Timestream table per tenant in the metrics database. Timestream's limits are per table (128
 * distinct dimension names, 8192 distinct measure names), so a table per tenant makes them per-tenant
 * limits: a tenant that sends arbitrary label and metric names fills its own table, never a neighbour's.
 * It also makes erasure possible: offboarding drops the tenant's table (Timestream has no DELETE).
 *
 * Tables are created lazily, by the first write that meets ResourceNotFoundException, not on every
 * cold start: Timestream allows 1 CRUD request per second per account, so the store writes
 * optimistically and creates only when the table is missing (ConflictException: someone else just
 * did). Each container remembers the tables it has created or waited for.
 *
 * Offboarding drops the tenant's table; with a tenant store at hand, no table is created for a tenant
 * that is not active (one consistent read before each CreateTable, which is rare), so a late write — a
 * replayed batch, a request on a credential cached before the suspension — cannot bring it back.
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type TimestreamWriteClient,
} from '@aws-sdk/client-timestream-write';
import {
  acceptsData,
  TenantNotActiveError,
  type TenantStatusSource,
  tenantDataStatus,
} from '#adapters/tenancy/tenant-status';
import { UnavailableError } from '#domain/errors';
import { LIMITS } from '#domain/metrics';
import { isRetryable } from '#ports/dependency-failure';
import { type BackoffPolicy, backoffDelayMs, sleep } from './retry';

/** Timestream's table name rules: 3 to 256 characters of letters, digits, `_`, `.` and `-`. */
export const TIMESTREAM_TABLE_NAME = /^[a-zA-Z0-9_.-]{3,256}$/;
const TABLE_PREFIX = 'tenant_';

/**
 * The tenant's table: `tenant_` and the tenant id, with every character other than a lowercase
 * letter, a digit or `-` written as `_` and its UTF-8 bytes in hex (`_5f` for `_`), so distinct ids
 * give distinct names even where names compared case-insensitively. Platform ids (32 hex digits) are
 * kept as they are. Throws when the result breaks Timestream's rules (an id too long).
 */
export function tenantTableName(tenantId: string): string {
  let encoded = '';
  for (const char of tenantId) {
    if (/^[a-z0-9-]$/.test(char)) encoded += char;
    else for (const byte of Buffer.from(char, 'utf8')) encoded += `_${byte.toString(16).padStart(2, '0')}`;
  }
  const name = `${TABLE_PREFIX}${encoded}`;
  if (tenantId.length === 0 || !TIMESTREAM_TABLE_NAME.test(name))
    throw new Error(`tenant id "${tenantId.slice(0, 80)}" gives no valid Timestream table name`);
  return name;
}

/** Retries transient faults (throttling, 5xx) with jittered backoff; then a retryable 503. */
export async function withRetries<T>(
  call: () => Promise<T>,
  backoff: BackoffPolicy,
  pause: (ms: number) => Promise<void>,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (!isRetryable(error)) throw error;
      if (attempt + 1 >= backoff.maxAttempts) {
        throw new UnavailableError('the metric store is unavailable; retry later', 5, { cause: error });
      }
      await pause(backoffDelayMs(attempt, backoff));
    }
  }
}

export const isNamed = (error: unknown, name: string): boolean =>
  error instanceof Error && error.name === name;

/**
 * CreateTable, DescribeTable and DeleteTable share the account's 1 request/second: a throttled one
 * waits longer than a throttled write before the caller sees a 503.
 */
export const TABLE_BACKOFF: BackoffPolicy = { maxAttempts: 6, baseDelayMs: 250, maxDelayMs: 2_000 };

/**
 * Where Timestream writes reports of records it refuses asynchronously on magnetic-store writes (late
 * points, e.g. a replay after a long outage): an S3 bucket, SSE-KMS with the given key, under
 * `<prefix><table>/`. Without it those rejections would vanish.
 */
export interface RejectedDataLocation {
  readonly bucketName: string;
  readonly kmsKeyId: string;
  readonly objectKeyPrefix: string;
}

/** The prefix reports are written under (the bucket's request-metrics filter, alarmed, watches it). */
export const MAGNETIC_REJECTIONS_PREFIX = 'magnetic-rejections/';

export interface TimestreamTenantTablesOptions {
  readonly client: TimestreamWriteClient;
  readonly databaseName: string;
  /** Magnetic-store retention of every tenant table, in days (the memory store keeps LIMITS' window). */
  readonly magneticRetentionDays: number;
  /** Set in AWS (TIMESTREAM_REJECTED_BUCKET): every table is created with it. */
  readonly rejectedDataLocation?: RejectedDataLocation;
  readonly backoff?: BackoffPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** When set, CreateTable only for an active tenant (TenantNotActiveError otherwise). */
  readonly tenants?: TenantStatusSource;
}

export class TimestreamTenantTables {
  readonly databaseName: string;
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  /** Tables this container created or saw active, and creations in flight (one CreateTable each). */
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(private readonly options: TimestreamTenantTablesOptions) {
    this.databaseName = options.databaseName;
    this.backoff = options.backoff ?? TABLE_BACKOFF;
    this.sleep = options.sleep ?? sleep;
    if (!Number.isInteger(options.magneticRetentionDays) || options.magneticRetentionDays < 1)
      throw new Error(
        `magnetic retention must be a whole number of days, not ${options.magneticRetentionDays}`,
      );
  }

  tableName(tenantId: string): string {
    return tenantTableName(tenantId);
  }

  /** The tenant's table exists and is active once this resolves (created here if need be). */
  ensure(tenantId: string): Promise<void> {
    const table = tenantTableName(tenantId);
    let ensured = this.ensured.get(table);
    if (!ensured) {
      ensured = this.create(tenantId, table);
      this.ensured.set(table, ensured);
      // A failed creation is not remembered: the next write tries again.
      ensured.catch(() => this.ensured.delete(table));
    }
    return ensured;
  }

  /** Forget what this container knew of the tenant's table (it turned out to be missing). */
  forget(tenantId: string): void {
    this.ensured.delete(tenantTableName(tenantId));
  }

  /** Drops the tenant's table with every point in it; false when there was none. */
  async drop(tenantId: string): Promise<boolean> {
    const table = tenantTableName(tenantId);
    this.ensured.delete(table);
    try {
      await withRetries(
        () =>
          this.options.client.send(
            new DeleteTableCommand({ DatabaseName: this.databaseName, TableName: table }),
          ),
        this.backoff,
        this.sleep,
      );
      return true;
    } catch (error) {
      if (isNamed(error, 'ResourceNotFoundException')) return false;
      throw error;
    }
  }

  private async create(tenantId: string, table: string): Promise<void> {
    if (this.options.tenants) {
      const status = await tenantDataStatus(this.options.tenants, tenantId);
      if (!acceptsData(status)) throw new TenantNotActiveError(tenantId, status);
    }
    try {
      const created = await withRetries(
        () =>
          this.options.client.send(
            new CreateTableCommand({
              DatabaseName: this.databaseName,
              TableName: table,
              RetentionProperties: {
                // The ingest validator accepts samples back to this horizon (LIMITS): they land in memory.
                MemoryStoreRetentionPeriodInHours: LIMITS.memoryStoreRetentionHours,
                MagneticStoreRetentionPeriodInDays: this.options.magneticRetentionDays,
              },
              // Late points (a replay after a long outage) are written to the magnetic store, not refused.
              // Those it refuses asynchronously are reported in S3 (alarmed), not lost.
              MagneticStoreWriteProperties: {
                EnableMagneticStoreWrites: true,
                ...(this.options.rejectedDataLocation
                  ? {
                      MagneticStoreRejectedDataLocation: {
                        S3Configuration: {
                          BucketName: this.options.rejectedDataLocation.bucketName,
                          ObjectKeyPrefix: `${this.options.rejectedDataLocation.objectKeyPrefix}${table}/`,
                          EncryptionOption: 'SSE_KMS',
                          KmsKeyId: this.options.rejectedDataLocation.kmsKeyId,
                        },
                      },
                    }
                  : {}),
              },
            }),
          ),
        this.backoff,
        this.sleep,
      );
      if (created.Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      // Another container (or an earlier attempt whose answer was lost) created it.
      if (!isNamed(error, 'ConflictException')) throw error;
    }
    await this.untilActive(table);
  }

  private async untilActive(table: string): Promise<void> {
    for (let attempt = 0; attempt < this.backoff.maxAttempts; attempt++) {
      const described = await withRetries(
        () =>
          this.options.client.send(
            new DescribeTableCommand({ DatabaseName: this.databaseName, TableName: table }),
          ),
        this.backoff,
        this.sleep,
      );
      const status = described.Table?.TableStatus;
      if (status === 'ACTIVE') return;
      if (status === 'DELETING')
        throw new UnavailableError(`Timestream table ${table} is being deleted; retry later`, 5);
      await this.sleep(backoffDelayMs(attempt, this.backoff));
    }
    throw new UnavailableError(`Timestream table ${table} is not active yet; retry later`, 5);
  }
}
