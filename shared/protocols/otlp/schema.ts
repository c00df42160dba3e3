/**
 * The OTLP metrics schema as a protobufjs JSON descriptor, written field by field from
 * open-telemetry/opentelemetry-proto v1.5.0:
 *   opentelemetry/proto/common/v1/common.proto, resource/v1/resource.proto,
 *   metrics/v1/metrics.proto, collector/metrics/v1/metrics_service.proto.
 * Field names are the lowerCamelCase JSON names (OTLP/JSON uses them), field numbers are upstream's.
 * Deprecated/reserved fields (NumberDataPoint 1, Metric 4/6/8, …) are left out, as upstream reserves them.
 *
 * The hand-written decoders (decode-protobuf.ts) follow this schema; this descriptor is the reference
 * the tests and the benchmark load into protobufjs to encode messages and to cross-check decoding.
 * The ingest Lambda does not import it.
 */
import type { INamespace } from 'protobufjs';

type Fields = Record<
  string,
  { type: string; id: number; rule?: 'repeated'; options?: Record<string, unknown> }
>;
const message = (fields: Fields, oneofs?: Record<string, string[]>, nested?: INamespace['nested']) => ({
  fields,
  ...(oneofs
    ? { oneofs: Object.fromEntries(Object.entries(oneofs).map(([k, v]) => [k, { oneof: v }])) }
    : {}),
  ...(nested ? { nested } : {}),
});
const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });
/** proto3 `optional`: a synthetic oneof, so presence is kept. */
const optional = (name: string) => ({ [`_${name}`]: [name] });

export const OTLP_UPSTREAM_VERSION = 'opentelemetry-proto v1.5.0';

