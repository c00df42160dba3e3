import { describe, expect, it } from 'vitest';
import {
  acceptedTimeWindow,
  byteLength,
  dimensionsProblem,
  LIMITS,
  metricNameProblem,
  sampleProblem,
  seriesKey,
} from '#domain/metrics';

describe('byteLength', () => {
  it('counts UTF-8 bytes of ASCII, 2-, 3- and 4-byte characters', () => {
    for (const s of ['', 'abc', 'é', '€', '😀', 'a€😀é']) expect(byteLength(s)).toBe(Buffer.byteLength(s));
  });
});

describe('metricNameProblem', () => {
  it('accepts OTLP, Prometheus and native names', () => {
    for (const name of ['cpu_busy', 'http.server.duration', 'node:cpu:rate5m', 'a/b-c', '_x']) {
      expect(metricNameProblem(name)).toBeUndefined();
    }
  });
  it('refuses empty, badly started, spaced and over-long names', () => {
    expect(metricNameProblem('')).toMatch(/empty/);
    expect(metricNameProblem('9lives')).toMatch(/start/);
    expect(metricNameProblem('cpu busy')).toMatch(/letters/);
    expect(metricNameProblem('a'.repeat(257))).toMatch(/256 bytes/);
    expect(metricNameProblem('a'.repeat(256))).toBeUndefined();
  });
});

describe('dimensionsProblem', () => {
  it('accepts ordinary dimensions', () => {
    expect(dimensionsProblem({ host: 'web-01', 'system.hostname': 'web-01' })).toBeUndefined();
  });
  it('refuses reserved names, bad syntax, long names, empty values and oversized series', () => {
    expect(dimensionsProblem({ tenant_id: 'x' })).toMatch(/reserved/);
    expect(dimensionsProblem({ measure_value_x: 'x' })).toMatch(/reserved/);
    expect(dimensionsProblem({ 'bad name': 'x' })).toMatch(/must start/);
    expect(dimensionsProblem({ ['d'.repeat(61)]: 'x' })).toMatch(/60 bytes/);
    expect(dimensionsProblem({ host: '' })).toMatch(/empty value/);
    expect(dimensionsProblem({ a: 'x'.repeat(2000), b: 'y'.repeat(100) })).toMatch(/2048 bytes/);
  });
  it(`refuses more than ${LIMITS.maxDimensionsPerSample} dimensions`, () => {
    const many = Object.fromEntries(Array.from({ length: 128 }, (_, i) => [`d${i}`, 'v']));
    expect(dimensionsProblem(many)).toMatch(/more than 127/);
  });
});

describe('sampleProblem', () => {
  const now = Date.UTC(2026, 0, 1);
  const window = acceptedTimeWindow(now);
  const sample = { metric: 'cpu', dimensions: { host: 'a' }, timestampMs: now, value: 1 };
  it('accepts a sample inside the window, at both edges', () => {
    expect(sampleProblem(sample, window)).toBeUndefined();
    expect(sampleProblem({ ...sample, timestampMs: window.earliestMs }, window)).toBeUndefined();
    expect(sampleProblem({ ...sample, timestampMs: window.latestMs }, window)).toBeUndefined();
  });
  it('refuses samples older than retention or too far in the future; NaN and ±Inf are values', () => {
    expect(sampleProblem({ ...sample, timestampMs: window.earliestMs - 1 }, window)).toMatch(/older/);
    expect(sampleProblem({ ...sample, timestampMs: window.latestMs + 1 }, window)).toMatch(/future/);
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0])
      expect(sampleProblem({ ...sample, value }, window)).toBeUndefined();
    expect(sampleProblem({ ...sample, value: Number.NaN, stale: true }, window)).toBeUndefined();
  });
});

describe('seriesKey', () => {
  it('does not depend on dimension order, and separates metrics and values', () => {
    expect(seriesKey('m', { a: '1', b: '2' })).toBe(seriesKey('m', { b: '2', a: '1' }));
    expect(seriesKey('m', { a: '1' })).not.toBe(seriesKey('n', { a: '1' }));
    expect(seriesKey('m', { a: '1b' })).not.toBe(seriesKey('m', { a: '1', b: '' }));
  });
});
