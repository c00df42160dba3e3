/**
 * The AWS log store (docs/logs.md): lines go to a Firehose stream (dynamic partitioning by tenant
 * and hour, Parquet conversion through the Glue table) and land in S3; searches are Athena queries
 * over that table in the store's workgroup (results encrypted, bytes scanned per query capped).
 *
 * Writes: one JSON line per record, lines of one hour joined into Firehose records of up to
 * 1,000 KiB and 500 lines (Firehose bills each record in 5 KB steps, and de-aggregates them again
 * before partitioning: newline-delimited JSON is an input its JSON de-aggregation accepts), PutRecordBatch calls of at most 500 records and 4 MiB. A partial failure is retried
 * for the failed records only, with backoff; what still fails is a 503, so the sender retries the
 * request: delivery is at least once (a retried request may store a batch twice), never lossy.
 *
 * Reads: shared/adapters/aws/athena-log-sql.ts builds the statements; values are execution
 * parameters. A query runs until a deadline (then it is stopped and the search answers 503); a query
 * the workgroup's bytes-scanned cutoff cancelled is a 422 asking for a shorter range.
 */
import { randomBytes } from 'node:crypto';
import {
  type AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { type FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { UnavailableError, UnprocessableError } from '#domain/errors';
import type { LogRecord, StoredLogRecord } from '#domain/logs/record';
import { isRetryable } from '#ports/dependency-failure';
import type {
  LogExpiry,
  LogHistogram,
  LogHistogramRequest,
  LogSearch,
  LogSearchPage,
  LogStore,
} from '#ports/log-store';
import {
  countStatement,
  exportStatement,
  histogramStatement,
  type LogPosition,
  type Statement,
  searchStatement,
} from './athena-log-sql';
import { LOG_ERASURE, LOG_TENANT_ID, logEventHour, logHourEndMs, logTenantPrefix } from './athena-log-table';
import { type BackoffPolicy, backoffDelayMs, DEFAULT_BACKOFF, sleep } from './retry';
import { deleteUnderPrefix } from './s3-prefix';

/**
 * Firehose's limits: a record of 1,000 KiB, a PutRecordBatch of 500 records and 4 MiB, and at most 500
 * JSON objects de-aggregated from one record ("Record deaggregation by JSON or by delimiter is capped
 * at 500 per record": Firehose developer guide, "Apply dynamic partitioning to aggregated data",
 * docs.aws.amazon.com/firehose/latest/dev/dynamic-partitioning-multirecord-deaggergation.html).
 */
export const FIREHOSE_LIMITS = {
  recordBytes: 1_000 * 1024,
  linesPerRecord: 500,
  batchRecords: 500,
  batchBytes: 4 * 1024 * 1024,
};

export interface AthenaLogStoreOptions {
  readonly firehose: FirehoseClient;
  readonly athena: AthenaClient;
  readonly s3: S3Client;
  readonly deliveryStream: string;
  /** The Glue database and table (`"db"."table"` in the SQL). */
  readonly database: string;
  readonly table: string;
  readonly workGroup: string;
  readonly bucket: string;
  /** The workgroup's BytesScannedCutoffPerQuery, named in the 422 when a search reaches it. */
  readonly bytesScannedCutoff: number;
  /** How long a query may run before it is stopped (default 20 s: inside API Gateway's 29 s). */
  readonly queryDeadlineMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** A record's id: 16 hex digits (the tie-break of newest-first within a millisecond). */
  readonly newId?: () => string;
}

const ID = /^[0-9a-f]{16}$/;
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 1_000;
const RESULTS_PAGE = 1_000;

export function encodeLogPosition(position: LogPosition): string {
  return Buffer.from(JSON.stringify({ t: position.ts, i: position.id }), 'utf8').toString('base64url');
}

export function decodeLogPosition(cursor: string): LogPosition {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      t?: unknown;
      i?: unknown;
    };
    if (
      typeof parsed.t === 'number' &&
      Number.isSafeInteger(parsed.t) &&
      parsed.t >= 0 &&
      typeof parsed.i === 'string' &&
      ID.test(parsed.i)
    )
      return { ts: parsed.t, id: parsed.i };
  } catch {
    // the 422 below
  }
  throw new UnprocessableError('cursor is not a cursor this search returned', 'cursor');
}

