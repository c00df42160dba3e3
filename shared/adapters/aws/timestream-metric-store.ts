import {
  type ColumnInfo,
  QueryCommand,
  type Row,
  type TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  RejectedRecordsException,
  type TimestreamWriteClient,
  WriteRecordsCommand,
} from '@aws-sdk/client-timestream-write';
import { UnavailableError } from '../../domain/errors';
import type { Dimensions, RejectedSample, Sample, WriteResult } from '../../domain/metrics';
import { type MetricQuery, type Series, seriesFromSamples } from '../../domain/query';
import type { MetricStore } from '../../ports/metric-store';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF, isRetryable, sleep } from './retry';

/** Timestream's limit on records per WriteRecords call. */
export const MAX_RECORDS_PER_WRITE = 100;
/** The one measure column of every multi-measure record. */
export const VALUE_COLUMN = 'value';
export const TENANT_DIMENSION = 'tenant_id';

export interface TimestreamMetricStoreOptions {
  readonly writeClient: TimestreamWriteClient;
  readonly queryClient: TimestreamQueryClient;
  readonly databaseName: string;
  readonly tableName: string;
  readonly backoff?: BackoffPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Record version for upserts; later writes of the same point win. */
  readonly version?: () => number;
}

/**
 * Timestream for LiveAnalytics. Each sample is one multi-measure record (measure_name = metric, one
 * DOUBLE column `value`): a fixed column set keeps a shared multi-tenant table inside Timestream's
 * per-table measure limits whatever metric names tenants send. Cost comes from batching: up to 100
 * records a call with the tenant and time unit as common attributes, billed per KiB of the request.
 */
export class TimestreamMetricStore implements MetricStore {
  private readonly backoff: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly version: () => number;

  constructor(private readonly options: TimestreamMetricStoreOptions) {
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.sleep = options.sleep ?? sleep;
    this.version = options.version ?? Date.now;
  }

  async write(tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    const rejected: RejectedSample[] = [];
    const version = this.version();
    for (let start = 0; start < samples.length; start += MAX_RECORDS_PER_WRITE) {
      const chunk = samples.slice(start, start + MAX_RECORDS_PER_WRITE);
      const rejectedInChunk = await this.writeChunk(tenantId, chunk, version);
      for (const r of rejectedInChunk) rejected.push({ index: start + r.index, reason: r.reason });
    }
    return { accepted: samples.length - rejected.length, rejected };
  }

  async query(tenantId: string, query: MetricQuery): Promise<Series[]> {
    const samples: Sample[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.withRetries(() =>
        this.options.queryClient.send(
          new QueryCommand({ QueryString: this.selectSql(tenantId, query), NextToken: nextToken }),
        ),
      );
      const columns = page.ColumnInfo ?? [];
      for (const row of page.Rows ?? []) samples.push(rowToSample(columns, row));
      nextToken = page.NextToken;
    } while (nextToken);
    return seriesFromSamples(samples, query);
  }

  /** Raw rows of one metric for one tenant in the range; aggregation happens in the domain. */
  selectSql(tenantId: string, query: MetricQuery): string {
    const { databaseName, tableName } = this.options;
    const conditions = [
      `${TENANT_DIMENSION} = ${sqlString(tenantId)}`,
      `measure_name = ${sqlString(query.metric)}`,
      `time BETWEEN from_milliseconds(${Math.trunc(query.fromMs)}) AND from_milliseconds(${Math.trunc(query.toMs)})`,
      ...Object.entries(query.filters).map(([name, value]) => `${sqlIdentifier(name)} = ${sqlString(value)}`),
    ];
    return `SELECT * FROM ${sqlIdentifier(databaseName)}.${sqlIdentifier(tableName)} WHERE ${conditions.join(' AND ')}`;
  }

