/**
 * The native histogram the protocol tests and the fuzzer's corpora send: integer deltas, two positive
 * spans, a negative bucket and a zero bucket. At schema 0 (base 2) its buckets are negative bucket 1,
 * the zero bucket, positive buckets 0, 1 and 3.
 */
import type { Histogram } from '#protocols/prometheus/remote-write';

export function integerHistogram(timestamp: number, schema = 0): Histogram {
  return {
    count: 9,
    float: false,
    sum: 12.5,
    schema,
    zeroThreshold: 0.001,
    zeroCount: 1,
    negativeSpans: [{ offset: 1, length: 1 }],
    negativeDeltas: [1],
    negativeCounts: [],
    positiveSpans: [
      { offset: 0, length: 2 },
      { offset: 1, length: 1 },
    ],
    positiveDeltas: [2, -1, 3],
    positiveCounts: [],
    resetHint: 2,
    timestamp,
    customValues: [],
    stale: false,
  };
}
