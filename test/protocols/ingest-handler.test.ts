/**
 * POST /v1/metrics and POST /api/v1/write at the handler: every status the OTLP and remote-write
 * specifications prescribe, partial success, what is stored and what afterWrite sees.
 */
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ThrottledError, UnavailableError } from '#domain/errors';
import { LIMITS } from '#domain/metrics';
import {
  encodeRemoteWriteBody,
  encodeWriteRequest,
  REMOTE_WRITE_HEADERS,
  type WriteRequest,
} from '#protocols/prometheus/remote-write';
import { snappyCompress } from '#protocols/snappy';
import { type IngestHarness, resultBytes, startIngestHarness } from './support/ingest-harness';
import { ExportResponse, encodeOtlp } from './support/reference';

const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

let h: IngestHarness;
beforeAll(async () => {
  h = await startIngestHarness();
});
afterAll(() => h.close());
afterEach(() => {
  h.store.written.length = 0;
  h.afterWrites.length = 0;
  h.store.fail = undefined;
  h.store.refuse = () => undefined;
});

const nowNs = () => Date.now() * 1e6;
const attr = (key: string, value: string) => ({ key, value: { stringValue: value } });

/** An OTLP/JSON-shaped request with one metric of each type. */
function everyType(timeUnixNano: number) {
  return {
    resourceMetrics: [
      {
        resource: { attributes: [attr('service.name', 'svc'), { key: 'pid', value: { intValue: 42 } }] },
        scopeMetrics: [
          {
            scope: { name: 'lib', version: '2.0' },
            metrics: [
              {
                name: 'g',
                gauge: { dataPoints: [{ timeUnixNano, asDouble: 1.25, attributes: [attr('k', 'v')] }] },
              },
              {
                name: 's',
                sum: {
                  aggregationTemporality: 2,
                  isMonotonic: true,
                  dataPoints: [{ timeUnixNano, asInt: 7 }],
                },
              },
              {
                name: 'h',
                histogram: {
                  aggregationTemporality: 1,
                  dataPoints: [
                    { timeUnixNano, count: 6, sum: 30, bucketCounts: [1, 2, 3], explicitBounds: [1, 5] },
                  ],
                },
              },
              {
                name: 'e',
                exponentialHistogram: {
                  aggregationTemporality: 2,
                  dataPoints: [
                    {
                      timeUnixNano,
                      count: 4,
                      sum: 2,
                      scale: 0,
                      zeroCount: 1,
                      positive: { offset: 0, bucketCounts: [2] },
                      negative: { offset: 1, bucketCounts: [1] },
                    },
                  ],
                },
              },
              {
                name: 'q',
                summary: {
                  dataPoints: [
                    {
                      timeUnixNano,
                      count: 3,
                      sum: 9,
                      quantileValues: [
                        { quantile: 0.5, value: 2 },
                        { quantile: 0.99, value: 5 },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  };
}

const byName = () => {
  const out: Record<string, { dims: Record<string, string>; value: number }[]> = {};
  for (const s of h.store.written) {
    out[s.metric] ??= [];
    out[s.metric]!.push({ dims: { ...s.dimensions }, value: s.value });
  }
  return out;
};

describe('POST /v1/metrics (OTLP/HTTP)', () => {
  it('stores every metric type with the documented encoding and answers an empty protobuf response', async () => {
    const t = nowNs();
    const result = await h.invoke('/v1/metrics', { headers: PROTOBUF, body: encodeOtlp(everyType(t)) });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toBe('application/x-protobuf');
    expect(resultBytes(result).length).toBe(0);
    const base = { 'service.name': 'svc', pid: '42', 'otel.scope.name': 'lib', 'otel.scope.version': '2.0' };
    const got = byName();
    expect(got['g']).toEqual([{ dims: { ...base, k: 'v' }, value: 1.25 }]);
    expect(got['s']).toEqual([
      { dims: { ...base, 'otel.temporality': 'cumulative', 'otel.monotonic': 'true' }, value: 7 },
    ]);
    const delta = { ...base, 'otel.temporality': 'delta' };
    expect(got['h_count']).toEqual([{ dims: delta, value: 6 }]);
    expect(got['h_sum']).toEqual([{ dims: delta, value: 30 }]);
    expect(got['h_bucket']).toEqual([
      { dims: { ...delta, le: '1' }, value: 1 },
      { dims: { ...delta, le: '5' }, value: 3 },
      { dims: { ...delta, le: '+Inf' }, value: 6 },
    ]);
    const cumulative = { ...base, 'otel.temporality': 'cumulative' };
    // scale 0: base 2. Negative bucket index 1 covers [-4, -2): upper bound -2; zero bucket; positive
    // bucket index 0 covers (1, 2]. Each lower bound that is not the previous bound comes first, empty.
    expect(got['e_bucket']).toEqual([
      { dims: { ...cumulative, le: '-4' }, value: 0 },
      { dims: { ...cumulative, le: '-2' }, value: 1 },
      { dims: { ...cumulative, le: '0' }, value: 2 },
      { dims: { ...cumulative, le: '1' }, value: 2 },
      { dims: { ...cumulative, le: '2' }, value: 4 },
      { dims: { ...cumulative, le: '+Inf' }, value: 4 },
    ]);
    expect(got['e_count']).toEqual([{ dims: cumulative, value: 4 }]);
    expect(got['q']).toEqual([
      { dims: { ...base, quantile: '0.5' }, value: 2 },
      { dims: { ...base, quantile: '0.99' }, value: 5 },
    ]);
    expect(got['q_count']).toEqual([{ dims: base, value: 3 }]);
    expect(got['q_sum']).toEqual([{ dims: base, value: 9 }]);
    const ms = Math.floor(t / 1e6);
    expect(h.store.written.every((s) => s.timestampMs === ms)).toBe(true);
    // afterWrite sees exactly what was stored.
    expect(h.afterWrites).toEqual([h.store.written]);
  });

  it('stores the same from OTLP/JSON (int64 as strings, gzip) and answers in JSON', async () => {
    const t = nowNs();
    const body = JSON.stringify(everyType(t)).replace(/"timeUnixNano":(\d+)/g, '"timeUnixNano":"$1"');
    const result = await h.invoke('/v1/metrics', {
      headers: { ...JSON_TYPE, 'Content-Encoding': 'gzip' },
      body: gzipSync(body),
    });
    expect(result.statusCode).toBe(200);
    expect(JSON.parse(result.body)).toEqual({});
    expect(Object.keys(byName()).sort()).toEqual(
      [
        'e_bucket',
        'e_count',
        'e_sum',
        'g',
        'h_bucket',
        'h_count',
        'h_sum',
        'q',
        'q_count',
        'q_sum',
        's',
      ].sort(),
    );
  });

  it('rejects data points that do not fit, with reasons, and stores the rest (partial success)', async () => {
    const t = nowNs();
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'ok_then_bad',
                  gauge: {
                    dataPoints: [
                      { timeUnixNano: t, asDouble: 1 },
                      {
                        timeUnixNano: t,
                        asDouble: 2,
                        attributes: [attr('big', 'x'.repeat(LIMITS.seriesDimensionsMaxBytes))],
                      },
                      { timeUnixNano: (Date.now() - 48 * 3600_000) * 1e6, asDouble: 3 },
                      { timeUnixNano: t, asDouble: Number.NaN },
                      { timeUnixNano: t, asDouble: 5, attributes: [attr('bad name', 'v')] },
                      { timeUnixNano: t, asDouble: 6, flags: 1 },
                    ],
                  },
                },
                { name: '9starts-with-digit', gauge: { dataPoints: [{ timeUnixNano: t, asDouble: 7 }] } },
              ],
            },
          ],
        },
      ],
    };
    const result = await h.invoke('/v1/metrics', { headers: PROTOBUF, body: encodeOtlp(request) });
    expect(result.statusCode).toBe(200);
    const response = ExportResponse.toObject(ExportResponse.decode(resultBytes(result)), {
      longs: Number,
    }) as {
      partialSuccess: { rejectedDataPoints: number; errorMessage: string };
    };
    expect(response.partialSuccess.rejectedDataPoints).toBe(4);
    const message = response.partialSuccess.errorMessage;
    expect(message).toContain('4 of 7 data points rejected');
    expect(message).toContain('dataPoints[1]: dimension names and values together exceed 2048 bytes');
    expect(message).toContain('older than the 24 h retention');
    expect(message).toContain('dimension name "bad name"');
    expect(message).toContain('"9starts-with-digit"');
    // The valid point and the NaN are stored; the no-recorded-value point becomes a stale marker.
    const stored = () => h.store.written.map((s) => [s.value, s.stale === true]);
    expect(stored()).toEqual([
      [1, false],
      [Number.NaN, false],
      [Number.NaN, true],
    ]);

    // OTLP/JSON spells NaN as the string "NaN" (protobuf's JSON mapping).
    h.store.written.length = 0;
    const body = JSON.stringify(request, (_k, v) => (typeof v === 'number' && Number.isNaN(v) ? 'NaN' : v));
    const json = await h.invoke('/v1/metrics', { headers: JSON_TYPE, body });
    expect(json.statusCode).toBe(200);
    const jsonBody = JSON.parse(json.body) as { partialSuccess: { rejectedDataPoints: string } };
    expect(jsonBody.partialSuccess.rejectedDataPoints).toBe('4');
    expect(stored()).toEqual([
      [1, false],
      [Number.NaN, false],
      [Number.NaN, true],
    ]);
  });

  it('turns no-recorded-value points of every type into stale markers on exactly the series they would write', async () => {
    const t = nowNs();
    const plain = everyType(t);
    await h.invoke('/v1/metrics', { headers: JSON_TYPE, body: JSON.stringify(plain) });
    const series = h.store.written.map((s) => [s.metric, s.dimensions]);
    h.store.written.length = 0;
    const flagged = JSON.parse(JSON.stringify(plain), (key, value) =>
      key === 'dataPoints' ? value.map((p: object) => ({ ...p, flags: 1 })) : value,
    );
    const result = await h.invoke('/v1/metrics', { headers: JSON_TYPE, body: JSON.stringify(flagged) });
    expect(JSON.parse(result.body)).toEqual({});
    expect(h.store.written.map((s) => [s.metric, s.dimensions])).toEqual(series);
    expect(h.store.written.every((s) => s.stale === true && Number.isNaN(s.value))).toBe(true);
  });

  it('stores NaN and ±Inf in sums, summaries and histograms as values (a summary without observations)', async () => {
    const t = nowNs();
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'q',
                  summary: {
                    dataPoints: [
                      {
                        timeUnixNano: t,
                        count: 0,
                        sum: 0,
                        quantileValues: [
                          { quantile: 0.5, value: 'NaN' },
                          { quantile: 0.99, value: 'NaN' },
                        ],
                      },
                    ],
                  },
                },
                {
                  name: 's',
                  sum: {
                    aggregationTemporality: 2,
                    dataPoints: [{ timeUnixNano: t, asDouble: 'Infinity' }],
                  },
                },
                {
                  name: 'h',
                  histogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      { timeUnixNano: t, count: 1, sum: '-Infinity', bucketCounts: [1], explicitBounds: [] },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const result = await h.invoke('/v1/metrics', { headers: JSON_TYPE, body: JSON.stringify(request) });
    expect(JSON.parse(result.body)).toEqual({});
    expect(
      h.store.written.map((s) => [s.metric, s.dimensions['quantile'] ?? s.dimensions['le'], s.value]),
    ).toEqual([
      ['q_count', undefined, 0],
      ['q_sum', undefined, 0],
      ['q', '0.5', Number.NaN],
      ['q', '0.99', Number.NaN],
      ['s', undefined, Number.POSITIVE_INFINITY],
      ['h_count', undefined, 1],
      ['h_sum', undefined, Number.NEGATIVE_INFINITY],
      ['h_bucket', '+Inf', 1],
    ]);
  });

  it('counts data points the store refuses in partial success', async () => {
    h.store.refuse = (s) => (s.metric === 'h_bucket' ? 'duplicate with another value' : undefined);
    const result = await h.invoke('/v1/metrics', {
      headers: JSON_TYPE,
      body: JSON.stringify(everyType(nowNs())),
    });
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as {
      partialSuccess: { rejectedDataPoints: string; errorMessage: string };
    };
    expect(body.partialSuccess.rejectedDataPoints).toBe('1');
    expect(body.partialSuccess.errorMessage).toContain('store refused it: duplicate with another value');
    expect(h.afterWrites[0]!.some((s) => s.metric === 'h_bucket')).toBe(false);
  });

  it.each([
    ['truncated protobuf', PROTOBUF, Buffer.from([0x0a, 0x10, 0x01])],
    ['wrong wire type', PROTOBUF, Buffer.from([0x08, 0x01])],
    ['invalid JSON', JSON_TYPE, Buffer.from('{"resourceMetrics": [')],
    ['JSON of the wrong shape', JSON_TYPE, Buffer.from('{"resourceMetrics": {"a": 1}}')],
  ])(
    'answers 400 for a malformed message (%s) with a Status in the request encoding',
    async (_name, headers, body) => {
      const result = await h.invoke('/v1/metrics', { headers, body });
      expect(result.statusCode).toBe(400);
      const status = otlpStatus(result);
      expect(status.code).toBe(3);
      expect(status.message.length).toBeGreaterThan(0);
      if (headers === JSON_TYPE) expect(JSON.parse(result.body).error.code).toBe('bad_request');
      expect(h.store.written).toEqual([]);
    },
  );

  it('names the JSON field at fault', async () => {
    const body = JSON.stringify({
      resourceMetrics: [
        { scopeMetrics: [{ metrics: [{ name: 'x', gauge: { dataPoints: [{ timeUnixNano: 'soon' }] } }] }] },
      ],
    });
    const result = await h.invoke('/v1/metrics', { headers: JSON_TYPE, body });
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error.field).toBe(
      'resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints[0].timeUnixNano',
    );
  });

  it('answers 415 for an unknown content type or encoding', async () => {
    expect(
      (await h.invoke('/v1/metrics', { headers: { 'Content-Type': 'text/plain' }, body: 'x' })).statusCode,
    ).toBe(415);
    expect(
      (await h.invoke('/v1/metrics', { headers: { ...PROTOBUF, 'Content-Encoding': 'br' }, body: 'x' }))
        .statusCode,
    ).toBe(415);
  });

  it('answers 413 above 1 MiB uncompressed, gzip bombs included', async () => {
    const big = Buffer.alloc(LIMITS.maxBodyBytes + 1);
    expect((await h.invoke('/v1/metrics', { headers: PROTOBUF, body: big })).statusCode).toBe(413);
    const bomb = gzipSync(Buffer.alloc(20 * LIMITS.maxBodyBytes));
    expect(bomb.length).toBeLessThan(LIMITS.maxBodyBytes);
    expect(
      (await h.invoke('/v1/metrics', { headers: { ...PROTOBUF, 'Content-Encoding': 'gzip' }, body: bomb }))
        .statusCode,
    ).toBe(413);
  });

  it('answers 429 with Retry-After when throttled, on both routes', async () => {
    h.store.fail = new ThrottledError('slow down', 2);
    const otlp = await h.invoke('/v1/metrics', { headers: PROTOBUF, body: encodeOtlp(everyType(nowNs())) });
    expect(otlp.statusCode).toBe(429);
    expect(otlp.headers?.['retry-after']).toBe('2');
    expect(otlpStatus(otlp)).toEqual({ code: 8, message: 'slow down' });
    const rw = await h.invoke('/api/v1/write', {
      headers: { ...REMOTE_WRITE_HEADERS },
      body: encodeRemoteWriteBody(writeRequest(Date.now())),
    });
    expect(rw.statusCode).toBe(429);
    expect(rw.headers?.['retry-after']).toBe('2');
  });

  it('answers 401 without an ingest key', async () => {
    const result = await h.invoke('/v1/metrics', {
      headers: PROTOBUF,
      body: encodeOtlp(everyType(nowNs())),
      token: null,
    });
    expect(result.statusCode).toBe(401);
    expect(otlpStatus(result)).toEqual({ code: 16, message: 'a valid bearer token is required' });
    expect(otlpStatus(result).code).toBe(16);
  });

  it('answers 503 with Retry-After when the store is down (the exporter retries)', async () => {
    h.store.fail = new UnavailableError('store down', 7);
    const result = await h.invoke('/v1/metrics', { headers: PROTOBUF, body: encodeOtlp(everyType(nowNs())) });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('7');
  });
});

/**
 * The google.rpc.Status of an OTLP failure: protobuf bytes for a protobuf answer (code = field 1,
 * message = field 2), the `code`/`message` members for a JSON one.
 */
function otlpStatus(result: { body: string; headers?: Record<string, unknown>; isBase64Encoded?: boolean }) {
  if (result.headers?.['content-type'] !== 'application/x-protobuf') {
    const body = JSON.parse(result.body) as { code: number; message: string };
    return { code: body.code, message: body.message };
  }
  const reader = protobuf.Reader.create(Buffer.from(result.body, 'base64'));
  const status = { code: 0, message: '' };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 1) status.code = reader.int32();
    else if (tag >>> 3 === 2) status.message = reader.string();
    else reader.skipType(tag & 7);
  }
  return status;
}

