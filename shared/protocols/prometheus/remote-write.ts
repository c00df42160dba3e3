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

export interface TimeSeries {
  readonly labels: readonly Label[];
  readonly samples: readonly RemoteSample[];
  /** Native histograms (field 4) present on the wire; remote write 1.0 ingest does not store them. */
  readonly histogramCount?: number;
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

/**
 * Receives a WriteRequest as it is read, without building it: the fast path of ingest. The arrays are
 * reused from one series to the next; copy what must outlive the call.
 */
export interface WriteRequestSink {
  /**
   * One TimeSeries: `labels[0 … 2·labelCount)` = name0, value0, name1, value1, …; samples in
   * `values`/`timestamps`/`stale` [0, sampleCount); native histograms counted, not decoded.
   */
  series(
    labels: readonly string[],
    labelCount: number,
    values: Float64Array,
    timestamps: Float64Array,
    stale: Uint8Array,
    sampleCount: number,
    histogramCount: number,
    /**
     * The same object for every series whose labels arrive as the same bytes (across requests, while
     * remembered): a consumer may key what it derives from the labels on it. Absent when unknown.
     */
    identity?: LabelsIdentity,
  ): void;
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

/** Scratch space of one read, grown as needed. */
class SeriesScratch {
  labels: string[] = [];
  values = new Float64Array(16);
  timestamps = new Float64Array(16);
  stale = new Uint8Array(16);

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
    series(labels, labelCount, values, timestamps, stale, sampleCount, histogramCount) {
      const seriesLabels: Label[] = new Array(labelCount);
      for (let i = 0; i < labelCount; i++)
        seriesLabels[i] = { name: labels[2 * i]!, value: labels[2 * i + 1]! };
      const samples: RemoteSample[] = new Array(sampleCount);
      for (let i = 0; i < sampleCount; i++)
        samples[i] = { value: values[i]!, timestamp: timestamps[i]!, stale: stale[i] === 1 };
      timeseries.push(
        histogramCount > 0
          ? { labels: seriesLabels, samples, histogramCount }
          : { labels: seriesLabels, samples },
      );
    },
    metadata(m) {
      metadata.push(m);
    },
  });
  return { timeseries, metadata };
}

/** Replays a decoded WriteRequest into a sink (so one consumer serves both forms). */
export function replayWriteRequest(request: WriteRequest, sink: WriteRequestSink): void {
  const scratch = new SeriesScratch();
  for (const series of request.timeseries) {
    const labels = scratch.labels;
    let n = 0;
    for (const label of series.labels) {
      labels[n++] = label.name;
      labels[n++] = label.value;
    }
    while (scratch.values.length < series.samples.length) scratch.growSamples();
    series.samples.forEach((s, i) => {
      scratch.values[i] = s.value;
      scratch.timestamps[i] = s.timestamp;
      scratch.stale[i] = s.stale ? 1 : 0;
    });
    sink.series(
      labels,
      series.labels.length,
      scratch.values,
      scratch.timestamps,
      scratch.stale,
      series.samples.length,
      series.histogramCount ?? 0,
    );
  }
  for (const m of request.metadata ?? []) sink.metadata(m);
}

function readTimeSeries(r: ProtoReader, end: number, scratch: SeriesScratch, sink: WriteRequestSink): void {
  let labels = scratch.labels;
  let labelCount = 0;
  let sampleCount = 0;
  let histogramCount = 0;
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
        for (let i = 0; i < 2 * labelCount; i++) scratch.labels[i] = labels[i] as string;
        labels = scratch.labels;
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
      case 2: {
        r.expect(tag, WIRE_LEN, 'samples');
        const sampleEnd = r.lengthEnd();
        let value = 0;
        let timestamp = 0;
        let stale = 0;
        while (r.pos < sampleEnd) {
          const t = r.tag();
          if (t === 0x09) {
            const at = r.pos;
            value = r.double();
            stale =
              Number.isNaN(value) &&
              r.view.getUint32(at + 4, true) === STALE_HI &&
              r.view.getUint32(at, true) === STALE_LO
                ? 1
                : 0;
          } else if (t === 0x10) timestamp = r.int64();
          else if (t >>> 3 === 1) r.expect(t, WIRE_FIXED64, 'sample.value');
          else if (t >>> 3 === 2) r.expect(t, WIRE_VARINT, 'sample.timestamp');
          else r.skip(t & 7);
        }
        finish(r, sampleEnd);
        if (sampleCount === scratch.values.length) scratch.growSamples();
        scratch.values[sampleCount] = value;
        scratch.timestamps[sampleCount] = timestamp;
        scratch.stale[sampleCount] = stale;
        sampleCount++;
        break;
      }
      case 4:
        r.expect(tag, WIRE_LEN, 'histograms');
        r.skip(WIRE_LEN);
        histogramCount++;
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
  sink.series(
    labels,
    labelCount,
    scratch.values,
    scratch.timestamps,
    scratch.stale,
    sampleCount,
    histogramCount,
    identity,
  );
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

function finish(r: ProtoReader, end: number): void {
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
