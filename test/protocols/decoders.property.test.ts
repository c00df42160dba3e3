/**
 * Property tests for each decoder: arbitrary bytes and arbitrary valid messages never crash the
 * handler and never yield a 500; valid messages decode as protobufjs decodes them; the JSON and the
 * protobuf paths store the same samples; the remote-write encoder round-trips.
 */
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DimensionRules } from '#domain/ingest/batch';
import { otlpToBatch } from '#domain/ingest/otlp-metrics';
import { acceptedTimeWindow, dimensionsProblem, metricNameProblem, timestampProblem } from '#domain/metrics';
import { decodeOtlpProtobuf } from '#protocols/otlp/decode-protobuf';
import type { OtlpRequest } from '#protocols/otlp/model';
import {
  decodeWriteRequest,
  encodeRemoteWriteBody,
  encodeWriteRequest,
  REMOTE_WRITE_HEADERS,
  type WriteRequest,
} from '#protocols/prometheus/remote-write';
import { snappyCompress } from '#protocols/snappy';
import { type IngestHarness, startIngestHarness } from './support/ingest-harness';
import {
  ExportRequest,
  encodeOtlp,
  PromWriteRequest,
  referenceOtlp,
  referenceWriteRequest,
  withoutStaleFlags,
} from './support/reference';

let h: IngestHarness;
beforeAll(async () => {
  h = await startIngestHarness();
});
afterAll(() => h.close());

const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

async function status(
  path: string,
  headers: Record<string, string>,
  body: Uint8Array | string,
): Promise<number> {
  const result = await h.invoke(path, { headers, body });
  if (result.statusCode >= 500) throw new Error(`${result.statusCode}: ${result.body}`);
  return result.statusCode;
}

// ---- arbitrary valid OTLP messages (OTLP/JSON-shaped objects protobufjs can encode) ----

const nowNs = Date.now() * 1e6;
const timeNs = fc.oneof(
  fc.integer({ min: -3600, max: 3600 }).map((s) => nowNs + s * 1e9),
  fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
);
const key = fc.oneof(
  fc.constantFrom('service.name', 'host', 'route', 'le', 'k-1', '__proto__', 'tenant_id'),
  fc.string(),
);
const anyValue = fc.oneof(
  fc.string().map((stringValue) => ({ stringValue })),
  fc.boolean().map((boolValue) => ({ boolValue })),
  fc.integer().map((intValue) => ({ intValue })),
  fc.double().map((doubleValue) => ({ doubleValue })),
  fc
    .array(fc.string(), { maxLength: 3 })
    .map((v) => ({ arrayValue: { values: v.map((stringValue) => ({ stringValue })) } })),
  fc.uint8Array({ maxLength: 8 }).map((bytesValue) => ({ bytesValue })),
);
const attributes = fc.array(fc.record({ key, value: anyValue }), { maxLength: 4 });
const count = fc.integer({ min: 0, max: 1_000_000 });
const numberPoint = fc.record(
  {
    attributes,
    timeUnixNano: timeNs,
    asDouble: fc.double(),
    flags: fc.constantFrom(0, 1),
  },
  { requiredKeys: ['timeUnixNano'] },
);
const intPoint = fc.record({ attributes, timeUnixNano: timeNs, asInt: fc.integer() });
const histogramPoint = fc.integer({ min: 0, max: 4 }).chain((n) =>
  fc.record(
    {
      attributes,
      timeUnixNano: timeNs,
      count,
      sum: fc.double(),
      bucketCounts: fc.array(count, { minLength: n + 1, maxLength: n + 1 }),
      explicitBounds: fc.array(fc.double({ noNaN: true }), { minLength: n, maxLength: n }),
      min: fc.double(),
      max: fc.double(),
    },
    { requiredKeys: ['timeUnixNano', 'count', 'bucketCounts', 'explicitBounds'] },
  ),
);
const buckets = fc.record({
  offset: fc.integer({ min: -50, max: 50 }),
  bucketCounts: fc.array(count, { maxLength: 5 }),
});
const exponentialPoint = fc.record(
  {
    attributes,
    timeUnixNano: timeNs,
    count,
    sum: fc.double(),
    scale: fc.integer({ min: -12, max: 22 }),
    zeroCount: count,
    zeroThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
    positive: buckets,
    negative: buckets,
  },
  { requiredKeys: ['timeUnixNano', 'count', 'scale'] },
);
const summaryPoint = fc.record({
  attributes,
  timeUnixNano: timeNs,
  count,
  sum: fc.double(),
  quantileValues: fc.array(fc.record({ quantile: fc.double({ min: 0, max: 1 }), value: fc.double() }), {
    maxLength: 3,
  }),
});
const metricName = fc.oneof(fc.constantFrom('requests', 'cpu.usage', 'a/b', 'x'.repeat(250)), fc.string());
const points = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 3 });
const metric = fc.oneof(
  fc.record({ name: metricName, gauge: fc.record({ dataPoints: points(fc.oneof(numberPoint, intPoint)) }) }),
  fc.record({
    name: metricName,
    sum: fc.record({
      dataPoints: points(fc.oneof(numberPoint, intPoint)),
      aggregationTemporality: fc.constantFrom(0, 1, 2),
      isMonotonic: fc.boolean(),
    }),
  }),
  fc.record({
    name: metricName,
    histogram: fc.record({
      dataPoints: points(histogramPoint),
      aggregationTemporality: fc.constantFrom(1, 2),
    }),
  }),
  fc.record({
    name: metricName,
    exponentialHistogram: fc.record({
      dataPoints: points(exponentialPoint),
      aggregationTemporality: fc.constantFrom(1, 2),
    }),
  }),
  fc.record({ name: metricName, summary: fc.record({ dataPoints: points(summaryPoint) }) }),
  fc.record({ name: metricName }),
);
const otlpRequest = fc.record({
  resourceMetrics: fc.array(
    fc.record({
      resource: fc.record({ attributes }),
      scopeMetrics: fc.array(
        fc.record({
          scope: fc.record({ name: fc.string(), version: fc.string(), attributes }),
          metrics: fc.array(metric, { maxLength: 4 }),
        }),
        { maxLength: 2 },
      ),
    }),
    { maxLength: 2 },
  ),
});