function writeRequest(nowMs: number): WriteRequest {
  return {
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'http_requests_total' },
          { name: 'code', value: '200' },
          { name: 'empty', value: '' },
          { name: 'job', value: 'api' },
        ],
        samples: [
          { value: 10, timestamp: nowMs - 2000, stale: false },
          { value: 12, timestamp: nowMs - 1000, stale: false },
          { value: Number.NaN, timestamp: nowMs, stale: true },
        ],
      },
      {
        labels: [
          { name: '__name__', value: 'temperature' },
          { name: 'room', value: 'lab' },
        ],
        samples: [{ value: -3.5, timestamp: nowMs, stale: false }],
      },
    ],
  };
}

describe('POST /api/v1/write (Prometheus remote write 1.0)', () => {
  it('stores samples under __name__ with labels as dimensions, stale markers flagged, answers 204', async () => {
    const now = Date.now();
    const result = await h.invoke('/api/v1/write', {
      headers: { ...REMOTE_WRITE_HEADERS },
      body: encodeRemoteWriteBody(writeRequest(now)),
    });
    expect(result.statusCode).toBe(204);
    expect(h.store.written).toEqual([
      {
        metric: 'http_requests_total',
        dimensions: { code: '200', job: 'api' },
        timestampMs: now - 2000,
        value: 10,
      },
      {
        metric: 'http_requests_total',
        dimensions: { code: '200', job: 'api' },
        timestampMs: now - 1000,
        value: 12,
      },
      {
        metric: 'http_requests_total',
        dimensions: { code: '200', job: 'api' },
        timestampMs: now,
        value: Number.NaN,
        stale: true,
      },
      { metric: 'temperature', dimensions: { room: 'lab' }, timestampMs: now, value: -3.5 },
    ]);
    expect(h.afterWrites).toEqual([h.store.written]);
  });

  it('answers 400 (not retried) for invalid samples after storing the valid rest, saying what was refused', async () => {
    const now = Date.now();
    const request: WriteRequest = {
      timeseries: [
        ...writeRequest(now).timeseries,
        { labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: now, stale: false }] },
        {
          labels: [{ name: '__name__', value: 'nan_gauge' }],
          samples: [{ value: Number.NaN, timestamp: now, stale: false }],
        },
        {
          labels: [{ name: '__name__', value: 'old' }],
          samples: [{ value: 1, timestamp: now - 48 * 3600_000, stale: false }],
        },
      ],
    };
    const result = await h.invoke('/api/v1/write', {
      headers: { ...REMOTE_WRITE_HEADERS },
      body: encodeRemoteWriteBody(request),
    });
    expect(result.statusCode).toBe(400);
    const { error } = JSON.parse(result.body) as { error: { message: string } };
    expect(error.message).toContain('2 of 7 samples rejected');
    expect(error.message).toContain('series has no __name__ label');
    expect(error.message).toContain('older than the 24 h retention');
    expect(h.store.written.map((s) => [s.metric, s.value])).toEqual([
      ['http_requests_total', 10],
      ['http_requests_total', 12],
      ['http_requests_total', Number.NaN],
      ['temperature', -3.5],
      ['nan_gauge', Number.NaN],
    ]);
  });

  it('refuses a native histogram that carries no timestamp with 400, naming it', async () => {
    // TimeSeries{labels: [__name__="h"], histograms: [{}]} encoded by hand: field 4, empty message.
    const series = Buffer.concat([
      Buffer.from([0x0a, 0x0d, 0x0a, 0x08]),
      Buffer.from('__name__'),
      Buffer.from([0x12, 0x01]),
      Buffer.from('h'),
      Buffer.from([0x22, 0x00]),
    ]);
    const body = snappyCompress(Buffer.concat([Buffer.from([0x0a, series.length]), series]));
    const result = await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_HEADERS }, body });
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body).error.message).toContain('timeseries[0] (h).histograms[0]: timestamp');
    expect(result.headers?.['x-prometheus-remote-write-histograms-written']).toBe('0');
  });

  it('accepts a metadata-only request', async () => {
    const body = encodeRemoteWriteBody({
      timeseries: [],
      metadata: [{ type: 1, metricFamilyName: 'x_total', help: 'X.', unit: '' }],
    });
    expect((await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_HEADERS }, body })).statusCode).toBe(
      204,
    );
  });

  it('answers 415 without snappy, for other content types, and for a proto it does not know', async () => {
    const body = encodeRemoteWriteBody(writeRequest(Date.now()));
    const cases: Record<string, string>[] = [
      { 'Content-Type': 'application/x-protobuf' },
      { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' },
      { 'Content-Type': 'application/json', 'Content-Encoding': 'snappy' },
      {
        'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v3.Request',
        'Content-Encoding': 'snappy',
      },
    ];
    for (const headers of cases)
      expect((await h.invoke('/api/v1/write', { headers, body })).statusCode).toBe(415);
    expect(
      (
        await h.invoke('/api/v1/write', {
          headers: {
            'Content-Type': 'application/x-protobuf;proto=prometheus.WriteRequest',
            'Content-Encoding': 'snappy',
          },
          body,
        })
      ).statusCode,
    ).toBe(204);
  });

  it('answers 413 from the snappy length preamble, before inflating', async () => {
    // Declares 2 MiB uncompressed; the data that follows is never read.
    const length = 2 * 1024 * 1024;
    const preamble = [];
    for (let v = length; v > 0x7f; v >>>= 7) preamble.push((v & 0x7f) | 0x80);
    preamble.push(length >>> (7 * preamble.length));
    const body = Buffer.from([...preamble, 0x00, 0x41]);
    const result = await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_HEADERS }, body });
    expect(result.statusCode).toBe(413);
  });

  it("never reads a previous request's bytes when a block yields less than it declares", async () => {
    const now = Date.now();
    const full = encodeWriteRequest(writeRequest(now));
    const first = await h.invoke('/api/v1/write', {
      headers: { ...REMOTE_WRITE_HEADERS },
      body: snappyCompress(full),
    });
    expect(first.statusCode).toBe(204);
    h.store.written.length = 0;
    // Declares the full length but carries only its first 10 bytes (one literal): the rest must not
    // come from the buffer the first request was decompressed into.
    const preamble: number[] = [];
    let v = full.length;
    for (; v > 0x7f; v >>>= 7) preamble.push((v & 0x7f) | 0x80);
    preamble.push(v);
    const short = Buffer.from([...preamble, (10 - 1) << 2, ...full.subarray(0, 10)]);
    const second = await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_HEADERS }, body: short });
    expect(second.statusCode).toBe(400);
    expect(h.store.written).toEqual([]);
  });

  it('answers 400 for invalid snappy or an invalid WriteRequest', async () => {
    const notSnappy = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(
      (await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_HEADERS }, body: notSnappy })).statusCode,
    ).toBe(400);
    const notProto = snappyCompress(Buffer.from([0x0a, 0x50, 0x01]));
    expect(
      (await h.invoke('/api/v1/write', { headers: { ...REMOTE_WRITE_HEADERS }, body: notProto })).statusCode,
    ).toBe(400);
  });

  it('answers 503 with Retry-After when the store is down (Prometheus retries 5xx)', async () => {
    h.store.fail = new UnavailableError('store down', 3);
    const result = await h.invoke('/api/v1/write', {
      headers: { ...REMOTE_WRITE_HEADERS },
      body: encodeRemoteWriteBody(writeRequest(Date.now())),
    });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('3');
  });

  it('answers 401 without an ingest key', async () => {
    const result = await h.invoke('/api/v1/write', {
      headers: { ...REMOTE_WRITE_HEADERS },
      body: encodeWriteRequest(writeRequest(Date.now())),
      token: null,
    });
    expect(result.statusCode).toBe(401);
  });
});
