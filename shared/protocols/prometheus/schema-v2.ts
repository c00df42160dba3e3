/**
 * Prometheus remote write 2.0 (spec 2.0-rc.4) as a protobufjs JSON descriptor, written field by
 * field from prometheus/prometheus prompb/io/prometheus/write/v2/types.proto (package
 * `io.prometheus.write.v2`; Request fields 1 to 3 are reserved upstream). Field names are
 * lowerCamelCase; numbers are upstream's.
 *
 * The hand-written reader (remote-write-v2.ts) follows it; the tests, the fuzzer and the benchmark
 * load this into protobufjs as the reference. The ingest Lambda does not import it.
 */
import type { INamespace } from 'protobufjs';

export const PROMETHEUS_V2_UPSTREAM_VERSION =
  'prometheus prompb/io/prometheus/write/v2 (remote write 2.0-rc.4)';

const repeated = (type: string, id: number) => ({ type, id, rule: 'repeated' as const });

export const PROMETHEUS_REMOTE_V2_DESCRIPTOR: INamespace = {
  nested: {
    io: {
      nested: {
        prometheus: {
          nested: {
            write: {
              nested: {
                v2: {
                  nested: {
                    Request: {
                      fields: { symbols: repeated('string', 4), timeseries: repeated('TimeSeries', 5) },
                    },
                    TimeSeries: {
                      fields: {
                        labelsRefs: repeated('uint32', 1),
                        samples: repeated('Sample', 2),
                        histograms: repeated('Histogram', 3),
                        exemplars: repeated('Exemplar', 4),
                        metadata: { type: 'Metadata', id: 5 },
                        createdTimestamp: { type: 'int64', id: 6 },
                      },
                    },
                    Exemplar: {
                      fields: {
                        labelsRefs: repeated('uint32', 1),
                        value: { type: 'double', id: 2 },
                        timestamp: { type: 'int64', id: 3 },
                      },
                    },
                    Sample: {
                      fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } },
                    },
                    Metadata: {
                      fields: {
                        type: { type: 'MetricType', id: 1 },
                        helpRef: { type: 'uint32', id: 3 },
                        unitRef: { type: 'uint32', id: 4 },
                      },
                      nested: {
                        MetricType: {
                          values: {
                            METRIC_TYPE_UNSPECIFIED: 0,
                            METRIC_TYPE_COUNTER: 1,
                            METRIC_TYPE_GAUGE: 2,
                            METRIC_TYPE_HISTOGRAM: 3,
                            METRIC_TYPE_GAUGEHISTOGRAM: 4,
                            METRIC_TYPE_SUMMARY: 5,
                            METRIC_TYPE_INFO: 6,
                            METRIC_TYPE_STATESET: 7,
                          },
                        },
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
                        customValues: repeated('double', 16),
                      },
                      nested: {
                        ResetHint: {
                          values: {
                            RESET_HINT_UNSPECIFIED: 0,
                            RESET_HINT_YES: 1,
                            RESET_HINT_NO: 2,
                            RESET_HINT_GAUGE: 3,
                          },
                        },
                      },
                    },
                    BucketSpan: {
                      fields: { offset: { type: 'sint32', id: 1 }, length: { type: 'uint32', id: 2 } },
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

export const PROMETHEUS_V2_TYPES = { request: 'io.prometheus.write.v2.Request' } as const;
