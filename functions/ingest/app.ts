import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { BadRequestError, DomainError, UnsupportedMediaTypeError } from '#domain/errors';
import { type IngestBatch, ingestOutcome, rejectionSummary } from '#domain/ingest/batch';
import { otlpMetadata } from '#domain/ingest/otlp-metadata';
import { otlpToBatch } from '#domain/ingest/otlp-metrics';
import {
  type RemoteWriteBatch,
  type RemoteWriteWritten,
  remoteWriteBatchFrom,
  remoteWriteWritten,
} from '#domain/ingest/remote-write';
import { LIMITS, type Sample } from '#domain/metrics';
import { type NativePayload, nativePayloadToSamples } from '#domain/native-format';
import { authenticate } from '#http/auth';
import { mediaType, rawBody, readBody, readJson, requireMediaType } from '#http/body';
import { httpHandler, type Observability, router } from '#http/handler';
import { errorResult, json } from '#http/response';
import { type HttpEvent, type HttpHandler, type HttpResult, header } from '#http/types';
import type { GuardedRequest, IngestOutcome as GuardOutcome, IngestGuard } from '#ingest/guard';
import { metadataRecorder } from '#ingest/metadata-recorder';
import { linkPushedResource } from '#ingest/push-resource';
import type { Clock } from '#ports/clock';
import type { MetricMetadataStore } from '#ports/metric-metadata';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { ResourceDirectory } from '#ports/resource-directory';
import type { TenantStore } from '#ports/tenant-store';
import { decodeOtlpJson } from '#protocols/otlp/decode-json';
import { decodeOtlpProtobuf } from '#protocols/otlp/decode-protobuf';
import type { OtlpRequest } from '#protocols/otlp/model';
import { encodeExportMetricsResponse, exportMetricsResponseJson } from '#protocols/otlp/response';
import { readRemoteWriteBody, type WriteRequestSink } from '#protocols/prometheus/remote-write';
import { REMOTE_WRITE_V2_PROTO, readRemoteWriteV2Body } from '#protocols/prometheus/remote-write-v2';
import { type LogIngestDeps, logIngestRoutes } from './logs';
import { otlpFailure } from './otlp-failure';

export interface IngestDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Called with what was stored, after the write (alert evaluation on ingest hangs here). */
  readonly afterWrite?: (tenantId: string, samples: readonly Sample[]) => Promise<void>;
  /** Per-tenant limits, idempotency and HA dedup (shared/ingest/guard.ts); every deployment wires it. */
  readonly guard?: IngestGuard;
  /**
   * Links a native push's resourceIds to API resources (ambiguous: 422) and creates the resource
   * with `?create=true` (shared/ingest/push-resource.ts); absent, pushes are stored unlinked.
   */
  readonly resources?: ResourceDirectory;
  /** Where the metric metadata senders send (type, help, unit) is kept; not kept when absent. */
  readonly metadata?: MetricMetadataStore;
  /** The log store (functions/ingest/logs.ts); without one the log routes are not served. */
  readonly logs?: LogIngestDeps['logs'];
  readonly afterLogWrite?: LogIngestDeps['afterLogWrite'];
}

/** The Content-Type proto parameter of remote write 1.0 (also what no parameter means). */
const REMOTE_WRITE_V1_PROTO = 'prometheus.WriteRequest';

/** The remote-write version a Content-Type asks for: 1 or 2; 415 for any other proto. */
export function remoteWriteVersion(contentType: string): 1 | 2 {
  const proto = /;\s*proto\s*=\s*"?([^;\s"]+)"?/i.exec(contentType)?.[1];
  if (proto === undefined || proto === REMOTE_WRITE_V1_PROTO) return 1;
  if (proto === REMOTE_WRITE_V2_PROTO) return 2;
  throw new UnsupportedMediaTypeError(
    `remote write accepts proto=${REMOTE_WRITE_V1_PROTO} (1.0, also the default) or proto=${REMOTE_WRITE_V2_PROTO} (2.0), not ${proto}`,
    'content-type',
  );
}

/** The remote write 2.0 response headers (sent for 1.0 too): what the request stored. */
function writtenHeaders(written: RemoteWriteWritten): Record<string, string> {
  return {
    'x-prometheus-remote-write-samples-written': String(written.samples),
    'x-prometheus-remote-write-histograms-written': String(written.histograms),
    'x-prometheus-remote-write-exemplars-written': String(written.exemplars),
  };
}

const NOTHING_WRITTEN: RemoteWriteWritten = { samples: 0, histograms: 0, exemplars: 0 };

/** What one remote-write request got to, as far as it got: its batch, what was stored, the counts. */
interface RemoteWriteExchange {
  batch?: RemoteWriteBatch;
  stored?: readonly Sample[];
  written?: RemoteWriteWritten;
}

