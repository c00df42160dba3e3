import {
  type ColumnInfo,
  QueryCommand,
  type Row,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import type { TenantStatusSource } from '#adapters/tenancy/tenant-status';
import { UnavailableError } from '#domain/errors';
import type { Dimensions, RejectedSample, Sample, WriteResult } from '#domain/metrics';
import { type MetricQuery, type Series, seriesFromSamples } from '#domain/query';
import { METRICS_QUERY_LIMITS, QueryBudget, type QueryLimits } from '#domain/query-limits';
import { parseSampleValue } from '#domain/special-values';
import type { MetricStore } from '#ports/metric-store';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF, sleep } from './retry';
import { packWrites, SPECIAL_COLUMN, STALE_TEXT, VALUE_COLUMN } from './timestream-packing';
import {
  isNamed,
  type RejectedDataLocation,
  TABLE_BACKOFF,
  TimestreamTenantTables,
  withRetries,
} from './timestream-tables';

export { MAX_RECORDS_PER_WRITE, SPECIAL_COLUMN, VALUE_COLUMN } from './timestream-packing';
/**
 * Only for a sample without any dimension (Timestream refuses a record without one): the tenant id
 * stands in. Reserved (no client dimension can take the name) and never returned by a query.
 */
export const TENANT_DIMENSION = 'tenant_id';

/** Error ids of the refusals Timestream's per-table limits cause, now per tenant (one table each). */
export const TIMESTREAM_LIMIT_ERRORS = {
  dimensionNames: 'err-tenant-timestream-max-dimension-names',
  measureNames: 'err-tenant-timestream-max-measure-names',
} as const;
/** Timestream quotas per table (developerguide/ts-limits.html). */
export const TIMESTREAM_TABLE_QUOTAS = { dimensionNames: 128, measureNames: 8192 } as const;

export interface TimestreamMetricStoreOptions {
  readonly writeClient: TimestreamWriteClient;
  readonly queryClient: TimestreamQueryClient;
  readonly databaseName: string;
  /** Magnetic-store retention each tenant's table is created with, in days. */
  readonly magneticRetentionDays: number;
  /** Where tables report records refused on magnetic-store writes (timestream-tables.ts). */
  readonly rejectedDataLocation?: RejectedDataLocation;
  readonly backoff?: BackoffPolicy;
  /** Backoff of CreateTable/DescribeTable (the account's 1 request/second); TABLE_BACKOFF by default. */
  readonly tableBackoff?: BackoffPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Record version for upserts; later writes of the same point win. */
  readonly version?: () => number;
  /** When set, a missing table is created only for an active tenant (timestream-tables.ts). */
  readonly tenants?: TenantStatusSource;
  /** Bounds of /v1/metrics/query reads (METRICS_QUERY_LIMITS by default). */
  readonly queryLimits?: Pick<QueryLimits, 'maxSeries' | 'maxSamples'>;
}

/**
 * Timestream for LiveAnalytics, one table per tenant (timestream-tables.ts): Timestream's per-table
 * limits (128 dimension names, 8192 measure names) become per-tenant limits, a query can only name the
 * caller's table, and offboarding drops the table. Each sample is one multi-measure record
 * (measure_name = metric, one DOUBLE column `value`). Cost comes from packing (timestream-packing.ts):
 * up to 100 records a call, what a call's records share sent once as common attributes, billed per KiB.
 */
export class TimestreamMetricStore implements MetricStore {
  readonly tables: TimestreamTenantTables;
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly version: () => number;

  constructor(private readonly options: TimestreamMetricStoreOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.sleep = options.sleep ?? sleep;
    this.version = options.version ?? Date.now;
    this.tables = new TimestreamTenantTables({
      client: options.writeClient,
      databaseName: options.databaseName,
      magneticRetentionDays: options.magneticRetentionDays,
      ...(options.rejectedDataLocation ? { rejectedDataLocation: options.rejectedDataLocation } : {}),
      sleep: this.sleep,
      ...(options.tableBackoff ? { backoff: options.tableBackoff } : {}),
      ...(options.tenants ? { tenants: options.tenants } : {}),
    });
  }

