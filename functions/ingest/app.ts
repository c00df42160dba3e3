import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { BadRequestError, DomainError, UnsupportedMediaTypeError } from '../../shared/domain/errors';
import { type IngestBatch, ingestOutcome, rejectionSummary } from '../../shared/domain/ingest/batch';
import { otlpToBatch } from '../../shared/domain/ingest/otlp-metrics';
import { remoteWriteBatchFrom } from '../../shared/domain/ingest/remote-write';
import { LIMITS, type Sample } from '../../shared/domain/metrics';
import { nativePayloadToSamples } from '../../shared/domain/native-format';
import { authenticate } from '../../shared/http/auth';
import { mediaType, rawBody, readBody, readJson, requireMediaType } from '../../shared/http/body';
import { httpHandler, type Observability, router } from '../../shared/http/handler';
import { errorResult, json } from '../../shared/http/response';
import { type HttpEvent, type HttpHandler, type HttpResult, header } from '../../shared/http/types';
import type { GuardedRequest, IngestGuard } from '../../shared/ingest/guard';
import type { Clock } from '../../shared/ports/clock';
import type { MetricStore } from '../../shared/ports/metric-store';
import { METRIC } from '../../shared/ports/operational-metrics';
import type { TenantStore } from '../../shared/ports/tenant-store';
import { decodeOtlpJson } from '../../shared/protocols/otlp/decode-json';
import { decodeOtlpProtobuf } from '../../shared/protocols/otlp/decode-protobuf';
import {
  encodeExportMetricsResponse,
  encodeStatus,
  exportMetricsResponseJson,
  grpcCodeForHttpStatus,
} from '../../shared/protocols/otlp/response';
import { readRemoteWriteBody } from '../../shared/protocols/prometheus/remote-write';

export interface IngestDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Called with what was stored, after the write (alert evaluation on ingest hangs here). */
  readonly afterWrite?: (tenantId: string, samples: readonly Sample[]) => Promise<void>;
  /** Per-tenant limits, idempotency and HA dedup (shared/ingest/guard.ts); every deployment wires it. */
  readonly guard?: IngestGuard;
}

