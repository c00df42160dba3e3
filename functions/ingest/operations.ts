/**
 * The ingest function's routes as /openapi.json describes them (functions/ingest/app.ts): the
 * native JSON body is the zod schema the decoder validates with; OTLP and remote write are protobuf.
 */
import { nativePayloadSchema } from '#domain/native-format';
import * as z from '#domain/zod';
import type { OperationDoc } from '#http/operations';

/** For /openapi.json: the decoder (shared/domain/logs/native-format.ts) checks each record itself. */
const nativeLogsSchema = z
  .array(
    z.looseObject({
      message: z.string().check(z.describe('up to 32 KB (UTF-8); `msg` is accepted too')),
      timestamp: z
        .optional(z.union([z.number(), z.string()]))
        .check(z.describe('epoch ms (or s) or RFC 3339')),
      severity: z.optional(z.string()),
      resourceIds: z
        .optional(z.record(z.string(), z.string()))
        .check(z.describe('`_lm.resourceId` is accepted too')),
      attributes: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
    }),
  )
  .check(z.describe('log records; an invalid or oversized one is refused by its index, the rest stored'));

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

/** An OTLP Export*ServiceResponse: a partial success names how many items were refused, and why. */
const otlpExportResponse = (rejectedField: string, message: string) =>
  z
    .looseObject({
      partialSuccess: z.optional(
        z.looseObject({
          [rejectedField]: z.optional(z.string()),
          errorMessage: z.optional(z.string()),
        }),
      ),
    })
    .check(z.describe(`${message} (protobuf when the request was protobuf)`));

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
    summary:
      'OTLP/HTTP metrics export (protobuf or JSON). NaN and ±Inf are values (OTLP/JSON spells them "NaN", "Infinity", "-Infinity"); no-recorded-value points are stale markers; exponential histograms are stored as classic buckets, or as native histograms in AMP regions',
    auth: 'ingest',
    binaryBody: ['application/x-protobuf', 'application/json'],
    responses: {
      200: otlpExportResponse('rejectedDataPoints', 'ExportMetricsServiceResponse'),
      ...refusals,
    },
  },
  {
    method: 'POST',
    path: '/api/v1/write',
    summary:
      'Prometheus remote write 1.0 (snappy-framed protobuf WriteRequest) or 2.0 (Content-Type proto=io.prometheus.write.v2.Request; another proto is a 415). NaN, ±Inf and stale markers are stored as sent; native histograms as classic buckets, or native in AMP regions; X-Prometheus-Remote-Write-{Samples,Histograms,Exemplars}-Written on every answer',
    auth: 'ingest',
    binaryBody: ['application/x-protobuf'],
    responses: { 204: null, ...refusals },
  },
  {
    method: 'POST',
    path: '/v1/logs',
    summary: 'OTLP/HTTP logs export (protobuf or JSON, gzip; 8 MB a body, 32 KB a message)',
    auth: 'ingest',
    binaryBody: ['application/x-protobuf', 'application/json'],
    responses: {
      200: otlpExportResponse('rejectedLogRecords', 'ExportLogsServiceResponse'),
      ...refusals,
    },
  },
  {
    method: 'POST',
    path: '/v1/logs/ingest',
    summary: 'Ingest log records in the native JSON array format (LM Logs limits: 8 MB, 32 KB a message)',
    auth: 'ingest',
    body: nativeLogsSchema,
    responses: {
      202: z.object({ accepted: z.number().check(z.int()), rejected: z.array(z.looseObject({})) }),
      ...refusals,
    },
  },
];