  async write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    const tableName = this.tables.tableName(tenantId);
    const rejected: RejectedSample[] = [];
    const version = this.version();
    for (const call of packWrites(samples, { [TENANT_DIMENSION]: tenantId })) {
      const command = new WriteRecordsCommand({
        DatabaseName: this.options.databaseName,
        TableName: tableName,
        CommonAttributes: {
          Dimensions: call.commonDimensions,
          MeasureValueType: 'MULTI',
          TimeUnit: 'MILLISECONDS',
          Version: version,
        },
        Records: call.records,
      });
      for (const r of await this.writeCall(tenantId, command))
        rejected.push({ ...r, index: call.sampleIndices[r.index] as number });
    }
    rejected.sort((a, b) => a.index - b.index);
    return { accepted: samples.length - rejected.length, rejected };
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    const samples: Sample[] = [];
    // Charged page by page: past the sample limit no further page is requested.
    const budget = new QueryBudget(this.options.queryLimits ?? METRICS_QUERY_LIMITS);
    const sql = this.selectSql(tenantId, query);
    let nextToken: string | undefined;
    try {
      do {
        const page = await withRetries(
          () => this.options.queryClient.send(new QueryCommand({ QueryString: sql, NextToken: nextToken })),
          this.backoff,
          this.sleep,
        );
        const columns = page.ColumnInfo ?? [];
        budget.chargeSamples(page.Rows?.length ?? 0);
        for (const row of page.Rows ?? []) samples.push(rowToSample(columns, row));
        nextToken = page.NextToken;
      } while (nextToken);
    } catch (error) {
      // No table yet (the tenant never wrote), or a filter on a dimension its table never had.
      if (isMissingTableOrColumn(error)) return [];
      throw error;
    }
    return seriesFromSamples(samples, query);
  }

  /** Raw rows of one metric in the range from the tenant's own table; aggregation happens in the domain. */
  selectSql(tenantId: string, query: MetricQuery): string {
    const conditions = [
      `measure_name = ${sqlString(query.metric)}`,
      `time BETWEEN from_milliseconds(${Math.trunc(query.fromMs)}) AND from_milliseconds(${Math.trunc(query.toMs)})`,
      ...Object.entries(query.filters).map(([name, value]) => `${sqlIdentifier(name)} = ${sqlString(value)}`),
    ];
    return `SELECT * FROM ${this.tableSql(tenantId)} WHERE ${conditions.join(' AND ')}`;
  }

  /** `"database"."tenant_…"`: the only table a tenant's statements name. */
  tableSql(tenantId: string): string {
    return `${sqlIdentifier(this.options.databaseName)}.${sqlIdentifier(this.tables.tableName(tenantId))}`;
  }

  /**
   * One call: transient faults retried; a missing table created (once, then waited for) and the call
   * sent again; records Timestream rejects returned by their index in the call.
   */
  private async writeCall(tenantId: string, command: WriteRecordsCommand): Promise<RejectedSample[]> {
    for (let attempt = 0; ; attempt++) {
      try {
        await withRetries(() => this.options.writeClient.send(command), this.backoff, this.sleep);
        return [];
      } catch (error) {
        if (error instanceof RejectedRecordsException || isNamed(error, 'RejectedRecordsException')) {
          // The records not listed were written; report each listed one against its record.
          return ((error as RejectedRecordsException).RejectedRecords ?? []).map((r) => ({
            index: r.RecordIndex ?? 0,
            reason: refusalReason(r.Reason),
            ...(isRetryableRejection(r.Reason) ? { retryable: true as const } : {}),
          }));
        }
        if (!isNamed(error, 'ResourceNotFoundException')) throw error;
        const tableBackoff = this.options.tableBackoff ?? TABLE_BACKOFF;
        if (attempt + 1 >= tableBackoff.maxAttempts)
          throw new UnavailableError('the metric store is unavailable; retry later', 5, { cause: error });
        // First miss: create the table (or learn it exists). A miss after that: the new table is not
        // visible to writes yet, or it was dropped meanwhile; wait, then make sure again.
        if (attempt > 0) {
          this.tables.forget(tenantId);
          await this.sleep(backoffDelayMs(attempt, tableBackoff));
        }
        await this.tables.ensure(tenantId);
      }
    }
  }
}