/** Collector-facing ingest: authenticate the ingest key, decode, validate, map, write. */
export function createIngestHandler(deps: IngestDeps): HttpHandler {
  const emf = deps.observability.metrics;

  /** Runs one request through the guard (limits, idempotency, HA dedup) when there is one. */
  async function guarded(event: HttpEvent, request: GuardedRequest, context?: Context): Promise<HttpResult> {
    if (deps.guard) return deps.guard.run(event, request, context);
    const samples = await request.decode();
    const result = await request.write(samples);
    return request.respond({ accepted: result.accepted, rejected: result.rejected, deduplicated: 0 });
  }

  /** Stores samples and hands what was kept to afterWrite. */
  async function writeSamples(tenantId: string, samples: readonly Sample[]) {
    const result =
      samples.length > 0 ? await deps.metrics.write(tenantId, samples) : { accepted: 0, rejected: [] };
    if (deps.afterWrite) {
      const rejected = new Set(result.rejected.map((r) => r.index));
      const stored = rejected.size === 0 ? samples : samples.filter((_, i) => !rejected.has(i));
      if (stored.length > 0) await deps.afterWrite(tenantId, stored);
    }
    return result;
  }

  async function ingestNative(event: HttpEvent, context?: Context) {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    requireMediaType(event, ['application/json']);
    return guarded(
      event,
      {
        tenantId,
        decode: () => nativePayloadToSamples(readJson(event), deps.clock.now().getTime()),
        write: (samples) => writeSamples(tenantId, samples),
        respond: (outcome) => {
          emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, outcome.accepted);
          emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, outcome.rejected.length);
          return json(202, {
            accepted: outcome.accepted,
            rejected: outcome.rejected,
            ...(outcome.deduplicated > 0 ? { deduplicated: outcome.deduplicated } : {}),
          });
        },
      },
      context,
    );
  }

  /**
   * Runs a mapped batch through the guard; `answer` gets the outcome folded back onto the
   * protocol's datapoints (the guard passes on only what it admitted, indices as in the batch).
   */
  function guardedBatch(
    event: HttpEvent,
    tenantId: string,
    decode: () => IngestBatch,
    answer: (outcome: ReturnType<typeof ingestOutcome>) => HttpResult,
    context?: Context,
  ): Promise<HttpResult> {
    let batch: IngestBatch | undefined;
    return guarded(
      event,
      {
        tenantId,
        decode: () => {
          batch = decode();
          return batch.samples;
        },
        write: (samples) => writeSamples(tenantId, samples),
        respond: (result) => {
          const outcome = ingestOutcome(batch as IngestBatch, result);
          emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, outcome.samplesWritten);
          emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, outcome.rejected);
          return answer(outcome);
        },
      },
      context,
    );
  }

  /** OTLP/HTTP metrics: protobuf or JSON in, the same encoding out, partial success per the spec. */
  async function ingestOtlp(event: HttpEvent, context?: Context): Promise<HttpResult> {
    let result: HttpResult;
    try {
      const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
      const type = requireMediaType(event, ['application/x-protobuf', 'application/json']);
      result = await guardedBatch(
        event,
        tenantId,
        () => {
          const request =
            type === 'application/json'
              ? decodeOtlpJson(readJson(event))
              : decodeOtlpProtobuf(readBody(event));
          return otlpToBatch(request, deps.clock.now().getTime());
        },
        (outcome) => otlpAnswer(type, outcome),
        context,
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      result = errorResult(error);
    }
    return result.statusCode >= 400 ? otlpFailure(mediaType(event), result) : result;
  }

  /**
   * OTLP/HTTP: every 4xx/5xx carries a google.rpc.Status in the request's encoding. A protobuf client
   * gets the Status alone; a JSON client gets its fields beside the platform's `error` object.
   */
  function otlpFailure(type: string, failure: HttpResult): HttpResult {
    const platformBody = JSON.parse(failure.body) as { error?: { message?: string } };
    const message = platformBody.error?.message ?? '';
    const code = grpcCodeForHttpStatus(failure.statusCode);
    if (type !== 'application/x-protobuf') {
      return { ...failure, body: JSON.stringify({ code, message, ...platformBody }) };
    }
    return {
      ...failure,
      headers: { ...failure.headers, 'content-type': 'application/x-protobuf' },
      body: Buffer.from(encodeStatus(code, message)).toString('base64'),
      isBase64Encoded: true,
    };
  }

  function otlpAnswer(type: string, outcome: ReturnType<typeof ingestOutcome>): HttpResult {
    const partial =
      outcome.rejected > 0
        ? { rejectedDataPoints: outcome.rejected, errorMessage: rejectionSummary(outcome) }
        : undefined;
    if (type === 'application/json') return json(200, exportMetricsResponseJson(partial));
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/x-protobuf', 'cache-control': 'no-store' },
      body: Buffer.from(encodeExportMetricsResponse(partial)).toString('base64'),
      isBase64Encoded: true,
    };
  }

  /**
   * Prometheus remote write 1.0: snappy-framed WriteRequest. Success is 204; any refused sample makes
   * it a 400 (after the rest is stored), which a sender does not retry; 5xx only for our faults.
   */
  async function ingestRemoteWrite(event: HttpEvent, context?: Context): Promise<HttpResult> {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    requireMediaType(event, ['application/x-protobuf']);
    const proto = /;\s*proto=([^;\s]+)/i.exec(header(event, 'content-type') ?? '')?.[1];
    if (proto && proto !== 'prometheus.WriteRequest')
      throw new UnsupportedMediaTypeError(
        `only remote write 1.0 (prometheus.WriteRequest) is accepted, not ${proto}`,
        'content-type',
      );
    const encoding = (header(event, 'content-encoding') ?? '').trim().toLowerCase();
    if (encoding !== 'snappy')
      throw new UnsupportedMediaTypeError(
        'Content-Encoding must be snappy for remote write',
        'content-encoding',
      );
    const raw = rawBody(event);
    return guardedBatch(
      event,
      tenantId,
      () =>
        remoteWriteBatchFrom(
          (sink) => readRemoteWriteBody(raw, LIMITS.maxBodyBytes, sink),
          deps.clock.now().getTime(),
        ),
      (outcome) => {
        if (outcome.rejected > 0) throw new BadRequestError(rejectionSummary(outcome, 'samples'), 'body');
        return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
      },
      context,
    );
  }

  return httpHandler(
    deps.observability,
    router({
      'POST /v1/ingest': ingestNative,
      'POST /v1/metrics': ingestOtlp,
      'POST /api/v1/write': ingestRemoteWrite,
    }),
  );
}
