/**
 * Native histograms in AMP regions: remote write 1.0 `histograms` (field 4), remote write 2.0
 * histograms and OTLP exponential histograms reach AMP as native histograms, in remote write 1.0's
 * `histograms` field (the protocol AMP's RemoteWrite API documents), not as classic buckets.
 *
 * One contract, two receivers: the AMP adapter on a captured fetch (the request decoded by
 * protobufjs, every Histogram field asserted) and on its twin, a real Prometheus 2.42 with
 * `--enable-feature=native-histograms` (read back through the Prometheus API).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dimensionsFromLabels } from '#adapters/aws/amp-labels';
import {
  AmpMetricStore,
  type ExportedHistogramPoint,
  PROMETHEUS_REMOTE_WRITE_PATH,
} from '#adapters/aws/amp-metric-store';
import { unsignedRequests } from '#adapters/aws/amp-sigv4';
import { decodeSpilledBatch, encodeSpilledBatch } from '#adapters/aws/spill-sqs-queue';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SpillingMetricStore } from '#adapters/spill/spilling-metric-store';
import type { NativeHistogram } from '#domain/ingest/native-histogram';
import { remoteWriteToBatch } from '#domain/ingest/remote-write';
import type { Sample } from '#domain/metrics';
import type { MetricQuery } from '#domain/query';
import { encodeRemoteWriteBody, type Histogram } from '#protocols/prometheus/remote-write';
import { REMOTE_WRITE_V2_HEADERS } from '#protocols/prometheus/remote-write-v2';
import { snappyCompress, snappyDecompress } from '#protocols/snappy';
import { type IngestHarness, startIngestHarness } from '../protocols/support/ingest-harness';
import { encodeRequestV2, histogramFromObject, TO_OBJECT } from '../protocols/support/native-histograms';
import { encodeOtlp, PromWriteRequest } from '../protocols/support/reference';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus';

const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000;

/** schema 1, zero bucket, a negative bucket, two positive spans: integer deltas. */
const integer: NativeHistogram = {
  count: 13,
  float: false,
  sum: 37.5,
  schema: 1,
  zeroThreshold: 0.001,
  zeroCount: 2,
  negativeSpans: [{ offset: 0, length: 1 }],
  negativeDeltas: [1],
  negativeCounts: [],
  positiveSpans: [
    { offset: 0, length: 2 },
    { offset: 1, length: 1 },
  ],
  positiveDeltas: [3, 2, -3],
  positiveCounts: [],
  resetHint: 2,
  customValues: [],
};
/** A float gauge histogram: absolute counts. */
const float: NativeHistogram = {
  count: 6.5,
  float: true,
  sum: -2.25,
  schema: 0,
  zeroThreshold: 0,
  zeroCount: 0.5,
  negativeSpans: [],
  negativeDeltas: [],
  negativeCounts: [],
  positiveSpans: [{ offset: -1, length: 2 }],
  positiveDeltas: [],
  positiveCounts: [1.5, 4.5],
  resetHint: 3,
  customValues: [],
};

const wire = (h: NativeHistogram, timestamp: number, stale = false): Histogram => ({
  ...h,
  timestamp,
  stale,
});
const sample = (metric: string, h: NativeHistogram, timestampMs: number, stale = false): Sample => ({
  metric,
  dimensions: { host: 'a' },
  timestampMs,
  value: Number.NaN,
  histogram: h,
  ...(stale ? { stale: true } : {}),
});

interface SentSeries {
  labels: Record<string, string>;
  samples: number;
  histograms: Histogram[];
}

/** The AMP adapter on a fetch that answers 204 and keeps each remote-write body, decoded by protobufjs. */
function capturingAmp(): { store: AmpMetricStore; sent: SentSeries[]; raw: Uint8Array[] } {
  const sent: SentSeries[] = [];
  const raw: Uint8Array[] = [];
  const store = new AmpMetricStore({
    workspaceUrl: 'https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-test',
    sign: unsignedRequests,
    fetch: async (input, init) => {
      expect(new URL(String(input)).pathname).toBe('/workspaces/ws-test/api/v1/remote_write');
      const bytes = snappyDecompress(new Uint8Array(init?.body as Uint8Array), 1 << 24);
      raw.push(bytes);
      const request = PromWriteRequest.toObject(PromWriteRequest.decode(bytes), TO_OBJECT) as {
        timeseries: {
          labels: { name: string; value: string }[];
          samples: unknown[];
          histograms: Parameters<typeof histogramFromObject>[0][];
        }[];
      };
      for (const ts of request.timeseries)
        sent.push({
          labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])),
          samples: ts.samples.length,
          histograms: ts.histograms.map(histogramFromObject),
        });
      return new Response(null, { status: 204 });
    },
  });
  return { store, sent, raw };
}