/**
 * Whether a record Timestream refused may be accepted if sent again later. Its RejectedRecord reasons
 * are about the record (duplicate with another value, outside the memory store's window, over a
 * limit), except two that pass with time: a write right after a retention change ("wait until the
 * duration of the new window", API reference) and a timestamp ahead of Timestream's clock; throttling
 * or internal trouble named per record is treated the same.
 */
export function isRetryableRejection(reason: string | undefined): boolean {
  return /retention (window|period|duration)[^.]*(updated|changed)|\bwait\b|future|throttl|temporar|internal|unavailable/i.test(
    reason ?? '',
  );
}

/**
 * Timestream's reason, with the platform's error id and the per-tenant limit named when a per-table
 * quota refused the record (the tenant's own table is full of names; its neighbours are not).
 */
export function refusalReason(reason: string | undefined): string {
  const text = reason ?? 'rejected by Timestream';
  const overLimit = /limit|exceed|maximum|quota|too many/i.test(text) && !/version/i.test(text);
  if (overLimit && /dimension/i.test(text))
    return (
      `${TIMESTREAM_LIMIT_ERRORS.dimensionNames}: this tenant's metric table already has the most distinct ` +
      `dimension names Timestream allows a table (${TIMESTREAM_TABLE_QUOTAS.dimensionNames}); points with ` +
      `other dimension names are refused (Timestream: ${text})`
    );
  if (overLimit && /measure/i.test(text))
    return (
      `${TIMESTREAM_LIMIT_ERRORS.measureNames}: this tenant's metric table already has the most distinct ` +
      `metric names Timestream allows a table (${TIMESTREAM_TABLE_QUOTAS.measureNames}); points of other ` +
      `metrics are refused (Timestream: ${text})`
    );
  return text;
}

/** Timestream's query engine names a table or column that does not exist in a ValidationException. */
export function isMissingTableOrColumn(error: unknown): boolean {
  return (
    isNamed(error, 'ValidationException') &&
    /\b(table|column)\b.*does not exist/is.test((error as Error).message)
  );
}

export const NON_DIMENSION_COLUMNS: ReadonlySet<string> = new Set([
  'time',
  'measure_name',
  TENANT_DIMENSION,
  VALUE_COLUMN,
  SPECIAL_COLUMN,
]);

/** Timestream renders time as `2024-01-02 03:04:05.123456789` (UTC). */
export function timestreamTimeToMs(value: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/.exec(value);
  if (!match) throw new Error(`unexpected Timestream time "${value}"`);
  const millis = (match[3] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${match[1]}T${match[2]}.${millis}Z`);
}

export function rowToSample(columns: readonly ColumnInfo[], row: Row): Sample {
  const dimensions: Record<string, string> = {};
  let metric = '';
  let timestampMs = 0;
  let value = Number.NaN;
  let stale = false;
  (row.Data ?? []).forEach((datum, i) => {
    const name = columns[i]?.Name;
    const scalar = datum.ScalarValue;
    if (name === undefined || scalar === undefined || datum.NullValue) return;
    if (name === 'time') timestampMs = timestreamTimeToMs(scalar);
    else if (name === 'measure_name') metric = scalar;
    else if (name === VALUE_COLUMN) value = Number(scalar);
    else if (name === SPECIAL_COLUMN) ({ value, stale } = decodeSpecial(scalar));
    else if (!NON_DIMENSION_COLUMNS.has(name)) dimensions[name] = scalar;
  });
  const sample = { metric, dimensions: dimensions as Dimensions, timestampMs, value };
  return stale ? { ...sample, stale: true } : sample;
}

/** The `special_value` measure back: 'NaN' | '+Inf' | '-Inf', or a stale marker. */
export function decodeSpecial(text: string): { value: number; stale: boolean } {
  if (text === STALE_TEXT) return { value: Number.NaN, stale: true };
  return { value: parseSampleValue(text) ?? Number.NaN, stale: false };
}

/** A SQL string literal: single quotes doubled. */
export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
/** A quoted SQL identifier: double quotes doubled. */
export const sqlIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
