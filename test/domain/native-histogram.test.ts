import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClassicBuckets,
  classicBuckets,
  classicBucketsFromReported,
  type ExponentialHistogram,
  exponentialBound,
  fromOtelBuckets,
  MAX_BUCKETS_PER_POINT,
  type ReportedBucket,
} from '#domain/ingest/native-histogram';
import { otlpToBatch } from '#domain/ingest/otlp-metrics';
import { remoteWriteToBatch, remoteWriteWritten } from '#domain/ingest/remote-write';
import type { ExponentialHistogramPoint } from '#protocols/otlp/model';
import type { Histogram } from '#protocols/prometheus/remote-write';

const none = { spans: [], counts: [], deltas: false };
const base: ExponentialHistogram = {
  schema: 0,
  count: 0,
  zeroThreshold: 0,
  zeroCount: 0,
  negative: none,
  positive: none,
};

describe('native histogram → classic buckets', () => {
  it('numbers buckets by their upper bound (Prometheus): base^i, negatives −base^(i−1), zero bucket between', () => {
    expect(
      classicBuckets({
        schema: 1, // base √2
        count: 10,
        zeroThreshold: 0.25,
        zeroCount: 1,
        negative: { spans: [{ offset: 2, length: 1 }], counts: [2], deltas: true },
        positive: {
          spans: [
            { offset: -1, length: 2 },
            { offset: 2, length: 1 },
          ],
          counts: [1, 2, -2],
          deltas: true,
        },
      }),
    ).toEqual({
      bounds: [
        '-2',
        String(-(2 ** 0.5)),
        '-0.25',
        '0.25',
        '0.5',
        String(2 ** -0.5),
        '1',
        '2',
        String(2 ** 1.5),
        '+Inf',
      ],
      // negative index 2: 2, zero 1, positive index −1: 1, index 0: 3, index 3 (after a gap of 2): 1;
      // +Inf is the count. Before each bucket whose lower bound is not the previous bound (the first
      // negative, the zero bucket, positive index −1 after it, index 3 after the gap), that lower
      // bound with the count so far, as Prometheus' quantile interpolates from it.
      cumulative: [0, 2, 2, 3, 3, 4, 7, 7, 8, 10],
    });
  });

  it('reads custom buckets (schema −53) by custom_values, the bucket past the last bound being +Inf', () => {
    expect(
      classicBuckets({
        ...base,
        schema: -53,
        count: 7,
        positive: { spans: [{ offset: 1, length: 3 }], counts: [2, 0.5, 4.5], deltas: false },
        customBounds: [0.1, 1, 10],
      }),
    ).toEqual({ bounds: ['0.1', '1', '10', '+Inf'], cumulative: [0, 2, 2.5, 7] });
  });

  it('gives OpenTelemetry buckets (index + 1) the same classic buckets as the Prometheus form', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -10, max: 20 }),
        fc.integer({ min: -30, max: 30 }),
        fc.array(fc.nat(1000), { maxLength: 8 }),
        fc.integer({ min: -30, max: 30 }),
        fc.array(fc.nat(1000), { maxLength: 8 }),
        (scale, positiveOffset, positiveCounts, negativeOffset, negativeCounts) => {
          const otel = classicBuckets({
            ...base,
            schema: scale,
            count: 1e6,
            positive: fromOtelBuckets(positiveOffset, positiveCounts),
            negative: fromOtelBuckets(negativeOffset, negativeCounts),
          });
          const deltas = (counts: number[]) => counts.map((c, i) => c - (i > 0 ? counts[i - 1]! : 0));
          const side = (offset: number, counts: number[]) => ({
            spans: counts.length > 0 ? [{ offset: offset + 1, length: counts.length }] : [],
            counts: deltas(counts),
            deltas: true,
          });
          const prometheus = classicBuckets({
            ...base,
            schema: scale,
            count: 1e6,
            positive: side(positiveOffset, positiveCounts),
            negative: side(negativeOffset, negativeCounts),
          });
          expect(prometheus).toEqual(otel);
        },
      ),
    );
  });

  it.each([
    [{ ...base, schema: 21 }, 'schema (scale) 21 is outside -10…20'],
    [{ ...base, schema: -53 }, 'schema (scale) -53 is outside'],
    [
      { ...base, positive: { spans: [{ offset: 0, length: 2 }], counts: [1], deltas: true } },
      'bucket spans cover 2 buckets, but 1 counts are given',
    ],
    [
      { ...base, positive: { spans: [{ offset: 0, length: 4294967295 }], counts: [1], deltas: true } },
      'bucket spans cover 4294967295 buckets',
    ],
    [
      {
        ...base,
        positive: {
          spans: [
            { offset: 0, length: 1 },
            { offset: -1, length: 1 },
          ],
          counts: [1, 1],
          deltas: false,
        },
      },
      'bucket span 1 has a negative offset',
    ],
    [
      { ...base, positive: { spans: [{ offset: 0, length: 2 }], counts: [3, -4], deltas: true } },
      'bucket count -1 is not a finite number ≥ 0',
    ],
    [
      { ...base, positive: { spans: [{ offset: 2000, length: 1 }], counts: [1], deltas: false } },
      'outside the range of a double',
    ],
    [
      {
        ...base,
        zeroThreshold: 2,
        positive: { spans: [{ offset: 0, length: 1 }], counts: [1], deltas: false },
      },
      'a positive bucket lies inside the zero bucket',
    ],
    [
      {
        ...base,
        schema: -53,
        customBounds: [1],
        positive: { spans: [{ offset: 2, length: 1 }], counts: [1], deltas: false },
      },
      'bucket index 2 is outside the 1 custom bounds',
    ],
    [
      { ...base, schema: -53, customBounds: [2, 1] },
      'custom bucket bounds are not finite and strictly increasing',
    ],
    [{ ...base, count: Number.NaN }, 'count NaN is not a finite number ≥ 0'],
  ] as [ExponentialHistogram, string][])('refuses %#: %s', (h, reason) => {
    expect(classicBuckets(h)).toContain(reason);
  });

  it('refuses more than MAX_BUCKETS_PER_POINT buckets on a side before expanding them', () => {
    const counts = new Array(MAX_BUCKETS_PER_POINT + 1).fill(0);
    expect(
      classicBuckets({
        ...base,
        positive: { spans: [{ offset: 0, length: counts.length }], counts, deltas: false },
      }),
    ).toBe(`more than ${MAX_BUCKETS_PER_POINT} buckets on one side`);
  });
});

