/**
 * Prometheus remote write 1.0 codec: the WriteRequest protobuf (schema.ts, prompb of Prometheus
 * v2.42.0) and its snappy block framing. Used by ingest (decode) and by the Amazon Managed Service
 * for Prometheus metric store (encode), so it knows nothing of tenants or stores.
 *
 * Stale markers: Prometheus marks a series gone with one particular NaN (0x7ff0000000000002). A
 * JavaScript NaN does not reliably keep its payload, so decoded samples say `stale: true` instead,
 * and the encoder writes the exact bit pattern back for them.
 */
import { ProtobufDecodeError, ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../protobuf/reader';
import { ProtoWriter } from '../protobuf/writer';
import { snappyCompress, snappyDecompress, withSnappyDecompressed } from '../snappy';

export interface Label {
  readonly name: string;
  readonly value: string;
}

export interface RemoteSample {
  readonly value: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** True for a Prometheus stale marker (value is then NaN). */
  readonly stale: boolean;
}

export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

/**
 * A native histogram (prompb.Histogram, the same message in remote write 1.0 field 4 and 2.0 field
 * 3). `float` says the count came as count_float: bucket counts are then absolute (`*Counts`), else
 * deltas (`*Deltas`). Converted to classic buckets by shared/domain/ingest/native-histogram.ts.
 */
export interface Histogram {
  readonly count: number;
  readonly float: boolean;
  readonly sum: number;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly negativeSpans: readonly BucketSpan[];
  readonly negativeDeltas: readonly number[];
  readonly negativeCounts: readonly number[];
  readonly positiveSpans: readonly BucketSpan[];
  readonly positiveDeltas: readonly number[];
  readonly positiveCounts: readonly number[];
  /** 0 unknown, 1 yes, 2 no, 3 gauge (a gauge histogram). */
  readonly resetHint: number;
  /** Milliseconds since the epoch. */
  readonly timestamp: number;
  /** Bounds of the custom buckets (schema −53). */
  readonly customValues: readonly number[];
  /** True when sum is the stale-marker NaN: the histogram series ended. */
  readonly stale: boolean;
}

export interface TimeSeries {
  readonly labels: readonly Label[];
  readonly samples: readonly RemoteSample[];
  /** Native histograms (field 4). */
  readonly histograms?: readonly Histogram[];
  /** Exemplars (field 3): counted, not decoded (no store keeps them). */
  readonly exemplarCount?: number;
}

export const METRIC_TYPE = {
  UNKNOWN: 0,
  COUNTER: 1,
  GAUGE: 2,
  HISTOGRAM: 3,
  GAUGEHISTOGRAM: 4,
  SUMMARY: 5,
  INFO: 6,
  STATESET: 7,
} as const;

export interface MetricMetadata {
  readonly type: number;
  readonly metricFamilyName: string;
  readonly help: string;
  readonly unit: string;
}

export interface WriteRequest {
  readonly timeseries: readonly TimeSeries[];
  readonly metadata?: readonly MetricMetadata[];
}

/** The headers a remote-write 1.0 sender sets. */
export const REMOTE_WRITE_HEADERS = {
  'content-type': 'application/x-protobuf',
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '0.1.0',
} as const;

/** Stale-marker NaN, as its two 32-bit words (little-endian order on the wire: low word first). */
const STALE_HI = 0x7ff00000;
const STALE_LO = 0x00000002;

/** Per-series metadata of remote write 2.0 (1.0 sends metadata per metric family instead). */
export interface SeriesMetadata {
  readonly type: number;
  readonly help: string;
  readonly unit: string;
}

/**
 * One TimeSeries as it is read. The reader reuses this object and its arrays from one series to the
 * next; copy what must outlive the call.
 */
export interface SeriesRead {
  /** `labels[0 … 2·labelCount)` = name0, value0, name1, value1, … */
  labels: readonly string[];
  labelCount: number;
  /** Samples in `values`/`timestamps`/`stale` [0, sampleCount). */
  values: Float64Array;
  timestamps: Float64Array;
  stale: Uint8Array;
  sampleCount: number;
  histograms: readonly Histogram[];
  exemplarCount: number;
  /**
   * The same object for every series whose labels arrive as the same bytes (across requests, while
   * remembered): a consumer may key what it derives from the labels on it. Absent when unknown.
   */
  identity: LabelsIdentity | undefined;
  /** Remote write 2.0: the series' metadata when sent. */
  metadata: SeriesMetadata | undefined;
  /** Remote write 2.0: created_timestamp (ms), 0 when not sent. */
  createdTimestamp: number;
}

/**
 * Receives a WriteRequest (1.0 or 2.0) as it is read, without building it: the fast path of ingest.
 */
export interface WriteRequestSink {
  series(series: SeriesRead): void;
  /** Remote write 1.0 metadata, per metric family. */
  metadata(metadata: MetricMetadata): void;
}

/** Labels already read once, kept by their exact bytes. Never mutated, but for the consumer's `derived`. */
export interface LabelsIdentity {
  readonly labels: readonly string[];
  readonly labelCount: number;
  /**
   * What the consumer derived from these labels (ingest keeps its mapping here): found with the
   * identity, without a lookup per series. The reader never reads it.
   */
  derived: unknown;
}

/**
 * Series labels by their encoded bytes. A collector re-sends the same series every scrape, so after
 * the first request a series' labels cost a hash and a compare of their bytes instead of decoding 2
 * strings per label (Prometheus keeps series refs for the same reason). Keyed by a 32-bit hash, with
 * the bytes kept to tell collisions apart: no key string is built per series. Bounded: emptied when
 * it reaches the cap.
 */
interface RememberedLabels {
  /** The label bytes, and a view on them for word-at-a-time compares. */
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly identity: LabelsIdentity;
  /** Another label set with the same hash. */
  readonly next: RememberedLabels | undefined;
}
const labelsByHash = new Map<number, RememberedLabels>();
let rememberedLabelSets = 0;
const MAX_REMEMBERED_LABEL_SETS = 50_000;

/** FNV-1a-style hash of buf[start, end), four bytes a step (exported for the collision test). */
export function hashBytes(view: DataView, buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5 ^ (end - start);
  let p = start;
  for (; p + 4 <= end; p += 4) h = Math.imul(h ^ view.getUint32(p, true), 0x01000193);
  for (; p < end; p++) h = Math.imul(h ^ (buf[p] as number), 0x01000193);
  return (h ^ (h >>> 15)) | 0;
}

function sameBytes(
  kept: RememberedLabels,
  view: DataView,
  buf: Uint8Array,
  start: number,
  end: number,
): boolean {
  const length = end - start;
  if (kept.bytes.length !== length) return false;
  let i = 0;
  for (; i + 4 <= length; i += 4)
    if (kept.view.getUint32(i, true) !== view.getUint32(start + i, true)) return false;
  for (; i < length; i++) if (kept.bytes[i] !== buf[start + i]) return false;
  return true;
}

function rememberedLabels(
  hash: number,
  view: DataView,
  buf: Uint8Array,
  start: number,
  end: number,
): LabelsIdentity | undefined {
  for (let entry = labelsByHash.get(hash); entry !== undefined; entry = entry.next)
    if (sameBytes(entry, view, buf, start, end)) return entry.identity;
  return undefined;
}

function rememberLabels(hash: number, buf: Uint8Array, start: number, end: number, identity: LabelsIdentity) {
  if (rememberedLabelSets >= MAX_REMEMBERED_LABEL_SETS) {
    labelsByHash.clear();
    rememberedLabelSets = 0;
  }
  const bytes = buf.slice(start, end);
  const view = new DataView(bytes.buffer);
  labelsByHash.set(hash, { bytes, view, identity, next: labelsByHash.get(hash) });
  rememberedLabelSets++;
}

/** End of the run of label fields (field 1, length-delimited) at `pos`, or -1 when there is none. */
function leadingLabelsEnd(buf: Uint8Array, pos: number, end: number): number {
  let p = pos;
  while (p < end && buf[p] === 0x0a) {
    p++;
    let length = 0;
    let shift = 0;
    let b: number;
    do {
      if (p >= end || shift > 28) return -1;
      b = buf[p++] as number;
      // Multiplication, not <<: a fifth byte would shift into the sign bit and step backwards.
      length += (b & 0x7f) * 2 ** shift;
      shift += 7;
    } while (b >= 0x80);
    if (length > end - p) return -1;
    p += length;
  }
  return p === pos ? -1 : p;
}

const NO_HISTOGRAMS: readonly Histogram[] = [];

/** Scratch space of one read, grown as needed; handed to the sink as the SeriesRead. */
export class SeriesScratch implements SeriesRead {
  /** The scratch's own label array; `labels` may instead lend a remembered identity's. */
  readonly buffer: string[] = [];
  labels: readonly string[] = this.buffer;
  labelCount = 0;
  values = new Float64Array(16);
  timestamps = new Float64Array(16);
  stale = new Uint8Array(16);
  sampleCount = 0;
  histograms: readonly Histogram[] = NO_HISTOGRAMS;
  exemplarCount = 0;
  identity: LabelsIdentity | undefined = undefined;
  metadata: SeriesMetadata | undefined = undefined;
  createdTimestamp = 0;

  /** Starts a series: no samples, histograms, exemplars or metadata yet. */
  reset(): void {
    this.labels = this.buffer;
    this.labelCount = 0;
    this.sampleCount = 0;
    this.histograms = NO_HISTOGRAMS;
    this.exemplarCount = 0;
    this.identity = undefined;
    this.metadata = undefined;
    this.createdTimestamp = 0;
  }

  addSample(value: number, timestamp: number, stale: number): void {
    const n = this.sampleCount;
    if (n === this.values.length) this.growSamples();
    this.values[n] = value;
    this.timestamps[n] = timestamp;
    this.stale[n] = stale;
    this.sampleCount = n + 1;
  }

  addHistogram(h: Histogram): void {
    if (this.histograms === NO_HISTOGRAMS) this.histograms = [h];
    else (this.histograms as Histogram[]).push(h);
  }

  growSamples(): void {
    const size = this.values.length * 2;
    const values = new Float64Array(size);
    values.set(this.values);
    const timestamps = new Float64Array(size);
    timestamps.set(this.timestamps);
    const stale = new Uint8Array(size);
    stale.set(this.stale);
    this.values = values;
    this.timestamps = timestamps;
    this.stale = stale;
  }
}

/** Reads a WriteRequest, handing each series and metadata entry to `sink` as it goes. */
export function readWriteRequest(bytes: Uint8Array, sink: WriteRequestSink): void {
  const r = new ProtoReader(bytes);
  const scratch = new SeriesScratch();
  while (r.pos < r.end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expect(tag, WIRE_LEN, 'timeseries');
      readTimeSeries(r, r.lengthEnd(), scratch, sink);
    } else if (field === 3) {
      r.expect(tag, WIRE_LEN, 'metadata');
      sink.metadata(readMetadata(r, r.lengthEnd()));
    } else r.skip(tag & 7);
  }
}

