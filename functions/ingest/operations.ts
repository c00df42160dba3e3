/**
 * The ingest function's routes as /openapi.json describes them (functions/ingest/app.ts): the
 * native JSON body is the zod schema the decoder validates with; OTLP and remote write are protobuf.
 */
import { nativePayloadSchema } from '#domain/native-format';
import * as z from '#domain/zod';
import type { OperationDoc } from '#http/operations';

const refusals = {
  400: null,
  401: null,
  403: null,
  413: null,
  415: null,
  422: null,
  429: null,
  503: null,
} as const;

export const INGEST_OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'POST',
    path: '/v1/ingest',
    summary: 'Ingest samples in the native JSON format',
    auth: 'ingest',
    body: nativePayloadSchema,
    responses: {
      202: z.object({
        accepted: z.number().check(z.int()),
        rejected: z.array(z.looseObject({})).check(z.describe('each refused sample, with the reason')),
        deduplicated: z.optional(z.number().check(z.int())),
      }),
      ...refusals,
    },
  },
  {
    method: 'POST',
    path: '/v1/metrics',
    summary: 'OTLP/HTTP metrics export (protobuf or JSON)',
    auth: 'ingest',
    binaryBody: ['application/x-protobuf', 'application/json'],
    responses: {
      200: z
        .looseObject({
          partialSuccess: z.optional(
            z.looseObject({
              rejectedDataPoints: z.optional(z.string()),
              errorMessage: z.optional(z.string()),
            }),
          ),
        })
        .check(z.describe('ExportMetricsServiceResponse (protobuf when the request was protobuf)')),
      ...refusals,
    },
  },
  {
    method: 'POST',
    path: '/api/v1/write',
    summary: 'Prometheus remote write 1.0 (snappy-framed protobuf WriteRequest)',
    auth: 'ingest',
    binaryBody: ['application/x-protobuf'],
    responses: { 204: null, ...refusals },
  },
];
