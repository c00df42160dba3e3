import type { HttpResult } from '#http/types';
import { encodeStatus, grpcCodeForHttpStatus } from '#protocols/otlp/response';

/**
 * OTLP/HTTP: every 4xx/5xx carries a google.rpc.Status in the request's encoding. A protobuf client
 * gets the Status alone; a JSON client gets its fields beside the platform's `error` object.
 */
export function otlpFailure(type: string, failure: HttpResult): HttpResult {
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
