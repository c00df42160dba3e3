/**
 * The real OpenTelemetry JS SDK, with its unmodified OTLP/HTTP exporters (protobuf and JSON), pushing
 * to a local platform through a recording proxy. Every value the SDK sent is found through the query
 * API with its attributes, and the bytes it sent decode the same with our decoders and with protobufjs.
 */
import { gunzipSync } from 'node:zlib';
import { OTLPMetricExporter as OtlpJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as OtlpProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOtlpJson } from '#protocols/otlp/decode-json';
import { decodeOtlpProtobuf } from '#protocols/otlp/decode-protobuf';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { type CaptureProxy, startCaptureProxy } from './support/capture-proxy';
import { ExportResponse, referenceOtlp } from './support/reference';

interface SeriesJson {
  metric: string;
  dimensions: Record<string, string>;
  points: [number, number][];
}

let platform: TestPlatform;
let proxy: CaptureProxy;

beforeAll(async () => {
  platform = await startTestPlatform();
  proxy = await startCaptureProxy(platform.url);
});

afterAll(async () => {
  await proxy?.close();
  await platform?.destroy();
});

async function newTenant(): Promise<{ adminToken: string; ingestKey: string }> {
  const { adminToken } = await platform.createTenant();
  const { ingestKey } = await platform.createCollector(adminToken);
  return { adminToken, ingestKey };
}

async function query(
  token: string,
  metric: string,
  filters: Record<string, string> = {},
): Promise<SeriesJson[]> {
  const params = new URLSearchParams({
    metric,
    from: String(Date.now() - 3600_000),
    to: String(Date.now() + 60_000),
    ...filters,
  });
  const response = await platform.request(`/v1/metrics/query?${params}`, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { series: SeriesJson[] }).series;
}

