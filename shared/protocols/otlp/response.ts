/**
 * ExportMetricsServiceResponse, in the encoding of the request (OTLP/HTTP: a protobuf request gets a
 * protobuf response, a JSON request a JSON one). partial_success is set only when something was
 * refused, as the OTLP specification asks.
 */
import { ProtoWriter } from '../protobuf/writer';

export interface PartialSuccess {
  readonly rejectedDataPoints: number;
  readonly errorMessage: string;
}

export function encodeExportMetricsResponse(partial?: PartialSuccess): Uint8Array {
  const w = new ProtoWriter();
  if (partial && (partial.rejectedDataPoints > 0 || partial.errorMessage)) {
    w.tag(1, 2).fork();
    if (partial.rejectedDataPoints > 0) w.tag(1, 0).int64(partial.rejectedDataPoints);
    if (partial.errorMessage) w.tag(2, 2).string(partial.errorMessage);
    w.join();
  }
  return w.finish();
}

/** OTLP/JSON: int64 as a decimal string, lowerCamelCase names. */
export function exportMetricsResponseJson(partial?: PartialSuccess): Record<string, unknown> {
  if (!partial || (partial.rejectedDataPoints === 0 && !partial.errorMessage)) return {};
  return {
    partialSuccess: {
      rejectedDataPoints: String(partial.rejectedDataPoints),
      errorMessage: partial.errorMessage,
    },
  };
}

/**
 * google.rpc.Status, the body OTLP/HTTP requires on every 4xx/5xx (in the request's encoding):
 * code (1, int32) and message (2, string); details are not used.
 */
export function encodeStatus(code: number, message: string): Uint8Array {
  const w = new ProtoWriter();
  if (code !== 0) w.tag(1, 0).int64(code);
  if (message) w.tag(2, 2).string(message);
  return w.finish();
}

/** The gRPC code OTLP clients may log for an HTTP failure status (the spec does not require one). */
export function grpcCodeForHttpStatus(status: number): number {
  if (status === 401) return 16; // UNAUTHENTICATED
  if (status === 403) return 7; // PERMISSION_DENIED
  if (status === 429) return 8; // RESOURCE_EXHAUSTED
  if (status === 503 || status === 502 || status === 504) return 14; // UNAVAILABLE
  if (status >= 500) return 13; // INTERNAL
  return 3; // INVALID_ARGUMENT
}