/** Collector-facing ingest: authenticate the ingest key, decode, validate, map, write. */
export function createIngestHandler(deps: IngestDeps): HttpHandler {
  const emf = deps.observability.metrics;
  // Native histograms go to a store that keeps them as they came (AMP), classic buckets elsewhere.
  const batchOptions = { nativeHistograms: deps.metrics.nativeHistograms === true };
  const recordMetadata =
    deps.metadata &&
    metadataRecorder(deps.metadata, (error) =>
      deps.observability.logger.error('recording metric metadata failed', { error: error as Error }),
    );

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
        decode: async () => {
          const body = readJson(event);
          const samples = nativePayloadToSamples(body, deps.clock.now().getTime());
          if (deps.resources)
            await linkPushedResource(
              { directory: deps.resources, tenants: deps.tenants, clock: deps.clock },
              tenantId,
              body as NativePayload,
              event.queryStringParameters?.['create'] === 'true',
            );
          return samples;
        },
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
    answer: (outcome: ReturnType<typeof ingestOutcome>, result: GuardOutcome) => HttpResult,
    context?: Context,
    write: (samples: readonly Sample[]) => ReturnType<typeof writeSamples> = (samples) =>
      writeSamples(tenantId, samples),
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
        write,
        respond: (result) => {
          const outcome = ingestOutcome(batch as IngestBatch, result);
          emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, outcome.samplesWritten);
          emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, outcome.rejected);
          return answer(outcome, result);
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
      let request: OtlpRequest | undefined;
      result = await guardedBatch(
        event,
        tenantId,
        () => {
          request =
            type === 'application/json'
              ? decodeOtlpJson(readJson(event))
              : decodeOtlpProtobuf(readBody(event));
          return otlpToBatch(request, deps.clock.now().getTime(), batchOptions);
        },
        (outcome) => otlpAnswer(type, outcome),
        context,
      );
      if (request && recordMetadata) await recordMetadata(tenantId, otlpMetadata(request).entries());
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      result = errorResult(error);
    }
    return result.statusCode >= 400 ? otlpFailure(mediaType(event), result) : result;
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
   * Prometheus remote write 1.0 and 2.0 (chosen by the Content-Type proto parameter; 415 for another,
   * so a 2.0 sender falls back): a snappy-framed WriteRequest or v2 Request. Success is 204; any
   * refused sample or histogram makes it a 400 (after the rest is stored), which a sender does not
   * retry; 5xx only for our faults. Every answer says what was stored in the
   * X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written headers.
   */
  async function ingestRemoteWrite(event: HttpEvent, context?: Context): Promise<HttpResult> {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    const exchange: RemoteWriteExchange = {};
    let result: HttpResult;
    try {
      result = await guardedRemoteWrite(event, tenantId, exchange, context);
    } catch (error) {
      // A refusal still says what was stored (nothing, or what the guard let through); our faults stay 5xx.
      if (!(error instanceof DomainError) || error.status >= 500) throw error;
      result = errorResult(error);
    }
    const { batch, stored } = exchange;
    if (batch && recordMetadata) await recordMetadata(tenantId, batch.metadata.entries());
    const written =
      exchange.written ?? (batch && stored ? writtenFromStored(batch, stored) : NOTHING_WRITTEN);
    return { ...result, headers: { ...result.headers, ...writtenHeaders(written) } };
  }

  /** Checks the content type and encoding, then decodes, maps and writes through the guard. */
  async function guardedRemoteWrite(
    event: HttpEvent,
    tenantId: string,
    exchange: RemoteWriteExchange,
    context?: Context,
  ): Promise<HttpResult> {
    requireMediaType(event, ['application/x-protobuf']);
    const version = remoteWriteVersion(header(event, 'content-type') ?? '');
    const encoding = (header(event, 'content-encoding') ?? '').trim().toLowerCase();
    if (encoding !== 'snappy')
      throw new UnsupportedMediaTypeError(
        'Content-Encoding must be snappy for remote write',
        'content-encoding',
      );
    const raw = rawBody(event);
    const readBodyInto =
      version === 2
        ? (sink: WriteRequestSink) => readRemoteWriteV2Body(raw, LIMITS.maxBodyBytes, sink)
        : (sink: WriteRequestSink) => readRemoteWriteBody(raw, LIMITS.maxBodyBytes, sink);
    return guardedBatch(
      event,
      tenantId,
      () => {
        exchange.batch = remoteWriteBatchFrom(readBodyInto, deps.clock.now().getTime(), batchOptions);
        return exchange.batch;
      },
      (outcome, guardResult) => {
        exchange.written = remoteWriteWritten(
          exchange.batch as RemoteWriteBatch,
          guardResult.rejected.map((r) => r.index),
        );
        if (outcome.rejected > 0)
          return errorResult(new BadRequestError(rejectionSummary(outcome, 'samples'), 'body'));
        return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
      },
      context,
      async (samples) => {
        const writeResult = await writeSamples(tenantId, samples);
        const refused = new Set(writeResult.rejected.map((r) => r.index));
        exchange.stored = refused.size === 0 ? samples : samples.filter((_, i) => !refused.has(i));
        return writeResult;
      },
    );
  }

  /** Written counts when the guard answered itself (its limits refused some samples): by the stored samples. */
  function writtenFromStored(batch: RemoteWriteBatch, stored: readonly Sample[]): RemoteWriteWritten {
    const kept = new Set(stored);
    const notStored: number[] = [];
    for (let i = 0; i < batch.samples.length; i++) if (!kept.has(batch.samples[i]!)) notStored.push(i);
    return remoteWriteWritten(batch, notStored);
  }

  return httpHandler(
    deps.observability,
    router({
      'POST /v1/ingest': ingestNative,
      'POST /v1/metrics': ingestOtlp,
      'POST /api/v1/write': ingestRemoteWrite,
      ...(deps.logs ? logIngestRoutes({ ...deps, logs: deps.logs }) : {}),
    }),
  );
}
