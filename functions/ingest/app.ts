import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { BadRequestError, UnsupportedMediaTypeError } from '../../shared/domain/errors';
import { type IngestBatch, ingestOutcome, rejectionSummary } from '../../shared/domain/ingest/batch';
import { otlpToBatch } from '../../shared/domain/ingest/otlp-metrics';
import { remoteWriteToBatch } from '../../shared/domain/ingest/remote-write';
import { LIMITS, type Sample } from '../../shared/domain/metrics';
import { nativePayloadToSamples } from '../../shared/domain/native-format';
import { authenticate } from '../../shared/http/auth';
import { readBody, readJson, requireMediaType } from '../../shared/http/body';
import { httpHandler, type Observability, router } from '../../shared/http/handler';
import { json } from '../../shared/http/response';
import { type HttpEvent, type HttpHandler, type HttpResult, header } from '../../shared/http/types';
import type { Clock } from '../../shared/ports/clock';
import type { MetricStore } from '../../shared/ports/metric-store';
import type { TenantStore } from '../../shared/ports/tenant-store';
import { decodeOtlpJson } from '../../shared/protocols/otlp/decode-json';
import { decodeOtlpProtobuf } from '../../shared/protocols/otlp/decode-protobuf';
import { encodeExportMetricsResponse, exportMetricsResponseJson } from '../../shared/protocols/otlp/response';
import { decodeRemoteWriteBody } from '../../shared/protocols/prometheus/remote-write';
import { METRIC } from '../../shared/telemetry/metric-names';

export interface IngestDeps {
  readonly tenants: TenantStore;
  readonly metrics: MetricStore;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Called with what was stored, after the write (alert evaluation on ingest hangs here). */
  readonly afterWrite?: (tenantId: string, samples: readonly Sample[]) => Promise<void>;
}

/** Collector-facing ingest: authenticate the ingest key, decode, validate, map, write. */
export function createIngestHandler(deps: IngestDeps): HttpHandler {
  const emf = deps.observability.metrics;

  async function ingestNative(event: HttpEvent) {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    requireMediaType(event, ['application/json']);
    const samples = nativePayloadToSamples(readJson(event), deps.clock.now().getTime());
    const result = await deps.metrics.write(tenantId, samples);
    emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, result.accepted);
    emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, result.rejected.length);
    if (deps.afterWrite) {
      const rejected = new Set(result.rejected.map((r) => r.index));
      await deps.afterWrite(
        tenantId,
        samples.filter((_, i) => !rejected.has(i)),
      );
    }
    return json(202, { accepted: result.accepted, rejected: result.rejected });
  }

  /** Writes a mapped batch, records what happened, and hands what was stored to afterWrite. */
  async function writeBatch(tenantId: string, batch: IngestBatch) {
    const result =
      batch.samples.length > 0
        ? await deps.metrics.write(tenantId, batch.samples)
        : { accepted: 0, rejected: [] };
    const outcome = ingestOutcome(batch, result);
    emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, outcome.samplesWritten);
    emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, outcome.rejected);
    if (deps.afterWrite && outcome.stored.length > 0) await deps.afterWrite(tenantId, outcome.stored);
    return outcome;
  }

  /** OTLP/HTTP metrics: protobuf or JSON in, the same encoding out, partial success per the spec. */
  async function ingestOtlp(event: HttpEvent): Promise<HttpResult> {
    const { tenantId } = await authenticate(event, deps.tenants, 'ingest');
    const type = requireMediaType(event, ['application/x-protobuf', 'application/json']);
    const request =
      type === 'application/json' ? decodeOtlpJson(readJson(event)) : decodeOtlpProtobuf(readBody(event));
    const outcome = await writeBatch(tenantId, otlpToBatch(request, deps.clock.now().getTime()));
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
  async function ingestRemoteWrite(event: HttpEvent): Promise<HttpResult> {
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
    const raw =
      event.body == null
        ? new Uint8Array(0)
        : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    const request = decodeRemoteWriteBody(raw, LIMITS.maxBodyBytes);
    const outcome = await writeBatch(tenantId, remoteWriteToBatch(request, deps.clock.now().getTime()));
    if (outcome.rejected > 0) throw new BadRequestError(rejectionSummary(outcome, 'samples'), 'body');
    return { statusCode: 204, headers: { 'cache-control': 'no-store' }, body: '' };
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