export const OTLP_METRICS_DESCRIPTOR: INamespace = {
  nested: {
    opentelemetry: {
      nested: {
        proto: {
          nested: {
            common: {
              nested: {
                v1: {
                  nested: {
                    AnyValue: message(
                      {
                        stringValue: { type: 'string', id: 1 },
                        boolValue: { type: 'bool', id: 2 },
                        intValue: { type: 'int64', id: 3 },
                        doubleValue: { type: 'double', id: 4 },
                        arrayValue: { type: 'ArrayValue', id: 5 },
                        kvlistValue: { type: 'KeyValueList', id: 6 },
                        bytesValue: { type: 'bytes', id: 7 },
                      },
                      {
                        value: [
                          'stringValue',
                          'boolValue',
                          'intValue',
                          'doubleValue',
                          'arrayValue',
                          'kvlistValue',
                          'bytesValue',
                        ],
                      },
                    ),
                    ArrayValue: message({ values: repeated('AnyValue', 1) }),
                    KeyValueList: message({ values: repeated('KeyValue', 1) }),
                    KeyValue: message({ key: { type: 'string', id: 1 }, value: { type: 'AnyValue', id: 2 } }),
                    InstrumentationScope: message({
                      name: { type: 'string', id: 1 },
                      version: { type: 'string', id: 2 },
                      attributes: repeated('KeyValue', 3),
                      droppedAttributesCount: { type: 'uint32', id: 4 },
                    }),
                  },
                },
              },
            },
            resource: {
              nested: {
                v1: {
                  nested: {
                    Resource: message({
                      attributes: repeated('opentelemetry.proto.common.v1.KeyValue', 1),
                      droppedAttributesCount: { type: 'uint32', id: 2 },
                    }),
                  },
                },
              },
            },
            metrics: {
              nested: {
                v1: {
                  nested: {
                    MetricsData: message({ resourceMetrics: repeated('ResourceMetrics', 1) }),
                    ResourceMetrics: message({
                      resource: { type: 'opentelemetry.proto.resource.v1.Resource', id: 1 },
                      scopeMetrics: repeated('ScopeMetrics', 2),
                      schemaUrl: { type: 'string', id: 3 },
                    }),
                    ScopeMetrics: message({
                      scope: { type: 'opentelemetry.proto.common.v1.InstrumentationScope', id: 1 },
                      metrics: repeated('Metric', 2),
                      schemaUrl: { type: 'string', id: 3 },
                    }),
                    Metric: message(
                      {
                        name: { type: 'string', id: 1 },
                        description: { type: 'string', id: 2 },
                        unit: { type: 'string', id: 3 },
                        gauge: { type: 'Gauge', id: 5 },
                        sum: { type: 'Sum', id: 7 },
                        histogram: { type: 'Histogram', id: 9 },
                        exponentialHistogram: { type: 'ExponentialHistogram', id: 10 },
                        summary: { type: 'Summary', id: 11 },
                        metadata: repeated('opentelemetry.proto.common.v1.KeyValue', 12),
                      },
                      { data: ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] },
                    ),
                    Gauge: message({ dataPoints: repeated('NumberDataPoint', 1) }),
                    Sum: message({
                      dataPoints: repeated('NumberDataPoint', 1),
                      aggregationTemporality: { type: 'AggregationTemporality', id: 2 },
                      isMonotonic: { type: 'bool', id: 3 },
                    }),
                    Histogram: message({
                      dataPoints: repeated('HistogramDataPoint', 1),
                      aggregationTemporality: { type: 'AggregationTemporality', id: 2 },
                    }),
                    ExponentialHistogram: message({
                      dataPoints: repeated('ExponentialHistogramDataPoint', 1),
                      aggregationTemporality: { type: 'AggregationTemporality', id: 2 },
                    }),
                    Summary: message({ dataPoints: repeated('SummaryDataPoint', 1) }),
                    AggregationTemporality: {
                      values: {
                        AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
                        AGGREGATION_TEMPORALITY_DELTA: 1,
                        AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
                      },
                    },
                    DataPointFlags: {
                      values: { DATA_POINT_FLAGS_DO_NOT_USE: 0, DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK: 1 },
                    },
                    NumberDataPoint: message(
                      {
                        attributes: repeated('opentelemetry.proto.common.v1.KeyValue', 7),
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        asDouble: { type: 'double', id: 4 },
                        asInt: { type: 'sfixed64', id: 6 },
                        exemplars: repeated('Exemplar', 5),
                        flags: { type: 'uint32', id: 8 },
                      },
                      { value: ['asDouble', 'asInt'] },
                    ),
                    HistogramDataPoint: message(
                      {
                        attributes: repeated('opentelemetry.proto.common.v1.KeyValue', 9),
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        count: { type: 'fixed64', id: 4 },
                        sum: { type: 'double', id: 5 },
                        bucketCounts: repeated('fixed64', 6),
                        explicitBounds: repeated('double', 7),
                        exemplars: repeated('Exemplar', 8),
                        flags: { type: 'uint32', id: 10 },
                        min: { type: 'double', id: 11 },
                        max: { type: 'double', id: 12 },
                      },
                      { ...optional('sum'), ...optional('min'), ...optional('max') },
                    ),
                    ExponentialHistogramDataPoint: message(
                      {
                        attributes: repeated('opentelemetry.proto.common.v1.KeyValue', 1),
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        count: { type: 'fixed64', id: 4 },
                        sum: { type: 'double', id: 5 },
                        scale: { type: 'sint32', id: 6 },
                        zeroCount: { type: 'fixed64', id: 7 },
                        positive: { type: 'Buckets', id: 8 },
                        negative: { type: 'Buckets', id: 9 },
                        flags: { type: 'uint32', id: 10 },
                        exemplars: repeated('Exemplar', 11),
                        min: { type: 'double', id: 12 },
                        max: { type: 'double', id: 13 },
                        zeroThreshold: { type: 'double', id: 14 },
                      },
                      { ...optional('sum'), ...optional('min'), ...optional('max') },
                      {
                        Buckets: message({
                          offset: { type: 'sint32', id: 1 },
                          bucketCounts: repeated('uint64', 2),
                        }),
                      },
                    ),
                    SummaryDataPoint: message(
                      {
                        attributes: repeated('opentelemetry.proto.common.v1.KeyValue', 7),
                        startTimeUnixNano: { type: 'fixed64', id: 2 },
                        timeUnixNano: { type: 'fixed64', id: 3 },
                        count: { type: 'fixed64', id: 4 },
                        sum: { type: 'double', id: 5 },
                        quantileValues: repeated('ValueAtQuantile', 6),
                        flags: { type: 'uint32', id: 8 },
                      },
                      undefined,
                      {
                        ValueAtQuantile: message({
                          quantile: { type: 'double', id: 1 },
                          value: { type: 'double', id: 2 },
                        }),
                      },
                    ),
                    Exemplar: message(
                      {
                        filteredAttributes: repeated('opentelemetry.proto.common.v1.KeyValue', 7),
                        timeUnixNano: { type: 'fixed64', id: 2 },
                        asDouble: { type: 'double', id: 3 },
                        asInt: { type: 'sfixed64', id: 6 },
                        spanId: { type: 'bytes', id: 4 },
                        traceId: { type: 'bytes', id: 5 },
                      },
                      { value: ['asDouble', 'asInt'] },
                    ),
                  },
                },
              },
            },
            collector: {
              nested: {
                metrics: {
                  nested: {
                    v1: {
                      nested: {
                        ExportMetricsServiceRequest: message({
                          resourceMetrics: repeated('opentelemetry.proto.metrics.v1.ResourceMetrics', 1),
                        }),
                        ExportMetricsServiceResponse: message({
                          partialSuccess: { type: 'ExportMetricsPartialSuccess', id: 1 },
                        }),
                        ExportMetricsPartialSuccess: message({
                          rejectedDataPoints: { type: 'int64', id: 1 },
                          errorMessage: { type: 'string', id: 2 },
                        }),
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
};

export const OTLP_TYPES = {
  request: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest',
  response: 'opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse',
} as const;