export function decodeWriteRequest(bytes: Uint8Array): WriteRequest {
  const timeseries: TimeSeries[] = [];
  const metadata: MetricMetadata[] = [];
  readWriteRequest(bytes, {
    series(read) {
      timeseries.push(timeSeriesOf(read));
    },
    metadata(m) {
      metadata.push(m);
    },
  });
  return { timeseries, metadata };
}

/** A read series as a decoded TimeSeries (copied: the read's arrays are reused). */
export function timeSeriesOf(read: SeriesRead): TimeSeries {
  const labels: Label[] = new Array(read.labelCount);
  for (let i = 0; i < read.labelCount; i++)
    labels[i] = { name: read.labels[2 * i]!, value: read.labels[2 * i + 1]! };
  const samples: RemoteSample[] = new Array(read.sampleCount);
  for (let i = 0; i < read.sampleCount; i++)
    samples[i] = { value: read.values[i]!, timestamp: read.timestamps[i]!, stale: read.stale[i] === 1 };
  return {
    labels,
    samples,
    ...(read.histograms.length > 0 ? { histograms: [...read.histograms] } : {}),
    ...(read.exemplarCount > 0 ? { exemplarCount: read.exemplarCount } : {}),
  };
}

/** Replays a decoded WriteRequest into a sink (so one consumer serves both forms). */
export function replayWriteRequest(request: WriteRequest, sink: WriteRequestSink): void {
  const scratch = new SeriesScratch();
  for (const series of request.timeseries) {
    scratch.reset();
    const labels = scratch.buffer;
    let n = 0;
    for (const label of series.labels) {
      labels[n++] = label.name;
      labels[n++] = label.value;
    }
    scratch.labelCount = series.labels.length;
    for (const s of series.samples) scratch.addSample(s.value, s.timestamp, s.stale ? 1 : 0);
    for (const h of series.histograms ?? []) scratch.addHistogram(h);
    scratch.exemplarCount = series.exemplarCount ?? 0;
    sink.series(scratch);
  }
  for (const m of request.metadata ?? []) sink.metadata(m);
}