describe('one histogram, two protocols', () => {
  it('stores the same bucket, count and sum values from OTLP and from remote write', () => {
    const nowMs = Date.now();
    const point: ExponentialHistogramPoint = {
      attributes: [],
      timeUnixNano: nowMs * 1e6,
      flags: 0,
      count: 12,
      sum: 40,
      scale: 2,
      zeroCount: 2,
      zeroThreshold: 0.001,
      positive: { offset: 3, bucketCounts: [1, 0, 4] },
      negative: { offset: -2, bucketCounts: [3, 2] },
      min: undefined,
      max: undefined,
    };
    const otlp = otlpToBatch(
      {
        resourceMetrics: [
          {
            attributes: [],
            scopeMetrics: [
              {
                name: '',
                version: '',
                attributes: [],
                metrics: [{ name: 'lat', type: 'exponentialHistogram', temporality: 2, points: [point] }],
              },
            ],
          },
        ],
      },
      nowMs,
    );
    const native: Histogram = {
      count: 12,
      float: false,
      sum: 40,
      schema: 2,
      zeroThreshold: 0.001,
      zeroCount: 2,
      negativeSpans: [{ offset: -1, length: 2 }],
      negativeDeltas: [3, -1],
      negativeCounts: [],
      positiveSpans: [{ offset: 4, length: 3 }],
      positiveDeltas: [1, -1, 4],
      positiveCounts: [],
      resetHint: 0,
      timestamp: nowMs,
      customValues: [],
      stale: false,
    };
    const rw = remoteWriteToBatch(
      { timeseries: [{ labels: [{ name: '__name__', value: 'lat' }], samples: [], histograms: [native] }] },
      nowMs,
    );
    const values = (samples: typeof rw.samples) =>
      samples.map((s) => [s.metric, s.dimensions.le ?? '', s.value]).sort();
    expect(rw.rejections).toEqual([]);
    expect(otlp.rejections).toEqual([]);
    expect(values(rw.samples)).toEqual(values(otlp.samples));
    // Buckets 2 + 1 + 3, +Inf, the empty lower bounds of the first negative, the zero and the first
    // positive bucket, then _count and _sum.
    expect(rw.samples).toHaveLength(2 + 1 + 3 + 1 + 3 + 2);
  });
});

