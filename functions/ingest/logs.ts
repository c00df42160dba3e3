/**
 * Log ingest routes of the ingest function: OTLP/HTTP logs (`POST /v1/logs`, protobuf or JSON,
 * gzip) and the native JSON array (`POST /v1/logs/ingest`, LM Logs' format and limits). Both run
 * through the ingest guard (request rate, LM Logs' 8 MB body, idempotent retries, the tenant's
 * log bytes/s bucket → 429 + Retry-After) and store what passes even when some records are refused:
 * - native: 202 when all were stored; 413 naming the 32 KB message limit and the refused indices
 *   when a message was too large; 422 naming the first invalid record otherwise — the rest stored;
 * - OTLP: 200 with partial_success (rejected_log_records and a message naming the limit and the
 *   indices), as the OTLP specification asks; failures carry a google.rpc.Status.
 */
import type { Context } from 'aws-lambda';
import { DomainError } from '#domain/errors';
import { checkedLogs, type DecodedLogs, decodeNativeLogs } from '#domain/logs/native-format';
import { LOG_LIMITS, type LogRecord, type LogRefusal, logRecordBytes } from '#domain/logs/record';
import { authenticate } from '#http/auth';
import { mediaType, readBody, readJson, requireMediaType } from '#http/body';
import type { Observability } from '#http/handler';
import { errorResult, json } from '#http/response';
import type { HttpEvent, HttpResult } from '#http/types';
import type { IngestGuard } from '#ingest/guard';
import type { Clock } from '#ports/clock';
import type { LogStore } from '#ports/log-store';
import type { TenantStore } from '#ports/tenant-store';
import {
  decodeOtlpLogsJson,
  decodeOtlpLogsProtobuf,
  exportLogsResponseJson,
} from '#protocols/otlp/decode-logs';
import { encodeExportMetricsResponse } from '#protocols/otlp/response';
import { otlpFailure } from './otlp-failure';

export interface LogIngestDeps {
  readonly logs: LogStore;
  readonly tenants: TenantStore;
  readonly clock: Clock;
  readonly observability: Observability;
  readonly guard?: IngestGuard;
  /** Called with what was stored (log alert evaluation on ingest hangs here); never fails ingest. */
  readonly afterLogWrite?: (tenantId: string, records: readonly LogRecord[]) => Promise<void>;
}

/** Refusals named in an answer at most (the count is always complete). */
const MAX_NAMED_REFUSALS = 10;

type Route = (event: HttpEvent, context?: Context) => Promise<HttpResult>;

export function logIngestRoutes(deps: LogIngestDeps): Record<string, Route> {
  async function store(tenantId: string, decoded: DecodedLogs): Promise<void> {
    if (decoded.records.length === 0) return;
    await deps.logs.append(tenantId, decoded.records);
    if (deps.afterLogWrite)
      await deps.afterLogWrite(tenantId, decoded.records).catch((error) => {
        deps.observability.logger.error('log alert evaluation on ingest failed', { error: error as Error });
      });
  }

  /** Decode → guard (bytes) → store → answer; without a guard (some tests) straight through. */
  async function guardedLogs(
    event: HttpEvent,
    tenantId: string,
    decode: () => DecodedLogs,
    answer: (decoded: DecodedLogs) => HttpResult,
    context?: Context,
  ): Promise<HttpResult> {
    let decoded: DecodedLogs | undefined;
    const request = {
      tenantId,
      decode: async () => {
        decoded = decode();
        let bytes = 0;
        for (const record of decoded.records) bytes += logRecordBytes(record);
        return { bytes };
      },
      write: async () => {
        const d = decoded as DecodedLogs;
        await store(tenantId, d);
        return answer(d);
      },
    };
    if (deps.guard) return deps.guard.runLogs(event, request, LOG_LIMITS.maxPayloadBytes, context);
    await request.decode();
    return request.write();
  }

  const refusalView = (r: LogRefusal) => ({
    index: r.index,
    reason: r.reason,
    message: r.message,
    field: r.field,
    ...(r.limit === undefined ? {} : { limit: r.limit }),
  });

  function nativeAnswer(decoded: DecodedLogs): HttpResult {
    const accepted = decoded.records.length;
    if (decoded.refusals.length === 0) return json(202, { accepted, rejected: [] });
    const tooLarge = decoded.refusals.find((r) => r.reason === 'message-too-large');
    const first = tooLarge ?? (decoded.refusals[0] as LogRefusal);
    return json(tooLarge ? 413 : 422, {
      error: {
        code: tooLarge ? 'payload_too_large' : 'unprocessable',
        message: `${decoded.refusals.length} of ${decoded.total} log records refused; the rest were stored. First: ${first.message}`,
        field: first.field,
        ...(first.limit === undefined ? {} : { limit: first.limit }),
      },
      accepted,
      rejected: decoded.refusals.slice(0, MAX_NAMED_REFUSALS).map(refusalView),
      rejectedCount: decoded.refusals.length,
    });
  }

  async function ingestNative(event: HttpEvent, context?: Context): Promise<HttpResult> {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    requireMediaType(event, ['application/json']);
    return guardedLogs(
      event,
      tenantId,
      () => decodeNativeLogs(readJson(event, LOG_LIMITS.maxPayloadBytes), deps.clock.now().getTime()),
      nativeAnswer,
      context,
    );
  }

  function otlpAnswer(type: string, decoded: DecodedLogs): HttpResult {
    const rejected = decoded.refusals.length;
    const first = decoded.refusals[0];
    const message = first
      ? `${rejected} of ${decoded.total} log records refused; the rest were stored. Records ${decoded.refusals
          .slice(0, MAX_NAMED_REFUSALS)
          .map((r) => r.index)
          .join(', ')}${rejected > MAX_NAMED_REFUSALS ? ', …' : ''}. First: ${first.message}`
      : '';
    if (type === 'application/json') return json(200, exportLogsResponseJson(rejected, message));
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/x-protobuf', 'cache-control': 'no-store' },
      // ExportLogsServiceResponse has the metrics response's layout (partial_success = 1 {1, 2}).
      body: Buffer.from(
        encodeExportMetricsResponse(
          rejected > 0 ? { rejectedDataPoints: rejected, errorMessage: message } : undefined,
        ),
      ).toString('base64'),
      isBase64Encoded: true,
    };
  }

  async function ingestOtlp(event: HttpEvent, context?: Context): Promise<HttpResult> {
    let result: HttpResult;
    try {
      const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
      const type = requireMediaType(event, ['application/x-protobuf', 'application/json']);
      result = await guardedLogs(
        event,
        tenantId,
        () => {
          const now = deps.clock.now().getTime();
          const records =
            type === 'application/json'
              ? decodeOtlpLogsJson(readJson(event, LOG_LIMITS.maxPayloadBytes), now)
              : decodeOtlpLogsProtobuf(readBody(event, LOG_LIMITS.maxPayloadBytes), now);
          return checkedLogs(records, (i) => `logRecords[${i}]`);
        },
        (decoded) => otlpAnswer(type, decoded),
        context,
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      result = errorResult(error);
    }
    return result.statusCode >= 400 ? otlpFailure(mediaType(event), result) : result;
  }

  return { 'POST /v1/logs': ingestOtlp, 'POST /v1/logs/ingest': ingestNative };
}