function readTimeSeries(r: ProtoReader, end: number, scratch: SeriesScratch, sink: WriteRequestSink): void {
  scratch.reset();
  let labels = scratch.buffer;
  let labelCount = 0;
  const labelsStart = r.pos;
  const labelsEnd = leadingLabelsEnd(r.buf, labelsStart, end);
  const labelsHash = labelsEnd < 0 ? 0 : hashBytes(r.view, r.buf, labelsStart, labelsEnd);
  let identity =
    labelsEnd < 0 ? undefined : rememberedLabels(labelsHash, r.view, r.buf, labelsStart, labelsEnd);
  if (identity) {
    labels = identity.labels as string[];
    labelCount = identity.labelCount;
    r.pos = labelsEnd;
  }
  // A label field after another field: the labels are not the leading run alone, so no identity.
  let labelsSplit = false;
  let seenOtherField = false;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 !== 1) seenOtherField = true;
    else if (seenOtherField && !labelsSplit) {
      labelsSplit = true;
      if (identity) {
        // Remembered labels are shared: add to a copy.
        for (let i = 0; i < 2 * labelCount; i++) scratch.buffer[i] = labels[i] as string;
        labels = scratch.buffer;
        identity = undefined;
      }
    }
    switch (tag >>> 3) {
      case 1: {
        r.expect(tag, WIRE_LEN, 'labels');
        const labelEnd = r.lengthEnd();
        let name = '';
        let value = '';
        while (r.pos < labelEnd) {
          const t = r.tag();
          if (t === 0x0a) name = r.string();
          else if (t === 0x12) value = r.string();
          else if (t >>> 3 === 1 || t >>> 3 === 2) r.expect(t, WIRE_LEN, 'label');
          else r.skip(t & 7);
        }
        finish(r, labelEnd);
        labels[2 * labelCount] = name;
        labels[2 * labelCount + 1] = value;
        labelCount++;
        break;
      }
      case 2:
        r.expect(tag, WIRE_LEN, 'samples');
        readSample(r, r.lengthEnd());
        scratch.addSample(lastSample.value, lastSample.timestamp, lastSample.stale);
        break;
      case 3:
        r.expect(tag, WIRE_LEN, 'exemplars');
        r.skip(WIRE_LEN);
        scratch.exemplarCount++;
        break;
      case 4:
        r.expect(tag, WIRE_LEN, 'histograms');
        scratch.addHistogram(readHistogram(r, r.lengthEnd()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  // Remember labels read whole from the leading run.
  if (!identity && !labelsSplit && labelsEnd >= 0 && labelCount > 0) {
    identity = { labels: labels.slice(0, 2 * labelCount), labelCount, derived: undefined };
    rememberLabels(labelsHash, r.buf, labelsStart, labelsEnd, identity);
  }
  scratch.labels = labels;
  scratch.labelCount = labelCount;
  scratch.identity = identity;
  sink.series(scratch);
}

/** The Sample last read by readSample: reused by every call, so read it before the next one. */
export const lastSample = { value: 0, timestamp: 0, stale: 0 };

/** A Sample message (the same in 1.0 and 2.0) into lastSample; the stale-marker NaN is flagged. */
export function readSample(r: ProtoReader, sampleEnd: number): void {
  let value = 0;
  let timestamp = 0;
  let stale = 0;
  while (r.pos < sampleEnd) {
    const t = r.tag();
    if (t === 0x09) {
      const at = r.pos;
      value = r.double();
      stale = isStaleNaN(r.view, at, value) ? 1 : 0;
    } else if (t === 0x10) timestamp = r.int64();
    else if (t >>> 3 === 1) r.expect(t, WIRE_FIXED64, 'sample.value');
    else if (t >>> 3 === 2) r.expect(t, WIRE_VARINT, 'sample.timestamp');
    else r.skip(t & 7);
  }
  finish(r, sampleEnd);
  lastSample.value = value;
  lastSample.timestamp = timestamp;
  lastSample.stale = stale;
}

/** Whether the double just read at `at` (as `value`) is the stale-marker NaN, by its exact bits. */
function isStaleNaN(view: DataView, at: number, value: number): boolean {
  return (
    Number.isNaN(value) && view.getUint32(at + 4, true) === STALE_HI && view.getUint32(at, true) === STALE_LO
  );
}

/** A Histogram message (the same field numbers in 1.0 and 2.0). */
export function readHistogram(r: ProtoReader, end: number): Histogram {
  let count = 0;
  let float = false;
  let sum = 0;
  let stale = false;
  let schema = 0;
  let zeroThreshold = 0;
  let zeroCount = 0;
  const negativeSpans: BucketSpan[] = [];
  const negativeDeltas: number[] = [];
  const negativeCounts: number[] = [];
  const positiveSpans: BucketSpan[] = [];
  const positiveDeltas: number[] = [];
  const positiveCounts: number[] = [];
  let resetHint = 0;
  let timestamp = 0;
  const customValues: number[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_VARINT, 'histogram.count_int');
        count = r.uint64();
        float = false;
        break;
      case 2:
        r.expect(tag, WIRE_FIXED64, 'histogram.count_float');
        count = r.double();
        float = true;
        break;
      case 3: {
        r.expect(tag, WIRE_FIXED64, 'histogram.sum');
        const at = r.pos;
        sum = r.double();
        stale = isStaleNaN(r.view, at, sum);
        break;
      }
      case 4:
        r.expect(tag, WIRE_VARINT, 'histogram.schema');
        schema = r.sint32();
        break;
      case 5:
        r.expect(tag, WIRE_FIXED64, 'histogram.zero_threshold');
        zeroThreshold = r.double();
        break;
      case 6:
        r.expect(tag, WIRE_VARINT, 'histogram.zero_count_int');
        zeroCount = r.uint64();
        break;
      case 7:
        r.expect(tag, WIRE_FIXED64, 'histogram.zero_count_float');
        zeroCount = r.double();
        break;
      case 8:
        r.expect(tag, WIRE_LEN, 'histogram.negative_spans');
        negativeSpans.push(readBucketSpan(r, r.lengthEnd()));
        break;
      case 9:
        readSint64s(r, tag, negativeDeltas, 'histogram.negative_deltas');
        break;
      case 10:
        readDoubles(r, tag, negativeCounts, 'histogram.negative_counts');
        break;
      case 11:
        r.expect(tag, WIRE_LEN, 'histogram.positive_spans');
        positiveSpans.push(readBucketSpan(r, r.lengthEnd()));
        break;
      case 12:
        readSint64s(r, tag, positiveDeltas, 'histogram.positive_deltas');
        break;
      case 13:
        readDoubles(r, tag, positiveCounts, 'histogram.positive_counts');
        break;
      case 14:
        r.expect(tag, WIRE_VARINT, 'histogram.reset_hint');
        resetHint = r.int32();
        break;
      case 15:
        r.expect(tag, WIRE_VARINT, 'histogram.timestamp');
        timestamp = r.int64();
        break;
      case 16:
        readDoubles(r, tag, customValues, 'histogram.custom_values');
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return {
    count,
    float,
    sum,
    schema,
    zeroThreshold,
    zeroCount,
    negativeSpans,
    negativeDeltas,
    negativeCounts,
    positiveSpans,
    positiveDeltas,
    positiveCounts,
    resetHint,
    timestamp,
    customValues,
    stale,
  };
}

function readBucketSpan(r: ProtoReader, end: number): BucketSpan {
  let offset = 0;
  let length = 0;
  while (r.pos < end) {
    const tag = r.tag();
    if (tag === 0x08) offset = r.sint32();
    else if (tag === 0x10) length = r.uint32();
    else if (tag >>> 3 === 1 || tag >>> 3 === 2) r.expect(tag, WIRE_VARINT, 'bucket_span');
    else r.skip(tag & 7);
  }
  finish(r, end);
  return { offset, length };
}

/** A repeated sint64, packed or not (a parser must accept both). */
function readSint64s(r: ProtoReader, tag: number, out: number[], what: string): void {
  const zigzag = (n: number) => (n % 2 === 0 ? n / 2 : -(n + 1) / 2);
  if ((tag & 7) === WIRE_LEN) {
    const end = r.lengthEnd();
    while (r.pos < end) out.push(zigzag(r.uint64()));
    finish(r, end);
  } else {
    r.expect(tag, WIRE_VARINT, what);
    out.push(zigzag(r.uint64()));
  }
}

/** A repeated double, packed or not. */
function readDoubles(r: ProtoReader, tag: number, out: number[], what: string): void {
  if ((tag & 7) === WIRE_LEN) {
    const end = r.lengthEnd();
    if ((end - r.pos) % 8 !== 0)
      throw new ProtobufDecodeError(`${what}: packed length is not a multiple of 8`);
    while (r.pos < end) out.push(r.double());
  } else {
    r.expect(tag, WIRE_FIXED64, what);
    out.push(r.double());
  }
}

function readMetadata(r: ProtoReader, end: number): MetricMetadata {
  let type = 0;
  let metricFamilyName = '';
  let help = '';
  let unit = '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_VARINT, 'metadata.type');
        type = r.int32();
        break;
      case 2:
        r.expect(tag, WIRE_LEN, 'metadata.metric_family_name');
        metricFamilyName = r.string();
        break;
      case 4:
        r.expect(tag, WIRE_LEN, 'metadata.help');
        help = r.string();
        break;
      case 5:
        r.expect(tag, WIRE_LEN, 'metadata.unit');
        unit = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return { type, metricFamilyName, help, unit };
}

export function finish(r: ProtoReader, end: number): void {
  if (r.pos !== end) throw new ProtobufDecodeError(`field overruns its enclosing message at byte ${r.pos}`);
}

export function encodeWriteRequest(request: WriteRequest): Uint8Array {
  const w = new ProtoWriter();
  for (const series of request.timeseries) {
    w.tag(1, WIRE_LEN).fork();
    for (const label of series.labels) {
      w.tag(1, WIRE_LEN).fork();
      if (label.name) w.tag(1, WIRE_LEN).string(label.name);
      if (label.value) w.tag(2, WIRE_LEN).string(label.value);
      w.join();
    }
    for (const sample of series.samples) {
      w.tag(2, WIRE_LEN).fork();
      if (sample.stale) w.tag(1, WIRE_FIXED64).fixed64Words(STALE_LO, STALE_HI);
      else if (!Object.is(sample.value, 0)) w.tag(1, WIRE_FIXED64).double(sample.value);
      if (sample.timestamp !== 0) w.tag(2, WIRE_VARINT).int64(sample.timestamp);
      w.join();
    }
    // Exemplars are only counted on decode: empty ones keep the count.
    for (let e = 0; e < (series.exemplarCount ?? 0); e++) w.tag(3, WIRE_LEN).fork().join();
    for (const h of series.histograms ?? []) {
      w.tag(4, WIRE_LEN).fork();
      writeHistogram(w, h);
      w.join();
    }
    w.join();
  }
  for (const m of request.metadata ?? []) {
    w.tag(3, WIRE_LEN).fork();
    if (m.type) w.tag(1, WIRE_VARINT).uint32(m.type);
    if (m.metricFamilyName) w.tag(2, WIRE_LEN).string(m.metricFamilyName);
    if (m.help) w.tag(4, WIRE_LEN).string(m.help);
    if (m.unit) w.tag(5, WIRE_LEN).string(m.unit);
    w.join();
  }
  return w.finish();
}

/** A Histogram message's fields (1.0 and 2.0 share them); zero values are left out, as protobuf does. */
export function writeHistogram(w: ProtoWriter, h: Histogram): void {
  // The count oneof is always written: which member is set says integer or float histogram.
  if (h.float) w.tag(2, WIRE_FIXED64).double(h.count);
  else w.tag(1, WIRE_VARINT).int64(h.count);
  if (h.stale) w.tag(3, WIRE_FIXED64).fixed64Words(STALE_LO, STALE_HI);
  else if (!Object.is(h.sum, 0)) w.tag(3, WIRE_FIXED64).double(h.sum);
  if (h.schema !== 0) w.tag(4, WIRE_VARINT).sint32(h.schema);
  if (!Object.is(h.zeroThreshold, 0)) w.tag(5, WIRE_FIXED64).double(h.zeroThreshold);
  if (h.float) w.tag(7, WIRE_FIXED64).double(h.zeroCount);
  else w.tag(6, WIRE_VARINT).int64(h.zeroCount);
  const spans = (field: number, list: readonly BucketSpan[]) => {
    for (const span of list) {
      w.tag(field, WIRE_LEN).fork();
      if (span.offset !== 0) w.tag(1, WIRE_VARINT).sint32(span.offset);
      if (span.length !== 0) w.tag(2, WIRE_VARINT).uint32(span.length);
      w.join();
    }
  };
  const sint64s = (field: number, list: readonly number[]) => {
    if (list.length === 0) return;
    w.tag(field, WIRE_LEN).fork();
    for (const n of list) w.sint64(n);
    w.join();
  };
  const doubles = (field: number, list: readonly number[]) => {
    if (list.length === 0) return;
    w.tag(field, WIRE_LEN).fork();
    for (const n of list) w.double(n);
    w.join();
  };
  spans(8, h.negativeSpans);
  sint64s(9, h.negativeDeltas);
  doubles(10, h.negativeCounts);
  spans(11, h.positiveSpans);
  sint64s(12, h.positiveDeltas);
  doubles(13, h.positiveCounts);
  if (h.resetHint !== 0) w.tag(14, WIRE_VARINT).int64(h.resetHint);
  if (h.timestamp !== 0) w.tag(15, WIRE_VARINT).int64(h.timestamp);
  doubles(16, h.customValues);
}

/** A remote-write request body: the WriteRequest, snappy block-compressed. */
export function encodeRemoteWriteBody(request: WriteRequest): Uint8Array {
  return snappyCompress(encodeWriteRequest(request));
}

/** Reads a remote-write request body into a sink, refusing more than `maxBytes` uncompressed (413) before inflating. */
export function readRemoteWriteBody(body: Uint8Array, maxBytes: number, sink: WriteRequestSink): void {
  withSnappyDecompressed(body, maxBytes, (bytes) => readWriteRequest(bytes, sink));
}

/** Decodes a remote-write request body, refusing more than `maxBytes` uncompressed (413) before inflating. */
export function decodeRemoteWriteBody(body: Uint8Array, maxBytes: number): WriteRequest {
  return decodeWriteRequest(snappyDecompress(body, maxBytes));
}
