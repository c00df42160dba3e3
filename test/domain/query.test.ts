import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '#domain/errors';
import {
  aggregate,
  type MetricQuery,
  parseMetricQuery,
  percentile,
  seriesFromSamples,
  shapePoints,
} from '#domain/query';

describe('parseMetricQuery', () => {
  it('reads epoch ms and RFC 3339, step, agg and treats the rest as dimension filters', () => {
    const q = parseMetricQuery({
      metric: 'cpu',
      from: '1700000000000',
      to: '2023-11-14T22:20:00Z',
      step: '60',
      agg: 'p95',
      host: 'web-01',
    });
    expect(q).toEqual({
      metric: 'cpu',
      fromMs: 1700000000000,
      toMs: Date.parse('2023-11-14T22:20:00Z'),
      stepSeconds: 60,
      aggregation: 'p95',
      filters: { host: 'web-01' },
    });
  });

  it.each([
    [{ from: '1', to: '2' }, 'metric'],
    [{ metric: 'm', to: '2' }, 'from'],
    [{ metric: 'm', from: '1' }, 'to'],
    [{ metric: 'm', from: 'yesterday', to: '2' }, 'from'],
    [{ metric: 'm', from: '5', to: '2' }, 'to'],
    [{ metric: 'm', from: '1', to: '2', step: '0' }, 'step'],
    [{ metric: 'm', from: '1', to: '2', step: '1.5' }, 'step'],
    [{ metric: 'm', from: '0', to: '2000000000', step: '1' }, 'step'],
    // Bounded work: a range over 32 days (from=0 cost 83,173 AMP requests), an instant past year 9999.
    [{ metric: 'm', from: '0', to: '1700000000000' }, 'max_query_length'],
    [{ metric: 'm', from: '0', to: String(32 * 86_400_000 + 1) }, 'max_query_length'],
    [{ metric: 'm', from: '1', to: '9999999999999999' }, 'to'],
    [{ metric: 'm', from: '1', to: '253402300800000' }, 'to'],
    [{ metric: 'm', from: '1', to: '2', step: '1', agg: 'median' }, 'agg'],
    [{ metric: 'm', from: '1', to: '2', agg: 'max' }, 'agg'],
  ])('refuses %j naming %s', (params, field) => {
    try {
      parseMetricQuery(params);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(UnprocessableError);
      expect((error as UnprocessableError).field).toBe(field);
    }
  });
});

describe('aggregation', () => {
  it('computes each aggregation', () => {
    const values = [4, 1, 3, 2];
    expect(aggregate(values, 'avg')).toBe(2.5);
    expect(aggregate(values, 'min')).toBe(1);
    expect(aggregate(values, 'max')).toBe(4);
    expect(aggregate(values, 'sum')).toBe(10);
    expect(aggregate(values, 'count')).toBe(4);
  });
  it('computes min and max of a bucket larger than the stack can spread (Math.min(...values) threw)', () => {
    const values = Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 300_000);
    expect(aggregate(values, 'min')).toBe(0);
    expect(aggregate(values, 'max')).toBe(299_999);
    expect(aggregate([1, Number.NaN, 0], 'min')).toBeNaN();
  });
  it('accepts exactly 32 days', () => {
    expect(parseMetricQuery({ metric: 'm', from: '0', to: String(32 * 86_400_000) }).toMs).toBe(
      32 * 86_400_000,
    );
  });
  it('computes p95 by linear interpolation between closest ranks', () => {
    const values = Array.from({ length: 101 }, (_, i) => i);
    expect(percentile(values, 0.95)).toBe(95);
    expect(percentile([10, 20], 0.95)).toBeCloseTo(19.5);
    expect(percentile([7], 0.95)).toBe(7);
    expect(aggregate([20, 10], 'p95')).toBeCloseTo(19.5);
  });
  it('orders NaN first for p95 (as Prometheus does), whatever order the values came in; ±Inf as IEEE', () => {
    const values = [3, Number.NaN, 1, Number.POSITIVE_INFINITY, 2, Number.NaN];
    const p95 = aggregate(values, 'p95');
    expect(aggregate([...values].reverse(), 'p95')).toBe(p95);
    expect(p95).toBe(Number.POSITIVE_INFINITY);
    expect(aggregate([5, Number.NaN], 'p95')).toBeNaN();
    expect(aggregate([1, Number.NaN], 'avg')).toBeNaN();
    expect(aggregate([1, Number.NEGATIVE_INFINITY], 'min')).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe('shapePoints', () => {
  const base: MetricQuery = { metric: 'm', fromMs: 0, toMs: 1e6, aggregation: 'avg', filters: {} };
  it('returns raw points sorted by time without a step', () => {
    expect(
      shapePoints(
        [
          [3000, 3],
          [1000, 1],
        ],
        base,
      ),
    ).toEqual([
      [1000, 1],
      [3000, 3],
    ]);
  });
  it('aggregates into epoch-aligned buckets and skips empty ones', () => {
    const points: [number, number][] = [
      [61_000, 1],
      [119_000, 3],
      [250_000, 10],
    ];
    expect(shapePoints(points, { ...base, stepSeconds: 60 })).toEqual([
      [60_000, 2],
      [240_000, 10],
    ]);
    expect(shapePoints(points, { ...base, stepSeconds: 60, aggregation: 'count' })).toEqual([
      [60_000, 2],
      [240_000, 1],
    ]);
  });
});

describe('seriesFromSamples', () => {
  it('groups by series, applies range and filters, and orders series deterministically', () => {
    const q: MetricQuery = {
      metric: 'cpu',
      fromMs: 100,
      toMs: 200,
      aggregation: 'avg',
      filters: { dc: 'x' },
    };
    const series = seriesFromSamples(
      [
        { metric: 'cpu', dimensions: { dc: 'x', host: 'b' }, timestampMs: 150, value: 2 },
        { metric: 'cpu', dimensions: { host: 'a', dc: 'x' }, timestampMs: 120, value: 1 },
        { metric: 'cpu', dimensions: { dc: 'x', host: 'a' }, timestampMs: 110, value: 0 },
        { metric: 'cpu', dimensions: { dc: 'y', host: 'a' }, timestampMs: 120, value: 9 },
        { metric: 'mem', dimensions: { dc: 'x', host: 'a' }, timestampMs: 120, value: 9 },
        { metric: 'cpu', dimensions: { dc: 'x', host: 'a' }, timestampMs: 201, value: 9 },
      ],
      q,
    );
    expect(series).toEqual([
      {
        metric: 'cpu',
        dimensions: { host: 'a', dc: 'x' },
        points: [
          [110, 0],
          [120, 1],
        ],
      },
      { metric: 'cpu', dimensions: { dc: 'x', host: 'b' }, points: [[150, 2]] },
    ]);
  });
});
