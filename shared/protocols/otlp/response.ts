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
