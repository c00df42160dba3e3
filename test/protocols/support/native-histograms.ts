/**
 * Native histograms and remote write 2.0 requests for the tests: fast-check arbitraries of the wire
 * model, and protobufjs (loaded with our written schemas) as the reference decoder and encoder.
 */
import fc from 'fast-check';
import protobuf from 'protobufjs';
import type { Histogram, Label, RemoteSample } from '#protocols/prometheus/remote-write';
import type { TimeSeriesV2 } from '#protocols/prometheus/remote-write-v2';
import { PROMETHEUS_REMOTE_V2_DESCRIPTOR, PROMETHEUS_V2_TYPES } from '#protocols/prometheus/schema-v2';

export const PromV2Request = protobuf.Root.fromJSON(PROMETHEUS_REMOTE_V2_DESCRIPTOR).lookupType(
  PROMETHEUS_V2_TYPES.request,
);

const spans = fc.array(
  fc.record({ offset: fc.integer({ min: -20, max: 20 }), length: fc.integer({ min: 0, max: 4 }) }),
  { maxLength: 3 },
);
const smallInt = fc.integer({ min: -1000, max: 1000 });
const count = fc.integer({ min: 0, max: 2 ** 40 });

/** Any Histogram message the wire allows (valid or not as a histogram); `customValues` only when asked. */
export function histogramArbitrary(options: { customValues: boolean }): fc.Arbitrary<Histogram> {
  return fc.record({
    count,
    float: fc.boolean(),
    sum: fc.double(),
    schema: fc.oneof(fc.integer({ min: -4, max: 8 }), fc.constant(-53), fc.integer({ min: -60, max: 60 })),
    zeroThreshold: fc.double({ min: 0, max: 1, noNaN: true }),
    zeroCount: count,
    negativeSpans: spans,
    negativeDeltas: fc.array(smallInt, { maxLength: 6 }),
    negativeCounts: fc.array(fc.double({ noNaN: true }), { maxLength: 6 }),
    positiveSpans: spans,
    positiveDeltas: fc.array(smallInt, { maxLength: 6 }),
    positiveCounts: fc.array(fc.double({ noNaN: true }), { maxLength: 6 }),
    resetHint: fc.integer({ min: 0, max: 3 }),
    timestamp: fc.oneof(
      fc.integer({ min: -600_000, max: 600_000 }).map((d) => Date.now() + d),
      fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
    ),
    customValues: options.customValues
      ? fc.array(fc.double({ noNaN: true }), { maxLength: 4 })
      : fc.constant([] as number[]),
    stale: fc.constant(false),
  });
}

/** A Histogram as the protobufjs object that encodes it (the count oneofs say integer or float). */
export function histogramObject(h: Histogram): Record<string, unknown> {
  return {
    ...(h.float
      ? { countFloat: h.count, zeroCountFloat: h.zeroCount }
      : { countInt: h.count, zeroCountInt: h.zeroCount }),
    sum: h.sum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    negativeSpans: h.negativeSpans,
    negativeDeltas: h.negativeDeltas,
    negativeCounts: h.negativeCounts,
    positiveSpans: h.positiveSpans,
    positiveDeltas: h.positiveDeltas,
    positiveCounts: h.positiveCounts,
    resetHint: h.resetHint,
    timestamp: h.timestamp,
    customValues: h.customValues,
  };
}

interface HistogramObject {
  count?: string;
  countInt: number;
  countFloat: number;
  zeroCount?: string;
  zeroCountInt: number;
  zeroCountFloat: number;
  sum: number;
  schema: number;
  zeroThreshold: number;
  negativeSpans: { offset: number; length: number }[];
  negativeDeltas: number[];
  negativeCounts: number[];
  positiveSpans: { offset: number; length: number }[];
  positiveDeltas: number[];
  positiveCounts: number[];
  resetHint: number;
  timestamp: number;
  customValues?: number[];
}

/** The Histogram protobufjs decoded (toObject with defaults and oneofs), in our model. */
export function histogramFromObject(h: HistogramObject): Histogram {
  const float = h.count === 'countFloat';
  const span = (s: { offset: number; length: number }) => ({ offset: s.offset, length: s.length });
  return {
    count: float ? h.countFloat : h.countInt,
    float,
    sum: h.sum,
    schema: h.schema,
    zeroThreshold: h.zeroThreshold,
    zeroCount: h.zeroCount === 'zeroCountFloat' ? h.zeroCountFloat : h.zeroCountInt,
    negativeSpans: h.negativeSpans.map(span),
    negativeDeltas: h.negativeDeltas,
    negativeCounts: h.negativeCounts,
    positiveSpans: h.positiveSpans.map(span),
    positiveDeltas: h.positiveDeltas,
    positiveCounts: h.positiveCounts,
    resetHint: h.resetHint,
    timestamp: h.timestamp,
    customValues: h.customValues ?? [],
    stale: false,
  };
}

export const TO_OBJECT = {
  longs: Number,
  enums: Number,
  bytes: String,
  defaults: true,
  oneofs: true,
} as const;

// ---- remote write 2.0 ----

