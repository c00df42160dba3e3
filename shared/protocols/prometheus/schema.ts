/**
 * Prometheus remote write 1.0 as a protobufjs JSON descriptor, written field by field from
 * prometheus/prometheus v2.42.0 prompb/types.proto and prompb/remote.proto (package `prometheus`).
 * Field names are lowerCamelCase; numbers are upstream's (WriteRequest field 2 is reserved upstream).
 *
 * The hand-written codec (remote-write.ts) follows it; the tests and the benchmark load this into
 * protobufjs as the reference. The ingest Lambda does not import it.
 */
import type { INamespace } from 'protobufjs';

export const PROMETHEUS_UPSTREAM_VERSION = 'prometheus v2.42.0 prompb (remote write 1.0)';

const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });

export const PROMETHEUS_REMOTE_DESCRIPTOR: INamespace = {
  nested: {
    prometheus: {
      nested: {
        WriteRequest: {
          fields: { timeseries: repeated('TimeSeries', 1), metadata: repeated('MetricMetadata', 3) },
        },
        MetricMetadata: {
          fields: {
            type: { type: 'MetricType', id: 1 },
            metricFamilyName: { type: 'string', id: 2 },
            help: { type: 'string', id: 4 },
            unit: { type: 'string', id: 5 },
          },
          nested: {
            MetricType: {
              values: {
                UNKNOWN: 0,
                COUNTER: 1,
                GAUGE: 2,
                HISTOGRAM: 3,
                GAUGEHISTOGRAM: 4,
                SUMMARY: 5,
                INFO: 6,
                STATESET: 7,
              },
            },
          },
        },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
        Exemplar: {
          fields: {
            labels: repeated('Label', 1),
            value: { type: 'double', id: 2 },
            timestamp: { type: 'int64', id: 3 },
          },
        },
        Histogram: {
          oneofs: {
            count: { oneof: ['countInt', 'countFloat'] },
            zeroCount: { oneof: ['zeroCountInt', 'zeroCountFloat'] },
          },
          fields: {
            countInt: { type: 'uint64', id: 1 },
            countFloat: { type: 'double', id: 2 },
            sum: { type: 'double', id: 3 },
            schema: { type: 'sint32', id: 4 },
            zeroThreshold: { type: 'double', id: 5 },
            zeroCountInt: { type: 'uint64', id: 6 },
            zeroCountFloat: { type: 'double', id: 7 },
            negativeSpans: repeated('BucketSpan', 8),
            negativeDeltas: repeated('sint64', 9),
            negativeCounts: repeated('double', 10),
            positiveSpans: repeated('BucketSpan', 11),
            positiveDeltas: repeated('sint64', 12),
            positiveCounts: repeated('double', 13),
            resetHint: { type: 'ResetHint', id: 14 },
            timestamp: { type: 'int64', id: 15 },
          },
          nested: { ResetHint: { values: { UNKNOWN: 0, YES: 1, NO: 2, GAUGE: 3 } } },
        },
        BucketSpan: { fields: { offset: { type: 'sint32', id: 1 }, length: { type: 'uint32', id: 2 } } },
        TimeSeries: {
          fields: {
            labels: repeated('Label', 1),
            samples: repeated('Sample', 2),
            exemplars: repeated('Exemplar', 3),
            histograms: repeated('Histogram', 4),
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
      },
    },
  },
};

export const PROMETHEUS_TYPES = { writeRequest: 'prometheus.WriteRequest' } as const;