describe('a stale native histogram', () => {
  it('ends its _count and _sum series with stale markers and counts as written', () => {
    const nowMs = Date.now();
    const stale: Histogram = {
      count: 0,
      float: false,
      sum: Number.NaN,
      schema: 0,
      zeroThreshold: 0,
      zeroCount: 0,
      negativeSpans: [],
      negativeDeltas: [],
      negativeCounts: [],
      positiveSpans: [],
      positiveDeltas: [],
      positiveCounts: [],
      resetHint: 0,
      timestamp: nowMs,
      customValues: [],
      stale: true,
    };
    const batch = remoteWriteToBatch(
      { timeseries: [{ labels: [{ name: '__name__', value: 'lat' }], samples: [], histograms: [stale] }] },
      nowMs,
    );
    expect(batch.samples).toEqual([
      { metric: 'lat_count', dimensions: {}, timestampMs: nowMs, value: Number.NaN, stale: true },
      { metric: 'lat_sum', dimensions: {}, timestampMs: nowMs, value: Number.NaN, stale: true },
    ]);
    expect(remoteWriteWritten(batch, [])).toEqual({ samples: 0, histograms: 1, exemplars: 0 });
  });
});

/**
 * The buckets Prometheus' HTTP API reports for a native histogram: non-empty ones only, bounds by its
 * own arithmetic (a lookup table for schema > 0), here the exact bounds rounded to 14 digits.
 */
function reportedBuckets(h: ExponentialHistogram): ReportedBucket[] {
  const rounded = (x: number) => Number(x.toPrecision(14));
  const out: ReportedBucket[] = [];
  const each = (side: ExponentialHistogram['positive'], fn: (index: number, count: number) => void) => {
    let index = 0;
    let k = 0;
    for (const span of side.spans) {
      index += span.offset;
      for (let j = 0; j < span.length; j++, index++, k++) fn(index, side.counts[k]!);
    }
  };
  each(h.negative, (i, count) => {
    if (count > 0)
      out.push({
        lower: -rounded(exponentialBound(i, h.schema)),
        upper: -rounded(exponentialBound(i - 1, h.schema)),
        count,
      });
  });
  if (h.zeroCount > 0) out.push({ lower: -h.zeroThreshold, upper: h.zeroThreshold, count: h.zeroCount });
  each(h.positive, (i, count) => {
    if (count > 0)
      out.push({
        lower: rounded(exponentialBound(i - 1, h.schema)),
        upper: rounded(exponentialBound(i, h.schema)),
        count,
      });
  });
  return out.reverse(); // any order
}

describe('classic buckets from what Prometheus’ API reports of a native histogram (AMP reads)', () => {
  const side = (counts: fc.Arbitrary<number>) =>
    fc
      .record({
        offset: fc.integer({ min: 1, max: 6 }),
        gap: fc.integer({ min: 0, max: 3 }),
        first: fc.array(counts, { minLength: 0, maxLength: 4 }),
        second: fc.array(counts, { minLength: 0, maxLength: 4 }),
      })
      .map(({ offset, gap, first, second }) => ({
        spans: [
          { offset, length: first.length },
          { offset: gap, length: second.length },
        ],
        counts: [...first, ...second],
        deltas: false,
      }));
  const histogram = (counts: fc.Arbitrary<number>, zeroCount: fc.Arbitrary<number>) =>
    fc
      .record({
        schema: fc.integer({ min: -4, max: 8 }),
        zeroThreshold: fc.constantFrom(0, 2 ** -128, 0.001),
        zeroCount,
        negative: side(counts),
        positive: side(counts),
      })
      .map((h): ExponentialHistogram => {
        const total =
          h.zeroCount +
          h.negative.counts.reduce((a, b) => a + b, 0) +
          h.positive.counts.reduce((a, b) => a + b, 0);
        return { ...h, count: total };
      });
  const converted = (h: ExponentialHistogram) => classicBuckets(h) as ClassicBuckets;

  it('equals the conversion of the histogram itself when no bucket is empty', () => {
    fc.assert(
      fc.property(histogram(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 5 })), (h) => {
        expect(classicBucketsFromReported(h.count, reportedBuckets(h))).toEqual(converted(h));
      }),
    );
  });

  it('with empty buckets: the same count at every bound it gives; the bounds it leaves out add nothing', () => {
    fc.assert(
      fc.property(histogram(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 2 })), (h) => {
        const full = converted(h);
        const read = classicBucketsFromReported(h.count, reportedBuckets(h));
        const at = new Map(full.bounds.map((b, i) => [b, full.cumulative[i]!]));
        read.bounds.forEach((b, i) => {
          expect(at.get(b), b).toBe(read.cumulative[i]);
        });
        const given = new Set(read.bounds);
        full.bounds.forEach((b, i) => {
          if (!given.has(b)) expect(full.cumulative[i], b).toBe(i > 0 ? full.cumulative[i - 1] : 0);
        });
      }),
    );
  });
});