// ---- arbitrary valid remote-write requests ----

const labelName = fc.oneof(
  fc.constantFrom('__name__', 'job', 'instance', 'le', 'value'),
  fc.string({ maxLength: 70 }),
);
const writeRequest: fc.Arbitrary<WriteRequest> = fc.record({
  timeseries: fc.array(
    fc.record({
      labels: fc.array(fc.record({ name: labelName, value: fc.string() }), { maxLength: 5 }),
      samples: fc.array(
        fc
          .record({
            value: fc.double(),
            timestamp: fc.oneof(
              fc.integer({ min: -600_000, max: 600_000 }).map((d) => Date.now() + d),
              fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
            ),
            stale: fc.boolean(),
          })
          // A stale marker is a NaN (the encoder writes its bit pattern).
          .map((s) => (s.stale ? { ...s, value: Number.NaN } : s)),
        { maxLength: 4 },
      ),
    }),
    { maxLength: 5 },
  ),
  metadata: fc.array(
    fc.record({
      type: fc.integer({ min: 0, max: 7 }),
      metricFamilyName: fc.string(),
      help: fc.string(),
      unit: fc.string(),
    }),
    { maxLength: 2 },
  ),
});

describe('OTLP protobuf decoder', () => {
  it('answers 200 or 400 for arbitrary bytes, plain or gzipped', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        expect([200, 400]).toContain(await status('/v1/metrics', PROTOBUF, bytes));
        expect([200, 400]).toContain(
          await status('/v1/metrics', { ...PROTOBUF, 'Content-Encoding': 'gzip' }, gzipSync(bytes)),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('answers 200 or 400 for mutations of valid messages', async () => {
    await fc.assert(
      fc.asyncProperty(otlpRequest, fc.nat(), fc.nat(255), async (request, at, byte) => {
        const bytes = encodeOtlp(request);
        if (bytes.length === 0) return;
        const mutated = Uint8Array.from(bytes);
        mutated[at % bytes.length] = byte;
        expect([200, 400]).toContain(await status('/v1/metrics', PROTOBUF, mutated));
        expect([200, 400]).toContain(
          await status('/v1/metrics', PROTOBUF, bytes.subarray(0, at % bytes.length)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('decodes valid messages exactly as protobufjs does, and the handler answers 200', async () => {
    await fc.assert(
      fc.asyncProperty(otlpRequest, async (request) => {
        const bytes = encodeOtlp(request);
        expect(decodeOtlpProtobuf(bytes)).toEqual(referenceOtlp(bytes));
        expect(await status('/v1/metrics', PROTOBUF, bytes)).toBe(200);
      }),
      { numRuns: 200 },
    );
  });
});

describe('OTLP/JSON decoder', () => {
  it('answers 200 or 400 for arbitrary JSON', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), async (value) => {
        expect([200, 400]).toContain(await status('/v1/metrics', JSON_TYPE, JSON.stringify(value)));
      }),
      { numRuns: 300 },
    );
  });

  it('answers 200 or 400 for arbitrary text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 200 }), async (text) => {
        expect([200, 400]).toContain(await status('/v1/metrics', JSON_TYPE, text));
      }),
      { numRuns: 200 },
    );
  });

  it('stores the same samples from the OTLP/JSON form of a valid message as from its protobuf form', async () => {
    await fc.assert(
      fc.asyncProperty(otlpRequest, async (request) => {
        const bytes = encodeOtlp(request);
        const asJson = ExportRequest.toObject(ExportRequest.decode(bytes), {
          longs: String,
          enums: Number,
          bytes: String,
          json: true,
        });
        h.store.written.length = 0;
        const proto = await h.invoke('/v1/metrics', { headers: PROTOBUF, body: bytes });
        const fromProto = [...h.store.written];
        h.store.written.length = 0;
        const json = await h.invoke('/v1/metrics', { headers: JSON_TYPE, body: JSON.stringify(asJson) });
        expect(proto.statusCode).toBe(200);
        expect(json.statusCode).toBe(200);
        expect(h.store.written).toEqual(fromProto);
      }),
      { numRuns: 150 },
    );
  });
});

describe('remote-write decoder', () => {
  const headers = { ...REMOTE_WRITE_HEADERS };

  it('answers 204, 400 or 413 for arbitrary bytes, raw or snappy-compressed', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), async (bytes) => {
        expect([204, 400, 413]).toContain(await status('/api/v1/write', headers, bytes));
        expect([204, 400]).toContain(await status('/api/v1/write', headers, snappyCompress(bytes)));
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips valid requests through our encoder and decoder, matching protobufjs both ways', () => {
    fc.assert(
      fc.property(writeRequest, (request) => {
        const bytes = encodeWriteRequest(request);
        const decoded = decodeWriteRequest(bytes);
        expect(decoded).toEqual(request);
        expect(referenceWriteRequest(bytes)).toEqual(withoutStaleFlags(request));
        const viaProtobufjs = PromWriteRequest.encode(
          PromWriteRequest.fromObject(withoutStaleFlags(request)),
        ).finish();
        expect(withoutStaleFlags(decodeWriteRequest(viaProtobufjs))).toEqual(withoutStaleFlags(request));
      }),
      { numRuns: 300 },
    );
  });

  it('answers 204 or 400 (never 5xx) for valid requests, storing every value (NaN, ±Inf) and every stale marker as one', async () => {
    await fc.assert(
      fc.asyncProperty(writeRequest, async (request) => {
        h.store.written.length = 0;
        const code = await status('/api/v1/write', headers, encodeRemoteWriteBody(request));
        expect([204, 400]).toContain(code);
        expect(h.store.written.every((s) => !s.stale || Number.isNaN(s.value))).toBe(true);
        const sent = request.timeseries.flatMap((t) => t.samples);
        if (code === 204) {
          expect(h.store.written.map((s) => s.stale === true)).toEqual(sent.map((s) => s.stale));
          expect(h.store.written.map((s) => s.value)).toEqual(sent.map((s) => s.value));
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('DimensionRules', () => {
  it('gives the same verdict as dimensionsProblem', () => {
    const name = fc.oneof(
      fc.constantFrom('host', 'tenant_id', 'ts_x', 'measure_value::x', '_a', 'a.b-c', 'x'.repeat(61), '9a'),
      fc.string({ maxLength: 70 }),
    );
    fc.assert(
      fc.property(
        fc.dictionary(name, fc.oneof(fc.string(), fc.string({ minLength: 500, maxLength: 1200 })), {
          maxKeys: 8,
        }),
        (dims) => {
          expect(new DimensionRules().problem(dims) === undefined).toBe(
            dimensionsProblem(dims) === undefined,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('OTLP mapping', () => {
  /** The mapping rules, written the slow, obvious way: merge, drop empties, judge the whole set. */
  function naiveGaugeSamples(request: OtlpRequest, nowMs: number) {
    const out: { metric: string; dimensions: Record<string, string>; value: number; stale?: true }[] = [];
    for (const rm of request.resourceMetrics)
      for (const sm of rm.scopeMetrics)
        for (const m of sm.metrics) {
          if (m.type !== 'gauge') continue;
          for (const p of m.points) {
            const entries = new Map<string, string>();
            const apply = (attrs: string[]) => {
              for (let i = 0; i < attrs.length; i += 2)
                if (attrs[i + 1] === '') entries.delete(attrs[i]!);
                else entries.set(attrs[i]!, attrs[i + 1]!);
            };
            apply(rm.attributes);
            apply(sm.attributes);
            if (sm.name) entries.set('otel.scope.name', sm.name);
            if (sm.version) entries.set('otel.scope.version', sm.version);
            apply(p.attributes);
            if (entries.has('__proto__')) continue;
            const dimensions = Object.fromEntries(entries);
            const ms = Math.floor(p.timeUnixNano / 1e6);
            const ok =
              metricNameProblem(m.name) === undefined &&
              dimensionsProblem(dimensions) === undefined &&
              timestampProblem(ms, acceptedTimeWindow(nowMs)) === undefined &&
              (p.value !== undefined || (p.flags & 1) === 1);
            // Flagged no-recorded-value: a stale marker, as Prometheus' OTLP translator writes it.
            if (ok && (p.flags & 1) === 1)
              out.push({ metric: m.name, dimensions, value: Number.NaN, stale: true });
            else if (ok) out.push({ metric: m.name, dimensions, value: p.value! });
          }
        }
    return out;
  }

  it('keeps exactly the gauge points whose merged dimensions, name, time and value are storable', () => {
    // Few keys, so point attributes often replace or remove resource and scope ones, and values
    // large enough that sets fall on both sides of the 2 KB limit.
    const value = fc.oneof(
      fc.constant(''),
      fc.string({ maxLength: 8 }),
      fc.string({ minLength: 900, maxLength: 1300 }),
    );
    const attrs = fc.array(
      fc.record({
        key: fc.constantFrom('big', 'host', 'route', 'otel.scope.name', '__proto__'),
        value: value.map((v) => ({ stringValue: v })),
      }),
      { maxLength: 4 },
    );
    const point = fc.record({
      attributes: attrs,
      timeUnixNano: fc.constant(nowNs),
      asDouble: fc.double(),
      flags: fc.constantFrom(0, 0, 1),
    });
    const withBig = fc.record({
      resourceMetrics: fc.array(
        fc.record({
          resource: fc.record({ attributes: attrs }),
          scopeMetrics: fc.array(
            fc.record({
              scope: fc.record({
                name: fc.constantFrom('', 'lib'),
                version: fc.constant(''),
                attributes: attrs,
              }),
              metrics: fc.array(
                fc.record({
                  name: fc.constant('m'),
                  gauge: fc.record({ dataPoints: fc.array(point, { maxLength: 4 }) }),
                }),
                {
                  maxLength: 2,
                },
              ),
            }),
            { maxLength: 2 },
          ),
        }),
        { maxLength: 2 },
      ),
    });
    fc.assert(
      fc.property(withBig, (request) => {
        const now = Date.now();
        const decoded = decodeOtlpProtobuf(encodeOtlp(request));
        const mapped = otlpToBatch(decoded, now).samples.map((s) => ({
          metric: s.metric,
          dimensions: { ...s.dimensions },
          value: s.value,
          ...(s.stale ? { stale: s.stale } : {}),
        }));
        expect(mapped).toEqual(naiveGaugeSamples(decoded, now));
      }),
      // Shrinking kilobyte strings takes minutes; the first counterexample is readable enough.
      { numRuns: 300, endOnFailure: true },
    );
  });
});