/** The stale-marker NaN's bytes as a Histogram.sum field (tag 3, fixed64, little-endian). */
const STALE_SUM_FIELD = [0x19, 0x02, 0, 0, 0, 0x00, 0x00, 0xf0, 0x7f];
function containsBytes(haystack: Uint8Array, needle: readonly number[]): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

describe('AMP adapter: native histograms go out as remote write 1.0 histograms (field 4)', () => {
  it('sends integer and float histograms with every field as given, and no float samples', async () => {
    const { store, sent } = capturingAmp();
    expect(store.nativeHistograms).toBe(true);
    const result = await store.write('tenant-1', [
      sample('lat', integer, T0),
      sample('lat', integer, T0 + 15_000),
      sample('size', float, T0),
    ]);
    expect(result).toEqual({ accepted: 3, rejected: [] });
    expect(sent).toHaveLength(2);
    const byName = Object.fromEntries(sent.map((s) => [s.labels['__name__'], s]));
    expect(byName['lat']?.samples).toBe(0);
    expect(byName['lat']?.labels).toMatchObject({ host: 'a' });
    expect(byName['lat']?.histograms).toEqual([wire(integer, T0), wire(integer, T0 + 15_000)]);
    expect(byName['size']?.histograms).toEqual([wire(float, T0)]);
  });

  it('ends a histogram series with the stale-marker sum, and a repeated instant is sent once (the later wins)', async () => {
    const { store, sent, raw } = capturingAmp();
    const later = { ...integer, sum: 40 };
    await store.write('tenant-1', [
      sample('lat', integer, T0),
      sample('lat', later, T0),
      sample('lat', integer, T0 + 15_000, true),
    ]);
    expect(sent[0]?.histograms.map((h) => [h.timestamp, h.sum])).toEqual([
      [T0, 40],
      [T0 + 15_000, Number.NaN],
    ]);
    expect(containsBytes(raw[0]!, STALE_SUM_FIELD)).toBe(true);
  });
});

