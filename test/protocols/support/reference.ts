/**
 * protobufjs loaded with our written schemas: the reference the hand-written decoders are checked
 * against, and the encoder tests use to build messages.
 */
import protobuf from 'protobufjs';
import { decodeOtlpJson } from '#protocols/otlp/decode-json';
import type { OtlpRequest } from '#protocols/otlp/model';
import { OTLP_METRICS_DESCRIPTOR, OTLP_TYPES } from '#protocols/otlp/schema';
import type { WriteRequest } from '#protocols/prometheus/remote-write';
import { PROMETHEUS_REMOTE_DESCRIPTOR, PROMETHEUS_TYPES } from '#protocols/prometheus/schema';
import { histogramFromObject, TO_OBJECT as WITH_ONEOFS } from './native-histograms';

export const otlpRoot = protobuf.Root.fromJSON(OTLP_METRICS_DESCRIPTOR);
export const ExportRequest = otlpRoot.lookupType(OTLP_TYPES.request);
export const ExportResponse = otlpRoot.lookupType(OTLP_TYPES.response);
export const promRoot = protobuf.Root.fromJSON(PROMETHEUS_REMOTE_DESCRIPTOR);
export const PromWriteRequest = promRoot.lookupType(PROMETHEUS_TYPES.writeRequest);

const TO_OBJECT = { longs: Number, enums: Number, bytes: String, defaults: false, oneofs: false } as const;

/** Encodes an OTLP request given as an OTLP/JSON-shaped object (camelCase, numbers for int64). */
export function encodeOtlp(request: object): Uint8Array {
  const problem = ExportRequest.verify(request);
  if (problem) throw new Error(`not a valid ExportMetricsServiceRequest: ${problem}`);
  return ExportRequest.encode(ExportRequest.fromObject(request)).finish();
}

/** The decoded model as protobufjs sees the bytes (protobufjs decode → plain object → JSON mapping). */
export function referenceOtlp(bytes: Uint8Array): OtlpRequest {
  return decodeOtlpJson(ExportRequest.toObject(ExportRequest.decode(bytes), TO_OBJECT));
}

export function referenceWriteRequest(bytes: Uint8Array): WriteRequest {
  const o = PromWriteRequest.toObject(PromWriteRequest.decode(bytes), WITH_ONEOFS) as {
    timeseries: {
      labels: { name: string; value: string }[];
      samples: { value: number; timestamp: number }[];
      histograms: Parameters<typeof histogramFromObject>[0][];
      exemplars: unknown[];
    }[];
    metadata: { type: number; metricFamilyName: string; help: string; unit: string }[];
  };
  return {
    timeseries: o.timeseries.map((t) => ({
      labels: t.labels.map((l) => ({ name: l.name, value: l.value })),
      samples: t.samples.map((s) => ({ value: s.value, timestamp: s.timestamp, stale: false })),
      ...(t.histograms.length > 0 ? { histograms: t.histograms.map(histogramFromObject) } : {}),
      ...(t.exemplars.length > 0 ? { exemplarCount: t.exemplars.length } : {}),
    })),
    metadata: o.metadata,
  };
}

/** Remote-write request with the stale flags dropped (protobufjs cannot see NaN payloads). */
export function withoutStaleFlags(request: WriteRequest): WriteRequest {
  return {
    ...request,
    timeseries: request.timeseries.map((t) => ({
      ...t,
      samples: t.samples.map((s) => ({ ...s, stale: false })),
    })),
  };
}