/** Records a fixed set of instruments through the SDK and exports them once. */
async function recordAndFlush(exporter: PushMetricExporter): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'deployment.environment': 'test' }),
    readers: [reader],
    views: [{ instrumentName: 'latency_exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('shop-meter', '1.2.3');
  const requests = meter.createCounter('requests');
  requests.add(5, { route: '/a' });
  requests.add(2, { route: '/b' });
  requests.add(1, { route: '/a' });
  meter.createUpDownCounter('queue_depth').add(-3, { queue: 'q1' });
  meter.createGauge('temperature').record(21.5, { room: 'lab', floor: 2, indoor: true });
  const latency = meter.createHistogram('latency', { advice: { explicitBucketBoundaries: [10, 100] } });
  for (const v of [5, 50, 500, 7]) latency.record(v, { route: '/a' });
  const exp = meter.createHistogram('latency_exp');
  for (const v of [1, 2, 4, 4]) exp.record(v);
  // Shutdown collects and exports once (a forceFlush before it would export a second time).
  await provider.shutdown();
}

function only(series: SeriesJson[]): SeriesJson {
  expect(series).toHaveLength(1);
  return series[0]!;
}

const lastValue = (s: SeriesJson) => s.points.at(-1)![1];

describe('OpenTelemetry JS SDK → POST /v1/metrics', () => {
  it('stores every value of the protobuf exporter (gzip, cumulative) with its attributes', async () => {
    const { adminToken, ingestKey } = await newTenant();
    const before = proxy.exchanges.length;
    await recordAndFlush(
      new OtlpProtoExporter({
        url: `${proxy.url}/v1/metrics`,
        headers: { authorization: `Bearer ${ingestKey}` },
        compression: CompressionAlgorithm.GZIP,
      }),
    );
    const sent = proxy.exchanges.slice(before);
    expect(sent).toHaveLength(1);
    const exchange = sent[0]!;
    expect(exchange.headers['content-type']).toBe('application/x-protobuf');
    expect(exchange.headers['content-encoding']).toBe('gzip');
    expect(exchange.status).toBe(200);
    expect(exchange.responseHeaders['content-type']).toBe('application/x-protobuf');
    // Nothing refused: an empty ExportMetricsServiceResponse.
    expect(ExportResponse.toObject(ExportResponse.decode(exchange.responseBody))).toEqual({});

    // Our decoder and protobufjs read the SDK's bytes identically.
    const bytes = gunzipSync(exchange.body);
    expect(decodeOtlpProtobuf(bytes)).toEqual(referenceOtlp(bytes));

    const common = {
      'service.name': 'checkout',
      'deployment.environment': 'test',
      'otel.scope.name': 'shop-meter',
      'otel.scope.version': '1.2.3',
    };
    const a = only(await query(adminToken, 'requests', { route: '/a' }));
    expect(a.dimensions).toEqual({
      ...common,
      route: '/a',
      'otel.temporality': 'cumulative',
      'otel.monotonic': 'true',
    });
    expect(a.points.map((p) => p[1])).toEqual([6]);
    expect(lastValue(only(await query(adminToken, 'requests', { route: '/b' })))).toBe(2);
    const queue = only(await query(adminToken, 'queue_depth'));
    expect(queue.dimensions).toMatchObject({ queue: 'q1', 'otel.monotonic': 'false' });
    expect(lastValue(queue)).toBe(-3);
    const temperature = only(await query(adminToken, 'temperature'));
    expect(temperature.dimensions).toMatchObject({ ...common, room: 'lab', floor: '2', indoor: 'true' });
    expect(lastValue(temperature)).toBe(21.5);

    expect(lastValue(only(await query(adminToken, 'latency_count', { route: '/a' })))).toBe(4);
    expect(lastValue(only(await query(adminToken, 'latency_sum', { route: '/a' })))).toBe(562);
    expect(lastValue(only(await query(adminToken, 'latency_min', { route: '/a' })))).toBe(5);
    expect(lastValue(only(await query(adminToken, 'latency_max', { route: '/a' })))).toBe(500);
    const buckets = await query(adminToken, 'latency_bucket', { route: '/a' });
    expect(Object.fromEntries(buckets.map((s) => [s.dimensions['le'], lastValue(s)]))).toEqual({
      '10': 2,
      '100': 3,
      '+Inf': 4,
    });

    expect(lastValue(only(await query(adminToken, 'latency_exp_count')))).toBe(4);
    expect(lastValue(only(await query(adminToken, 'latency_exp_sum')))).toBe(11);
    const expBuckets = await query(adminToken, 'latency_exp_bucket');
    const byBound = new Map(
      expBuckets.map((s) => [Number(s.dimensions['le']!.replace('+Inf', 'Infinity')), lastValue(s)]),
    );
    // Cumulative counts at each upper bound: ≤1 → 1, ≤2 → 2, ≤4 → 4, +Inf → 4.
    const countAtOrBelow = (x: number) =>
      [...byBound.entries()].filter(([bound]) => bound >= x).sort((p, q) => p[0] - q[0])[0]![1];
    expect(countAtOrBelow(1)).toBe(1);
    expect(countAtOrBelow(2)).toBe(2);
    expect(countAtOrBelow(4)).toBe(4);
    expect(byBound.get(Number.POSITIVE_INFINITY)).toBe(4);
  });

  it('stores every value of the JSON exporter (delta temporality) and answers in JSON', async () => {
    const { adminToken, ingestKey } = await newTenant();
    const before = proxy.exchanges.length;
    await recordAndFlush(
      new OtlpJsonExporter({
        url: `${proxy.url}/v1/metrics`,
        headers: { authorization: `Bearer ${ingestKey}` },
        temporalityPreference: AggregationTemporality.DELTA,
      }),
    );
    const sent = proxy.exchanges.slice(before);
    expect(sent).toHaveLength(1);
    const exchange = sent[0]!;
    expect(exchange.headers['content-type']).toBe('application/json');
    expect(exchange.status).toBe(200);
    expect(JSON.parse(exchange.responseBody.toString())).toEqual({});
    const decoded = decodeOtlpJson(JSON.parse(exchange.body.toString()));
    expect(decoded.resourceMetrics[0]!.scopeMetrics[0]!.metrics.map((m) => m.name).sort()).toEqual([
      'latency',
      'latency_exp',
      'queue_depth',
      'requests',
      'temperature',
    ]);

    const a = only(await query(adminToken, 'requests', { route: '/a' }));
    expect(a.dimensions).toMatchObject({ 'otel.temporality': 'delta', 'otel.monotonic': 'true' });
    expect(lastValue(a)).toBe(6);
    expect(lastValue(only(await query(adminToken, 'temperature', { room: 'lab' })))).toBe(21.5);
    expect(lastValue(only(await query(adminToken, 'latency_count', { route: '/a' })))).toBe(4);
    const buckets = await query(adminToken, 'latency_bucket', { route: '/a', 'otel.temporality': 'delta' });
    expect(Object.fromEntries(buckets.map((s) => [s.dimensions['le'], lastValue(s)]))).toEqual({
      '10': 2,
      '100': 3,
      '+Inf': 4,
    });
  });
});

/** Raw series of the query API: special values arrive as the strings "NaN", "+Inf", "-Inf". */
async function rawPoints(token: string, metric: string): Promise<Record<string, unknown[]>> {
  const params = new URLSearchParams({
    metric,
    from: String(Date.now() - 3600_000),
    to: String(Date.now() + 60_000),
  });
  const response = await platform.request(`/v1/metrics/query?${params}`, { token });
  expect(response.status).toBe(200);
  const { series } = (await response.json()) as {
    series: { dimensions: Record<string, string>; points: [number, unknown][] }[];
  };
  return Object.fromEntries(series.map((s) => [s.dimensions['le'] ?? '', s.points.map((p) => p[1])]));
}

/** Gauges at +Inf, -Inf and NaN, and histograms that saw no observation (the SDK drops a NaN record). */
async function recordSpecialAndFlush(exporter: PushMetricExporter): Promise<void> {
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    readers: [reader],
    views: [{ instrumentName: 'empty_exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('special-meter');
  meter.createGauge('gauge_pos_inf').record(Number.POSITIVE_INFINITY);
  meter.createGauge('gauge_neg_inf').record(Number.NEGATIVE_INFINITY);
  meter.createGauge('gauge_nan').record(Number.NaN);
  meter.createHistogram('empty_hist', { advice: { explicitBucketBoundaries: [1, 10] } }).record(Number.NaN);
  meter.createHistogram('empty_exp').record(Number.NaN);
  await provider.shutdown();
}

describe('OpenTelemetry JS SDK → POST /v1/metrics: special values', () => {
  const emptyHistograms = async (adminToken: string) => {
    expect(await rawPoints(adminToken, 'empty_hist_count')).toEqual({ '': [0] });
    expect(await rawPoints(adminToken, 'empty_hist_sum')).toEqual({ '': [0] });
    expect(await rawPoints(adminToken, 'empty_hist_bucket')).toEqual({ '1': [0], '10': [0], '+Inf': [0] });
    expect(await rawPoints(adminToken, 'empty_exp_count')).toEqual({ '': [0] });
    expect((await rawPoints(adminToken, 'empty_exp_bucket'))['+Inf']).toEqual([0]);
  };

  it('the protobuf exporter: gauges at +Inf, -Inf and NaN and histograms without observations, all stored and read back', async () => {
    const { adminToken, ingestKey } = await newTenant();
    const before = proxy.exchanges.length;
    await recordSpecialAndFlush(
      new OtlpProtoExporter({
        url: `${proxy.url}/v1/metrics`,
        headers: { authorization: `Bearer ${ingestKey}` },
      }),
    );
    const [exchange] = proxy.exchanges.slice(before);
    expect(exchange?.status).toBe(200);
    // Nothing refused: an empty ExportMetricsServiceResponse.
    expect(ExportResponse.toObject(ExportResponse.decode(exchange!.responseBody))).toEqual({});
    expect(decodeOtlpProtobuf(exchange!.body)).toEqual(referenceOtlp(exchange!.body));
    expect(await rawPoints(adminToken, 'gauge_pos_inf')).toEqual({ '': ['+Inf'] });
    expect(await rawPoints(adminToken, 'gauge_neg_inf')).toEqual({ '': ['-Inf'] });
    expect(await rawPoints(adminToken, 'gauge_nan')).toEqual({ '': ['NaN'] });
    await emptyHistograms(adminToken);
  });

  it('the JSON exporter: histograms without observations stored; its gauges at ±Inf and NaN arrive as null and are refused by name, not lost silently', async () => {
    const { adminToken, ingestKey } = await newTenant();
    const before = proxy.exchanges.length;
    await recordSpecialAndFlush(
      new OtlpJsonExporter({
        url: `${proxy.url}/v1/metrics`,
        headers: { authorization: `Bearer ${ingestKey}` },
      }),
    );
    const [exchange] = proxy.exchanges.slice(before);
    // The SDK serialises with JSON.stringify: ±Inf and NaN become null, not "Infinity"/"NaN".
    const sent = JSON.parse(exchange!.body.toString());
    const gauges = sent.resourceMetrics[0].scopeMetrics[0].metrics.filter(
      (m: { gauge?: unknown }) => m.gauge,
    );
    expect(
      gauges.map((m: { gauge: { dataPoints: { asDouble: unknown }[] } }) => m.gauge.dataPoints[0]?.asDouble),
    ).toEqual([null, null, null]);
    expect(exchange?.status).toBe(200);
    const { partialSuccess } = JSON.parse(exchange!.responseBody.toString()) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(partialSuccess.rejectedDataPoints).toBe('3');
    expect(partialSuccess.errorMessage).toContain(
      '("gauge_pos_inf").dataPoints[0]: data point has neither asDouble nor asInt',
    );
    expect(partialSuccess.errorMessage).toContain('a null is no value');
    await emptyHistograms(adminToken);
  });
});