/** A 2.0 series before symbolisation: what the decoder must hand back. */
export interface SeriesV2 {
  readonly labels: Label[];
  readonly samples: RemoteSample[];
  readonly histograms: Histogram[];
  readonly exemplars: { labels: Label[]; value: number; timestamp: number }[];
  readonly metadata?: { type: number; help: string; unit: string };
  readonly createdTimestamp: number;
}

const text = fc.oneof(
  fc.constantFrom('', '__name__', 'job', 'le', 'node_cpu_seconds_total', 'seconds'),
  fc.string(),
);
const labels = fc.array(fc.record({ name: text, value: text }), { maxLength: 5 });

export const seriesV2Arbitrary: fc.Arbitrary<SeriesV2> = fc.record(
  {
    labels,
    samples: fc.array(
      fc.record({
        value: fc.double(),
        timestamp: fc.oneof(
          fc.integer({ min: -600_000, max: 600_000 }).map((d) => Date.now() + d),
          fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
        ),
        stale: fc.constant(false),
      }),
      { maxLength: 3 },
    ),
    histograms: fc.array(histogramArbitrary({ customValues: true }), { maxLength: 2 }),
    exemplars: fc.array(
      fc.record({ labels, value: fc.double(), timestamp: fc.integer({ min: 0, max: 2 ** 50 }) }),
      { maxLength: 2 },
    ),
    metadata: fc.record({ type: fc.integer({ min: 0, max: 7 }), help: text, unit: text }),
    createdTimestamp: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 ** 50 })),
  },
  { requiredKeys: ['labels', 'samples', 'histograms', 'exemplars', 'createdTimestamp'] },
);

/** A 2.0 Request object for protobufjs: the series' strings in a symbols table starting with ''. */
export function requestV2Object(series: readonly SeriesV2[]): Record<string, unknown> {
  const symbols = [''];
  const index = new Map<string, number>([['', 0]]);
  const ref = (s: string) => {
    let i = index.get(s);
    if (i === undefined) {
      i = symbols.length;
      symbols.push(s);
      index.set(s, i);
    }
    return i;
  };
  const refs = (ls: readonly Label[]) => ls.flatMap((l) => [ref(l.name), ref(l.value)]);
  const timeseries = series.map((s) => ({
    labelsRefs: refs(s.labels),
    samples: s.samples.map((x) => ({ value: x.value, timestamp: x.timestamp })),
    histograms: s.histograms.map(histogramObject),
    exemplars: s.exemplars.map((e) => ({
      labelsRefs: refs(e.labels),
      value: e.value,
      timestamp: e.timestamp,
    })),
    ...(s.metadata
      ? { metadata: { type: s.metadata.type, helpRef: ref(s.metadata.help), unitRef: ref(s.metadata.unit) } }
      : {}),
    createdTimestamp: s.createdTimestamp,
  }));
  return { symbols, timeseries };
}

export function encodeRequestV2(series: readonly SeriesV2[]): Uint8Array {
  return PromV2Request.encode(PromV2Request.fromObject(requestV2Object(series))).finish();
}

/** What the decoder must give for these series (labels resolved, exemplars counted). */
export function expectedV2(series: readonly SeriesV2[]): TimeSeriesV2[] {
  return series.map((s) => ({
    labels: s.labels,
    samples: s.samples,
    ...(s.histograms.length > 0 ? { histograms: s.histograms } : {}),
    ...(s.exemplars.length > 0 ? { exemplarCount: s.exemplars.length } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
    ...(s.createdTimestamp !== 0 ? { createdTimestamp: s.createdTimestamp } : {}),
  }));
}

/** protobufjs' decode of a 2.0 body, symbols resolved, in the decoder's model. */
export function referenceV2(bytes: Uint8Array): TimeSeriesV2[] {
  const o = PromV2Request.toObject(PromV2Request.decode(bytes), TO_OBJECT) as {
    symbols: string[];
    timeseries: {
      labelsRefs: number[];
      samples: { value: number; timestamp: number }[];
      histograms: HistogramObject[];
      exemplars: unknown[];
      metadata: { type: number; helpRef: number; unitRef: number } | null;
      createdTimestamp: number;
    }[];
  };
  const sym = (i: number) => {
    const s = o.symbols[i];
    if (s === undefined) throw new Error(`ref ${i} outside the symbols`);
    return s;
  };
  return o.timeseries.map((t) => {
    const labels: Label[] = [];
    for (let i = 0; i + 1 < t.labelsRefs.length; i += 2)
      labels.push({ name: sym(t.labelsRefs[i]!), value: sym(t.labelsRefs[i + 1]!) });
    return {
      labels,
      samples: t.samples.map((s) => ({ value: s.value, timestamp: s.timestamp, stale: false })),
      ...(t.histograms.length > 0 ? { histograms: t.histograms.map(histogramFromObject) } : {}),
      ...(t.exemplars.length > 0 ? { exemplarCount: t.exemplars.length } : {}),
      ...(t.metadata
        ? {
            metadata: { type: t.metadata.type, help: sym(t.metadata.helpRef), unit: sym(t.metadata.unitRef) },
          }
        : {}),
      ...(t.createdTimestamp !== 0 ? { createdTimestamp: t.createdTimestamp } : {}),
    };
  });
}