type Row = Record<string, string | undefined>;

function toRecord(row: Row): StoredLogRecord {
  return {
    id: row['id'] as string,
    timestampMs: Number(row['ts']),
    severity: row['severity'] ?? '',
    severityNumber: Number(row['severity_number'] ?? 0),
    message: row['message'] ?? '',
    resource: JSON.parse(row['resource'] ?? '{}') as Record<string, string>,
    attributes: JSON.parse(row['attributes'] ?? '{}') as Record<string, string>,
    ...(row['trace_id'] ? { traceId: row['trace_id'] } : {}),
    ...(row['span_id'] ? { spanId: row['span_id'] } : {}),
  };
}

export class AthenaLogStore implements LogStore {
  readonly dataName = 'logs';
  readonly erasureMethod = LOG_ERASURE.erasureMethod;
  readonly erasureLimitation = LOG_ERASURE.erasureLimitation;
  readonly lateWritesSeconds = LOG_ERASURE.lateWritesSeconds;
  private readonly table: string;
  private readonly wait: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly options: AthenaLogStoreOptions) {
    this.table = `"${options.database}"."${options.table}"`;
    this.wait = options.sleep ?? sleep;
    this.now = options.now ?? Date.now;
    this.newId = options.newId ?? (() => randomBytes(8).toString('hex'));
  }

  async append(tenantId: string, records: readonly LogRecord[]): Promise<{ stored: number }> {
    checkTenant(tenantId);
    if (records.length === 0) return { stored: 0 };
    for (const batch of batches(this.firehoseRecords(tenantId, records))) await this.put(batch);
    return { stored: records.length };
  }

  /** JSON lines, grouped by hour partition, joined into records of at most 1,000 KiB and 500 lines. */
  private firehoseRecords(tenantId: string, records: readonly LogRecord[]): Uint8Array[] {
    const byHour = new Map<string, string[]>();
    for (const record of records) {
      const hour = logEventHour(record.timestampMs);
      const line = JSON.stringify({
        tenant: tenantId,
        event_hour: hour,
        ts: Math.floor(record.timestampMs),
        id: this.newId(),
        severity: record.severity,
        severity_number: record.severityNumber,
        message: record.message,
        resource: record.resource,
        attributes: record.attributes,
        ...(record.traceId ? { trace_id: record.traceId } : {}),
        ...(record.spanId ? { span_id: record.spanId } : {}),
      });
      const lines = byHour.get(hour) ?? [];
      if (lines.length === 0) byHour.set(hour, lines);
      lines.push(`${line}\n`);
    }
    const out: Uint8Array[] = [];
    for (const lines of byHour.values()) {
      let chunk: Buffer[] = [];
      let size = 0;
      for (const line of lines) {
        const bytes = Buffer.from(line, 'utf8');
        // A record's limits (32 KB message, 64 × 4 KB attributes) keep one line far below 1,000 KiB.
        if (
          chunk.length > 0 &&
          (size + bytes.length > FIREHOSE_LIMITS.recordBytes ||
            chunk.length >= FIREHOSE_LIMITS.linesPerRecord)
        ) {
          out.push(Buffer.concat(chunk));
          chunk = [];
          size = 0;
        }
        chunk.push(bytes);
        size += bytes.length;
      }
      if (chunk.length > 0) out.push(Buffer.concat(chunk));
    }
    return out;
  }

  /** One PutRecordBatch, then the failed records only, until none fail or the attempts run out. */
  private async put(batch: Uint8Array[]): Promise<void> {
    const policy = this.options.backoff ?? DEFAULT_BACKOFF;
    let pending = batch;
    let lastError: unknown;
    for (let attempt = 0; attempt < policy.maxAttempts; attempt++) {
      if (attempt > 0) await this.wait(backoffDelayMs(attempt, policy));
      try {
        const response = await this.options.firehose.send(
          new PutRecordBatchCommand({
            DeliveryStreamName: this.options.deliveryStream,
            Records: pending.map((Data) => ({ Data })),
          }),
        );
        if (!response.FailedPutCount) return;
        const answers = response.RequestResponses ?? [];
        const failed = pending.filter((_, i) => answers[i]?.ErrorCode !== undefined || !answers[i]);
        lastError = new Error(
          `${failed.length} records failed: ${answers.find((a) => a.ErrorCode)?.ErrorCode ?? 'no answer'}`,
        );
        pending = failed;
      } catch (error) {
        if (!isRetryable(error)) throw error;
        lastError = error;
      }
    }
    throw new UnavailableError(
      `the log stream did not accept ${pending.length} of ${batch.length} records after ${policy.maxAttempts} attempts`,
      5,
      { cause: lastError },
    );
  }

  async search(tenantId: string, search: LogSearch): Promise<LogSearchPage> {
    checkTenant(tenantId);
    const below = search.cursor === undefined ? undefined : decodeLogPosition(search.cursor);
    if (below && below.ts < search.fromMs) return { records: [], scanned: 0, scanLimited: false };
    const rows: Row[] = [];
    for await (const page of this.query(
      searchStatement(this.table, { tenantId, ...search, ...(below ? { below } : {}) }),
    ))
      rows.push(...page);
    const matches = rows.filter((row) => row['matched'] === 'true').slice(0, search.limit);
    if (matches.length >= search.limit) {
      const last = matches[matches.length - 1] as Row;
      return {
        records: matches.map(toRecord),
        nextCursor: encodeLogPosition({ ts: Number(last['ts']), id: last['id'] as string }),
        scanned: Number(last['rank_in_scan']),
        scanLimited: false,
      };
    }
    const examined = rows.length > 0 ? Number(rows[0]?.['examined']) : 0;
    const lastExamined = rows.find((row) => Number(row['rank_in_scan']) === examined);
    const limited = examined >= search.maxScan && lastExamined !== undefined;
    return {
      records: matches.map(toRecord),
      ...(limited
        ? {
            nextCursor: encodeLogPosition({
              ts: Number(lastExamined['ts']),
              id: lastExamined['id'] as string,
            }),
          }
        : {}),
      scanned: examined,
      scanLimited: limited,
    };
  }

  async histogram(tenantId: string, request: LogHistogramRequest): Promise<LogHistogram> {
    checkTenant(tenantId);
    const { fromMs, toMs, intervalMs } = request;
    const buckets = Array.from({ length: Math.ceil((toMs - fromMs) / intervalMs) }, (_, i) => ({
      startMs: fromMs + i * intervalMs,
      count: 0,
    }));
    let examined = 0;
    for await (const page of this.query(histogramStatement(this.table, { tenantId, ...request })))
      for (const row of page) {
        examined += Number(row['examined']);
        const bucket = buckets[Number(row['bucket'])];
        if (bucket) bucket.count += Number(row['matches']);
      }
    return { buckets, scanLimited: examined >= request.maxScan };
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    checkTenant(tenantId);
    for await (const page of this.query(exportStatement(this.table, tenantId))) yield* page.map(toRecord);
  }

  async deleteTenant(tenantId: string): Promise<number> {
    checkTenant(tenantId);
    let records = 0;
    for await (const page of this.query(countStatement(this.table, tenantId)))
      for (const row of page) records += Number(row['records']);
    await deleteUnderPrefix(this.options.s3, this.options.bucket, logTenantPrefix(tenantId), 'log objects');
    return records;
  }

  /**
   * Retention: deletes the tenant's hour partitions that end by `beforeMs`, oldest first (they sort
   * by time under the tenant prefix), at most `budget` objects. A later run resumes where this one
   * stopped: what it deleted is gone from the listing.
   */
  async expireBefore(tenantId: string, beforeMs: number, budget: number): Promise<LogExpiry> {
    checkTenant(tenantId);
    const { s3, bucket } = this.options;
    let removed = 0;
    let token: string | undefined;
    do {
      const hours = await s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: logTenantPrefix(tenantId),
          Delimiter: '/',
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const { Prefix: hourPrefix } of hours.CommonPrefixes ?? []) {
        const hour = /event_hour=([^/]+)\/$/.exec(hourPrefix ?? '')?.[1] ?? '';
        if (!(logHourEndMs(hour) <= beforeMs)) return { removed, done: true };
        if (removed >= budget) return { removed, done: false };
        const deleted = await deleteUnderPrefix(
          s3,
          bucket,
          hourPrefix as string,
          'log objects',
          budget - removed,
        );
        removed += deleted.removed;
        if (!deleted.done) return { removed, done: false };
      }
      token = hours.IsTruncated ? hours.NextContinuationToken : undefined;
    } while (token);
    return { removed, done: true };
  }

  /** Runs a statement in the workgroup; yields its result rows page by page (header row dropped). */
  private async *query(statement: Statement): AsyncGenerator<Row[]> {
    const { athena, workGroup, database } = this.options;
    const started = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: statement.sql,
        ...(statement.params.length > 0 ? { ExecutionParameters: statement.params } : {}),
        QueryExecutionContext: { Database: database },
        WorkGroup: workGroup,
      }),
    );
    const id = started.QueryExecutionId as string;
    await this.finished(id);
    let columns: string[] | undefined;
    let token: string | undefined;
    do {
      const page = await athena.send(
        new GetQueryResultsCommand({
          QueryExecutionId: id,
          MaxResults: RESULTS_PAGE,
          ...(token ? { NextToken: token } : {}),
        }),
      );
      let rows = page.ResultSet?.Rows ?? [];
      if (!columns) {
        columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name as string);
        rows = rows.slice(1); // the header row
      }
      const names = columns;
      yield rows.map((row) =>
        Object.fromEntries(names.map((name, i) => [name, row.Data?.[i]?.VarCharValue])),
      );
      token = page.NextToken;
    } while (token);
  }

  /** Polls until the query is done; stops it at the deadline. */
  private async finished(id: string): Promise<void> {
    const { athena } = this.options;
    const deadline = this.now() + (this.options.queryDeadlineMs ?? 20_000);
    for (let delay = POLL_FIRST_MS; ; delay = Math.min(POLL_MAX_MS, delay * 2)) {
      const { QueryExecution: execution } = await athena.send(
        new GetQueryExecutionCommand({ QueryExecutionId: id }),
      );
      const status = execution?.Status;
      if (status?.State === 'SUCCEEDED') return;
      if (status?.State === 'FAILED' || status?.State === 'CANCELLED') {
        const reason = status.StateChangeReason ?? status.AthenaError?.ErrorMessage ?? 'no reason given';
        if (/bytes scanned limit/i.test(reason))
          throw new UnprocessableError(
            `the search would read more than ${this.options.bytesScannedCutoff} bytes of logs (the per-search limit): narrow from/to or the query`,
            'from',
          );
        if (status.AthenaError?.Retryable || status.AthenaError?.ErrorCategory === 1)
          throw new UnavailableError(`log search failed in Athena: ${reason}`, 5);
        throw new Error(`log search failed in Athena: ${reason}`);
      }
      if (this.now() >= deadline) {
        await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
        throw new UnavailableError(
          `the log search took longer than ${(this.options.queryDeadlineMs ?? 20_000) / 1000} s and was stopped`,
          5,
        );
      }
      await this.wait(delay);
    }
  }
}

function checkTenant(tenantId: string): void {
  if (!LOG_TENANT_ID.test(tenantId)) throw new Error(`not a tenant id the log store keeps: ${tenantId}`);
}

/** Records in PutRecordBatch calls of at most 500 records and 4 MiB. */
function batches(records: Uint8Array[]): Uint8Array[][] {
  const out: Uint8Array[][] = [];
  let batch: Uint8Array[] = [];
  let size = 0;
  for (const record of records) {
    if (
      batch.length > 0 &&
      (batch.length >= FIREHOSE_LIMITS.batchRecords || size + record.length > FIREHOSE_LIMITS.batchBytes)
    ) {
      out.push(batch);
      batch = [];
      size = 0;
    }
    batch.push(record);
    size += record.length;
  }
  if (batch.length > 0) out.push(batch);
  return out;
}