describe('AMP twin (Prometheus 2.42, native histograms on): the same histograms stored and read back', () => {
  let prometheus: RunningPrometheus;
  let store: AmpMetricStore;
  beforeAll(async () => {
    prometheus = await startPrometheus();
    store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
    });
  });
  afterAll(() => prometheus?.stop());

  interface NativeAnswer {
    metric: Record<string, string>;
    histogram?: [number, { count: string; sum: string; buckets: [number, string, string, string][] }];
    value?: [number, string];
  }
  const instant = async (query: string, ms: number) =>
    (await store.prometheusApi('/api/v1/query', [
      ['query', query],
      ['time', (ms / 1000).toFixed(3)],
    ])) as { data: { result: NativeAnswer[] } };

  it('stores the integer histogram with its buckets, count and sum; the stale one ends the series', async () => {
    expect(
      await store.write('tenant-1', [sample('lat', integer, T0), sample('lat', integer, T0 + 15_000, true)]),
    ).toEqual({ accepted: 2, rejected: [] });
    const [series] = (await instant('lat', T0 + 5_000)).data.result;
    expect(series?.metric).toMatchObject({ __name__: 'lat', host: 'a' });
    const [, h] = series!.histogram!;
    expect([Number(h.count), Number(h.sum)]).toEqual([13, 37.5]);
    // Schema 1: base √2. Buckets as Prometheus reports them: [boundary rule, lower, upper, count].
    // Bounds of bucket i at schema 1 are ±2^((i−1)/2) … ±2^(i/2), as Prometheus prints them (12 digits here).
    const round = (x: string) => Number(Number(x).toPrecision(12));
    expect(h.buckets.map(([rule, lo, hi, n]) => [rule, round(lo), round(hi), Number(n)])).toEqual([
      [1, -1, round(String(-(2 ** -0.5))), 1],
      [3, -0.001, 0.001, 2],
      [0, round(String(2 ** -0.5)), 1, 3],
      [0, 1, round(String(2 ** 0.5)), 5],
      [0, 2, round(String(2 ** 1.5)), 2],
    ]);
    expect((await instant('histogram_count(lat)', T0 + 5_000)).data.result[0]?.value?.[1]).toBe('13');
    expect((await instant('lat', T0 + 20_000)).data.result).toEqual([]);
  });

  it('stores the float gauge histogram with its absolute counts', async () => {
    expect(await store.write('tenant-1', [sample('size', float, T0)])).toEqual({ accepted: 1, rejected: [] });
    const [series] = (await instant('size', T0 + 5_000)).data.result;
    const [, h] = series!.histogram!;
    expect([Number(h.count), Number(h.sum)]).toEqual([6.5, -2.25]);
    expect(h.buckets.map(([rule, lo, hi, n]) => [rule, Number(lo), Number(hi), Number(n)])).toEqual([
      [3, -0, 0, 0.5],
      [0, 0.25, 0.5, 1.5],
      [0, 0.5, 1, 4.5],
    ]);
  });

  it('offboarding exports the tenant’s native histogram points beside its float samples, and nothing of another tenant', async () => {
    const nanSum = { ...float, sum: Number.NaN };
    const written = await store.write('leaving', [
      sample('lat', integer, T0),
      sample('lat', integer, T0 + 15_000, true),
      sample('size', nanSum, T0 + 15_000),
      { metric: 'cpu', dimensions: { host: 'a' }, timestampMs: T0, value: Number.POSITIVE_INFINITY },
    ]);
    expect(written).toEqual({ accepted: 4, rejected: [] });
    await store.write('staying', [sample('lat', integer, T0)]);
    const exported: unknown[] = [];
    for await (const record of store.exportTenant('leaving')) exported.push(record);
    // JSON lines, as the offboarding job writes them: no NaN may turn into null.
    const lines = JSON.parse(JSON.stringify(exported)) as unknown[];
    const round = (x: unknown) => (typeof x === 'number' ? Number(x.toPrecision(12)) : x);
    const points = lines
      .filter((r): r is ExportedHistogramPoint => typeof r === 'object' && r !== null && 'histogram' in r)
      .map((r) => ({
        ...r,
        histogram: { ...r.histogram, buckets: r.histogram.buckets.map((b) => b.map(round)) },
      }));
    // The stale marker ends the series; it is not a point of it.
    expect(points).toEqual([
      {
        metric: 'lat',
        dimensions: { host: 'a' },
        timestampMs: T0,
        histogram: {
          count: 13,
          sum: 37.5,
          buckets: [
            [1, -1, round(-(2 ** -0.5)), 1],
            [3, -0.001, 0.001, 2],
            [0, round(2 ** -0.5), 1, 3],
            [0, 1, round(2 ** 0.5), 5],
            [0, 2, round(2 ** 1.5), 2],
          ],
        },
      },
      {
        metric: 'size',
        dimensions: { host: 'a' },
        timestampMs: T0 + 15_000,
        histogram: {
          count: 6.5,
          sum: 'NaN',
          buckets: [
            [3, 0, 0, 0.5],
            [0, 0.25, 0.5, 1.5],
            [0, 0.5, 1, 4.5],
          ],
        },
      },
    ]);
    expect(lines.filter((r) => !('histogram' in (r as object)))).toEqual([
      { metric: 'cpu', dimensions: { host: 'a' }, timestampMs: T0, value: '+Inf' },
    ]);
  });

  it('/v1/metrics/query answers `_bucket`, `_count`, `_sum` from native histograms exactly as SQLite does from the converted ones', async () => {
    const later = { ...integer, count: 14, zeroCount: 3, sum: 40 };
    // Prometheus 2.42 keeps a series' histograms all integer or all float: the float one is its own series.
    expect(
      await store.write('tenant-2', [
        sample('lat', integer, T0),
        sample('lat', later, T0 + 30_000),
        sample('size', float, T0 + 15_000),
      ]),
    ).toEqual({ accepted: 3, rejected: [] });
    // The same histograms through the conversion the other stores get (remote write, no native option).
    const series = (name: string, histograms: Histogram[]) => ({
      labels: [
        { name: '__name__', value: name },
        { name: 'host', value: 'a' },
      ],
      samples: [],
      histograms,
    });
    const converted = remoteWriteToBatch(
      {
        timeseries: [
          series('lat', [wire(integer, T0), wire(later, T0 + 30_000)]),
          series('size', [wire(float, T0 + 15_000)]),
        ],
      },
      T0,
    );
    expect(converted.rejected).toBe(0);
    const sqlite = new SqliteMetricStore(':memory:');
    await sqlite.write('tenant-2', converted.samples);
    const query = (metric: string, filters: Record<string, string> = {}): MetricQuery => ({
      metric,
      fromMs: T0 - 1_000,
      toMs: T0 + 31_000,
      aggregation: 'avg',
      filters,
    });
    for (const q of [
      query('lat_bucket'),
      query('lat_count'),
      query('lat_sum'),
      query('size_bucket'),
      query('size_count'),
      query('size_sum'),
      query('lat_bucket', { le: '1' }),
      query('lat_count', { host: 'a' }),
      query('lat_count', { host: 'b' }),
      { ...query('lat_bucket'), stepSeconds: 60, aggregation: 'max' as const },
    ]) {
      const expected = await sqlite.query('tenant-2', q);
      // Not an empty answer compared with an empty one (but for the host no series has).
      if (q.filters['host'] !== 'b') expect(expected.length, JSON.stringify(q)).toBeGreaterThan(0);
      expect(await store.query('tenant-2', q), JSON.stringify(q)).toEqual(expected);
    }
    expect(
      (await store.query('tenant-2', query('lat_bucket'))).map((s) => s.dimensions['le']).sort(),
    ).toEqual(
      [
        '-1',
        String(-(2 ** -0.5)),
        '-0.001',
        '0.001',
        String(2 ** -0.5),
        '1',
        String(2 ** 0.5),
        '2',
        String(2 ** 1.5),
        '+Inf',
      ].sort(),
    );
    // The native series itself has no float values, as no other store holds a float `lat`.
    expect(await store.query('tenant-2', query('lat'))).toEqual([]);
    sqlite.close();
  });
});