  private async writeChunk(
    tenantId: string,
    chunk: readonly Sample[],
    version: number,
  ): Promise<RejectedSample[]> {
    // Dimensions every sample of the chunk shares (an OTLP resource, a native resource, a Prometheus
    // job/instance) go into the common attributes: metered once per request, not once per record.
    const shared = sharedDimensions(chunk);
    const command = new WriteRecordsCommand({
      DatabaseName: this.options.databaseName,
      TableName: this.options.tableName,
      CommonAttributes: {
        Dimensions: [
          { Name: TENANT_DIMENSION, Value: tenantId, DimensionValueType: 'VARCHAR' },
          ...Object.keys(shared)
            .sort()
            .map((name) => ({ Name: name, Value: shared[name], DimensionValueType: 'VARCHAR' as const })),
        ],
        MeasureValueType: 'MULTI',
        TimeUnit: 'MILLISECONDS',
        Version: version,
      },
      Records: chunk.map((sample) => toRecord(sample, shared)),
    });
    try {
      await this.withRetries(() => this.options.writeClient.send(command));
      return [];
    } catch (error) {
      if (error instanceof RejectedRecordsException) {
        // The records not listed were written; report each listed one against its sample.
        return (error.RejectedRecords ?? []).map((r) => ({
          index: r.RecordIndex ?? 0,
          reason: r.Reason ?? 'rejected by Timestream',
        }));
      }
      throw error;
    }
  }

  private async withRetries<T>(call: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (!isRetryable(error)) throw error;
        if (attempt + 1 >= this.backoff.maxAttempts) {
          throw new UnavailableError('the metric store is unavailable; retry later', 5, { cause: error });
        }
        await this.sleep(backoffDelayMs(attempt, this.backoff));
      }
    }
  }
}

/** The dimensions (name and value) that every sample of `chunk` carries. */
export function sharedDimensions(chunk: readonly Sample[]): Record<string, string> {
  const first = chunk[0];
  if (!first) return {};
  const shared: Record<string, string> = { ...first.dimensions };
  for (let i = 1; i < chunk.length; i++) {
    const dimensions = (chunk[i] as Sample).dimensions;
    for (const name of Object.keys(shared)) if (dimensions[name] !== shared[name]) delete shared[name];
  }
  return shared;
}

function toRecord(sample: Sample, shared: Readonly<Record<string, string>>): _Record {
  return {
    Dimensions: Object.keys(sample.dimensions)
      .filter((name) => !(name in shared))
      .sort()
      .map((name) => ({ Name: name, Value: sample.dimensions[name], DimensionValueType: 'VARCHAR' })),
    MeasureName: sample.metric,
    MeasureValues: [{ Name: VALUE_COLUMN, Value: String(sample.value), Type: 'DOUBLE' }],
    Time: String(sample.timestampMs),
  };
}

const NON_DIMENSION_COLUMNS = new Set(['time', 'measure_name', TENANT_DIMENSION, VALUE_COLUMN]);

/** Timestream renders time as `2024-01-02 03:04:05.123456789` (UTC). */
export function timestreamTimeToMs(value: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?$/.exec(value);
  if (!match) throw new Error(`unexpected Timestream time "${value}"`);
  const millis = (match[3] ?? '').padEnd(3, '0').slice(0, 3);
  return Date.parse(`${match[1]}T${match[2]}.${millis}Z`);
}

function rowToSample(columns: readonly ColumnInfo[], row: Row): Sample {
  const dimensions: Record<string, string> = {};
  let metric = '';
  let timestampMs = 0;
  let value = Number.NaN;
  (row.Data ?? []).forEach((datum, i) => {
    const name = columns[i]?.Name;
    const scalar = datum.ScalarValue;
    if (name === undefined || scalar === undefined || datum.NullValue) return;
    if (name === 'time') timestampMs = timestreamTimeToMs(scalar);
    else if (name === 'measure_name') metric = scalar;
    else if (name === VALUE_COLUMN) value = Number(scalar);
    else if (!NON_DIMENSION_COLUMNS.has(name)) dimensions[name] = scalar;
  });
  return { metric, dimensions: dimensions as Dimensions, timestampMs, value };
}

/** A SQL string literal: single quotes doubled. */
export const sqlString = (value: string): string => `'${value.replaceAll("'", "''")}'`;
/** A quoted SQL identifier: double quotes doubled. */
export const sqlIdentifier = (name: string): string => `"${name.replaceAll('"', '""')}"`;