describe('AMP adapter: /v1/metrics/query reads `<name>_bucket`, `_count`, `_sum` from the native histogram `<name>`', () => {
  /** What Prometheus' API answers for a native histogram point: bounds by its own arithmetic, empty buckets left out. */
  const answer = (metric: Record<string, string>, histograms: [number, unknown][]) => ({
    status: 'success',
    data: { resultType: 'matrix', result: histograms.length > 0 ? [{ metric, histograms }] : [] },
  });
  function queryingAmp(answers: unknown[]) {
    const queries: Record<string, string>[] = [];
    const store = new AmpMetricStore({
      workspaceUrl: 'https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-test',
      sign: unsignedRequests,
      fetch: async (input, init) => {
        expect(new URL(String(input)).pathname).toBe('/workspaces/ws-test/api/v1/query');
        queries.push(
          Object.fromEntries(new URLSearchParams(String(new TextDecoder().decode(init?.body as Uint8Array)))),
        );
        return Response.json(answers[queries.length - 1] ?? answer({}, []));
      },
    });
    return { store, queries };
  }
  const t = T0 / 1000;
  const point = {
    count: '7',
    sum: 'NaN',
    buckets: [
      // Schema 0 (base 2): bucket 1 holds 3, buckets 2 and 3 are empty (not reported), bucket 4 holds 4.
      [0, '1', '2', '3'],
      [0, '8.000000000000002', '16', '4'],
    ],
  };

  it('asks for the float series, then the native one (without the `le` filter), and converts its buckets', async () => {
    const { store, queries } = queryingAmp([
      answer({}, []),
      answer({ __name__: 'lat', tenant_id: 'tenant-1', host: 'a' }, [[t, point]]),
    ]);
    const series = await store.query('tenant-1', {
      metric: 'lat_bucket',
      fromMs: T0 - 999,
      toMs: T0,
      aggregation: 'avg',
      filters: { host: 'a', le: '16' },
    });
    expect(queries).toEqual([
      { query: '{tenant_id="tenant-1",__name__="lat_bucket",host="a",le="16"}[1000ms]', time: t.toFixed(3) },
      { query: '{tenant_id="tenant-1",__name__="lat",host="a"}[1000ms]', time: t.toFixed(3) },
    ]);
    expect(series).toEqual([
      { metric: 'lat_bucket', dimensions: { host: 'a', le: '16' }, points: [[T0, 7]] },
    ]);
  });

  it('every bound in the conversion’s spelling with its cumulative count; count and sum (NaN stays NaN) as their series', async () => {
    const read = async (metric: string) => {
      const { store } = queryingAmp([
        answer({}, []),
        answer({ __name__: 'lat', tenant_id: 't' }, [[t, point]]),
      ]);
      return store.query('t', { metric, fromMs: T0 - 999, toMs: T0, aggregation: 'avg', filters: {} });
    };
    const buckets = await read('lat_bucket');
    expect(Object.fromEntries(buckets.map((s) => [s.dimensions['le'], s.points.map(([, v]) => v)]))).toEqual({
      '1': [0],
      '2': [3],
      '8': [3],
      '16': [7],
      '+Inf': [7],
    });
    expect(await read('lat_count')).toEqual([{ metric: 'lat_count', dimensions: {}, points: [[T0, 7]] }]);
    expect((await read('lat_sum'))[0]?.points[0]?.[1]).toBeNaN();
  });

  it('a metric without the suffixes costs one query per window, as before', async () => {
    const { store, queries } = queryingAmp([answer({ __name__: 'lat', tenant_id: 't' }, [[t, point]])]);
    expect(
      await store.query('t', { metric: 'lat', fromMs: T0 - 999, toMs: T0, aggregation: 'avg', filters: {} }),
    ).toEqual([]);
    expect(queries).toHaveLength(1);
  });
});

describe('Ingest in an AMP region: every native histogram protocol reaches AMP natively', () => {
  let h: IngestHarness;
  let amp: ReturnType<typeof capturingAmp>;
  beforeAll(async () => {
    amp = capturingAmp();
    h = await startIngestHarness({ metrics: amp.store });
  });
  afterAll(() => h.close());
  const histogramsOf = (name: string) => amp.sent.filter((s) => s.labels['__name__'] === name);

  it('remote write 1.0 field 4: forwarded unchanged, counted in Histograms-Written, no classic series', async () => {
    const body = encodeRemoteWriteBody({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'rw1_latency' },
            { name: 'job', value: 'api' },
          ],
          samples: [],
          histograms: [wire(integer, T0), wire(float, T0 + 15_000)],
        },
      ],
    });
    const result = await h.invoke('/api/v1/write', {
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(result.statusCode).toBe(204);
    expect(result.headers?.['x-prometheus-remote-write-histograms-written']).toBe('2');
    expect(result.headers?.['x-prometheus-remote-write-samples-written']).toBe('0');
    const sent = histogramsOf('rw1_latency');
    expect(sent).toHaveLength(1);
    expect(sent[0]?.histograms).toEqual([wire(integer, T0), wire(float, T0 + 15_000)]);
    expect(amp.sent.some((s) => s.labels['__name__']?.startsWith('rw1_latency_'))).toBe(false);
  });

  it('remote write 2.0 histograms: forwarded unchanged', async () => {
    const body = snappyCompress(
      encodeRequestV2([
        {
          labels: [
            { name: '__name__', value: 'rw2_latency' },
            { name: 'job', value: 'api' },
          ],
          samples: [],
          histograms: [wire(integer, T0)],
          exemplars: [],
          createdTimestamp: 0,
        },
      ]),
    );
    const result = await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_V2_HEADERS }, body });
    expect(result.statusCode).toBe(204);
    expect(result.headers?.['x-prometheus-remote-write-histograms-written']).toBe('1');
    expect(histogramsOf('rw2_latency')[0]?.histograms).toEqual([wire(integer, T0)]);
  });

  it('custom-bucket histograms (schema −53), which AMP does not take natively, still arrive as classic buckets', async () => {
    const custom: Histogram = {
      ...wire(integer, T0),
      schema: -53,
      zeroThreshold: 0,
      zeroCount: 0,
      negativeSpans: [],
      negativeDeltas: [],
      count: 4,
      positiveSpans: [{ offset: 0, length: 2 }],
      positiveDeltas: [1, 2],
      customValues: [0.5, 1],
    };
    const body = encodeRemoteWriteBody({
      timeseries: [{ labels: [{ name: '__name__', value: 'nhcb' }], samples: [], histograms: [custom] }],
    });
    const result = await h.invoke('/api/v1/write', {
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'snappy' },
      body,
    });
    expect(result.statusCode).toBe(204);
    expect(histogramsOf('nhcb')).toEqual([]);
    expect(amp.sent.filter((s) => s.labels['__name__'] === 'nhcb_bucket').map((s) => s.labels['le'])).toEqual(
      ['0.5', '1', '+Inf'],
    );
  });

  it('OTLP exponential histograms: integer native histograms, scale 10 merged down to schema 8, delta as gauge', async () => {
    const timeUnixNano = T0 * 1e6;
    const point = {
      timeUnixNano,
      count: 9,
      sum: 20,
      scale: 10,
      zeroCount: 1,
      zeroThreshold: 0.5,
      positive: { offset: 5, bucketCounts: [1, 2, 3, 0, 2] },
      negative: { offset: -2, bucketCounts: [0] },
      min: 0.1,
      max: 9,
    };
    const body = encodeOtlp({
      resourceMetrics: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'otel_cumulative',
                  exponentialHistogram: { aggregationTemporality: 2, dataPoints: [point] },
                },
                {
                  name: 'otel_delta',
                  exponentialHistogram: { aggregationTemporality: 1, dataPoints: [point] },
                },
              ],
            },
          ],
        },
      ],
    });
    const result = await h.invoke('/v1/metrics', {
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });
    expect(result.statusCode).toBe(200);
    const expected = (resetHint: number): Histogram => ({
      count: 9,
      float: false,
      sum: 20,
      schema: 8,
      zeroThreshold: 0.5,
      zeroCount: 1,
      // Scale 10 → 8: OTel index i → i >> 2. Positive 5,6,7 → 1; 8,9 → 2. Negative −2 → −1.
      negativeSpans: [{ offset: 0, length: 1 }],
      negativeDeltas: [0],
      negativeCounts: [],
      positiveSpans: [{ offset: 2, length: 2 }],
      positiveDeltas: [6, -4],
      positiveCounts: [],
      resetHint,
      timestamp: T0,
      customValues: [],
      stale: false,
    });
    const cumulative = histogramsOf('otel_cumulative');
    expect(cumulative.map((s) => s.histograms)).toEqual([[expected(0)]]);
    expect(dimensionsFromLabels(cumulative[0]!.labels)).toMatchObject({
      'service.name': 'svc',
      'otel.temporality': 'cumulative',
    });
    expect(histogramsOf('otel_delta').map((s) => s.histograms)).toEqual([[expected(3)]]);
    // min and max stay float series; no classic buckets.
    const names = amp.sent.map((s) => s.labels['__name__']).filter((n) => n?.startsWith('otel_cumulative'));
    expect(names.sort()).toEqual(['otel_cumulative', 'otel_cumulative_max', 'otel_cumulative_min']);
  });
});

describe('a native histogram sample parked on the spill during an AMP outage', () => {
  it('survives the spill message whole, a NaN or infinite sum included, and the spill says the store keeps them', () => {
    const samples = [
      sample('lat', integer, T0),
      sample('lat', { ...float, sum: Number.NaN }, T0 + 1),
      sample('lat', { ...float, sum: Number.NEGATIVE_INFINITY }, T0 + 2),
      sample('lat', integer, T0 + 3, true),
    ];
    const [body] = encodeSpilledBatch({ tenantId: 't', samples, spilledAtMs: T0 });
    expect(decodeSpilledBatch(body!).samples).toEqual(samples);
    const spilling = new SpillingMetricStore(capturingAmp().store, { park: async () => undefined });
    expect(spilling.nativeHistograms).toBe(true);
  });
});
