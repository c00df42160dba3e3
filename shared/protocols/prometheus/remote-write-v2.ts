/**
 * Prometheus remote write 2.0 (spec 2.0-rc.4): the `io.prometheus.write.v2.Request` protobuf
 * (schema-v2.ts, prompb/io/prometheus/write/v2/types.proto), in two stages. decodeRequestV2 reads
 * the bytes into a struct-of-arrays batch (RequestV2Batch): every field checked, strings left as
 * references into the request's symbols table. replayRequestV2 resolves labels, help and unit and
 * hands each series to the same sink as 1.0 (remote-write.ts), so ingest maps both with one consumer.
 */
import { decodeUtf8, ProtobufDecodeError, ProtoReader, WIRE_LEN, WIRE_VARINT } from '../protobuf/reader';
import { withSnappyDecompressed } from '../snappy';
import {
  finish,
  type Histogram,
  hashBytes,
  type LabelsIdentity,
  lastSample,
  readHistogram,
  readSample,
  type SeriesMetadata,
  SeriesScratch,
  type TimeSeries,
  timeSeriesOf,
  type WriteRequestSink,
} from './remote-write';

/** The Content-Type proto parameter of remote write 2.0. */
export const REMOTE_WRITE_V2_PROTO = 'io.prometheus.write.v2.Request';

/** The headers a remote-write 2.0 sender sets. */
export const REMOTE_WRITE_V2_HEADERS = {
  'content-type': `application/x-protobuf;proto=${REMOTE_WRITE_V2_PROTO}`,
  'content-encoding': 'snappy',
  'x-prometheus-remote-write-version': '2.0.0',
} as const;

/** A 2.0 series as decoded whole (tests, fuzzing): labels resolved, plus what 2.0 adds to 1.0's. */
export interface TimeSeriesV2 extends TimeSeries {
  readonly metadata?: SeriesMetadata;
  readonly createdTimestamp?: number;
}

/**
 * A 2.0 Request decoded into flat arrays, struct-of-arrays: no object per series or sample, and no
 * string at all. Symbols stay byte ranges of the request, label and metadata strings stay refs
 * (checked against the table); replayRequestV2 resolves them. Series s has label refs
 * labelRefs[labelStart[s], labelStart[s + 1]) and samples [sampleStart[s], sampleStart[s + 1]) of
 * values/timestamps/stale. Metadata refs are −1 where the field was not sent.
 *
 * One instance is reused by every decode (decodeRequestV2): valid until the next call.
 */
export class RequestV2Batch {
  bytes: Uint8Array = new Uint8Array(0);
  view: DataView = new DataView(this.bytes.buffer);
  symbolCount = 0;
  symbolStart = new Int32Array(64);
  symbolEnd = new Int32Array(64);
  seriesCount = 0;
  labelStart = new Int32Array(64);
  labelRefs = new Int32Array(256);
  sampleStart = new Int32Array(64);
  values = new Float64Array(64);
  timestamps = new Float64Array(64);
  stale = new Uint8Array(64);
  hasMetadata = new Uint8Array(64);
  metadataType = new Int32Array(64);
  helpRef = new Int32Array(64);
  unitRef = new Int32Array(64);
  createdTimestamp = new Float64Array(64);
  exemplarCount = new Int32Array(64);
  /** Native histograms by series index (rare: most series have none). */
  readonly histograms = new Map<number, Histogram[]>();

  reset(bytes: Uint8Array): void {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.symbolCount = 0;
    this.seriesCount = 0;
    this.histograms.clear();
  }

  /** Room for series index `s` (and the end offsets after it). */
  ensureSeries(s: number): void {
    if (s + 1 < this.labelStart.length) return;
    const size = (s + 1) * 2;
    this.labelStart = grow(this.labelStart, size);
    this.sampleStart = grow(this.sampleStart, size);
    this.hasMetadata = grow(this.hasMetadata, size);
    this.metadataType = grow(this.metadataType, size);
    this.helpRef = grow(this.helpRef, size);
    this.unitRef = grow(this.unitRef, size);
    this.createdTimestamp = grow(this.createdTimestamp, size);
    this.exemplarCount = grow(this.exemplarCount, size);
  }

  ensureSamples(n: number): void {
    if (n <= this.values.length) return;
    const size = n * 2;
    this.values = grow(this.values, size);
    this.timestamps = grow(this.timestamps, size);
    this.stale = grow(this.stale, size);
  }
}

type TypedArray = Int32Array | Float64Array | Uint8Array;
function grow<T extends TypedArray>(array: T, size: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}

const shared = new RequestV2Batch();

/**
 * Decodes a 2.0 Request into the shared RequestV2Batch (valid until the next call): every field read
 * and checked (wire types, lengths, symbol refs), nothing resolved. Symbols may follow the series on
 * the wire (protobuf allows any field order), so the table is read first, in a pass that skips the rest.
 */
export function decodeRequestV2(bytes: Uint8Array): RequestV2Batch {
  const batch = shared;
  batch.reset(bytes);
  readSymbolRanges(batch);
  const r = new ProtoReader(bytes);
  let labelTotal = 0;
  let sampleTotal = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 5) {
      r.expect(tag, WIRE_LEN, 'timeseries');
      const s = batch.seriesCount;
      batch.ensureSeries(s);
      batch.labelStart[s] = labelTotal;
      batch.sampleStart[s] = sampleTotal;
      const end = r.lengthEnd();
      labelTotal = readTimeSeriesV2(r, end, batch, s, labelTotal);
      sampleTotal = batch.sampleStart[s + 1]!;
      batch.seriesCount = s + 1;
    } else r.skip(tag & 7);
  }
  batch.ensureSeries(batch.seriesCount);
  batch.labelStart[batch.seriesCount] = labelTotal;
  batch.sampleStart[batch.seriesCount] = sampleTotal;
  return batch;
}

/** Reads a 2.0 Request, handing each series to `sink`, labels and metadata resolved. */
export function readWriteRequestV2(bytes: Uint8Array, sink: WriteRequestSink): void {
  replayRequestV2(decodeRequestV2(bytes), sink);
}

/**
 * Hands each series of a decoded request to `sink` with its labels, metadata and samples. Symbols are
 * interned across requests (internSymbol), so a series' labels are recognised by reference
 * (identityOf) and a sender's re-sent series cost no new strings.
 */
export function replayRequestV2(batch: RequestV2Batch, sink: WriteRequestSink): void {
  const { bytes, view, symbolStart, symbolEnd, labelStart, labelRefs, sampleStart } = batch;
  // Every symbol resolved up front, in one tight loop: a sender sends only the symbols it refers to.
  const texts: string[] = [];
  const hashes = new Int32Array(batch.symbolCount);
  for (let ref = 0; ref < batch.symbolCount; ref++) {
    const start = symbolStart[ref]!;
    const end = symbolEnd[ref]!;
    const hash = hashBytes(view, bytes, start, end);
    hashes[ref] = hash;
    texts.push(internSymbol(bytes, start, end, hash));
  }
  // The series of one metric share their metadata object (never mutated): one per help text.
  const metadataByHelp: (SeriesMetadata | undefined)[] = new Array(batch.symbolCount + 1);
  const scratch = new SeriesScratch();
  const labels = scratch.buffer;
  for (let s = 0; s < batch.seriesCount; s++) {
    scratch.reset();
    const first = labelStart[s]!;
    const count = labelStart[s + 1]! - first;
    let hash = 0x811c9dc5;
    for (let i = 0; i < count; i++) {
      const ref = labelRefs[first + i]!;
      labels[i] = texts[ref]!;
      hash = Math.imul(hash ^ hashes[ref]!, 0x01000193);
    }
    scratch.labelCount = count / 2;
    if (count > 0) {
      const identity = identityOf(hash ^ count, labels, count);
      scratch.identity = identity;
      scratch.labels = identity.labels;
    }
    const from = sampleStart[s]!;
    const to = sampleStart[s + 1]!;
    for (let i = from; i < to; i++)
      scratch.addSample(batch.values[i]!, batch.timestamps[i]!, batch.stale[i]!);
    if (batch.histograms.size > 0) for (const h of batch.histograms.get(s) ?? []) scratch.addHistogram(h);
    scratch.exemplarCount = batch.exemplarCount[s]!;
    scratch.createdTimestamp = batch.createdTimestamp[s]!;
    if (batch.hasMetadata[s] === 1) {
      const type = batch.metadataType[s]!;
      const helpRef = batch.helpRef[s]!;
      const unitRef = batch.unitRef[s]!;
      const unit = unitRef < 0 ? '' : texts[unitRef]!;
      const kept = metadataByHelp[helpRef + 1];
      if (kept !== undefined && kept.type === type && kept.unit === unit) scratch.metadata = kept;
      else {
        const metadata = { type, help: helpRef < 0 ? '' : texts[helpRef]!, unit };
        metadataByHelp[helpRef + 1] = metadata;
        scratch.metadata = metadata;
      }
    }
    sink.series(scratch);
  }
}

/**
 * Series labels remembered by their strings, as 1.0's are by their bytes (remote-write.ts): a sender
 * repeats its series every request, so a series' labels are mapped once, not per request. Keyed by a
 * hash folded from the symbols' byte hashes (computed once per symbol, not per series); the strings
 * are compared to tell collisions apart. Bounded: emptied when it reaches the cap.
 */
interface RememberedStrings {
  readonly identity: LabelsIdentity;
  readonly next: RememberedStrings | undefined;
}
const labelsByStrings = new Map<number, RememberedStrings>();
let rememberedStringSets = 0;
const MAX_REMEMBERED_STRING_SETS = 50_000;

function identityOf(byteHash: number, labels: readonly string[], count: number): LabelsIdentity {
  const hash = mapKey(byteHash);
  search: for (let entry = labelsByStrings.get(hash); entry !== undefined; entry = entry.next) {
    const kept = entry.identity;
    if (kept.labelCount * 2 !== count) continue;
    for (let i = 0; i < count; i++) if (kept.labels[i] !== labels[i]) continue search;
    return kept;
  }
  if (rememberedStringSets >= MAX_REMEMBERED_STRING_SETS) {
    labelsByStrings.clear();
    rememberedStringSets = 0;
  }
  const identity: LabelsIdentity = {
    labels: labels.slice(0, count),
    labelCount: count / 2,
    derived: undefined,
  };
  labelsByStrings.set(hash, { identity, next: labelsByStrings.get(hash) });
  rememberedStringSets++;
  return identity;
}

/**
 * Murmur3's finalizer, cut to 30 bits: a Map keyed by a V8 small integer hashes it cheaply (a full
 * 32-bit key is a boxed number), and every bit of the hash still moves the key.
 */
function mapKey(hash: number): number {
  let h = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 2;
}

/** Decodes a 2.0 Request whole. */
export function decodeWriteRequestV2(bytes: Uint8Array): { timeseries: TimeSeriesV2[] } {
  const timeseries: TimeSeriesV2[] = [];
  readWriteRequestV2(bytes, {
    series(read) {
      timeseries.push({
        ...timeSeriesOf(read),
        ...(read.metadata ? { metadata: read.metadata } : {}),
        ...(read.createdTimestamp !== 0 ? { createdTimestamp: read.createdTimestamp } : {}),
      });
    },
    metadata() {
      // 2.0 has no request-level metadata.
    },
  });
  return { timeseries };
}

/** Reads a 2.0 request body (snappy), refusing more than `maxBytes` uncompressed (413) before inflating. */
export function readRemoteWriteV2Body(body: Uint8Array, maxBytes: number, sink: WriteRequestSink): void {
  withSnappyDecompressed(body, maxBytes, (bytes) => readWriteRequestV2(bytes, sink));
}

/** The symbols table as byte ranges of the request (no string yet: replayRequestV2 decodes on use). */
function readSymbolRanges(batch: RequestV2Batch): void {
  const r = new ProtoReader(batch.bytes);
  let n = 0;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 4) {
      r.expect(tag, WIRE_LEN, 'symbols');
      const end = r.lengthEnd();
      if (n === batch.symbolStart.length) {
        batch.symbolStart = grow(batch.symbolStart, n * 2);
        batch.symbolEnd = grow(batch.symbolEnd, n * 2);
      }
      batch.symbolStart[n] = r.pos;
      batch.symbolEnd[n] = end;
      n++;
      r.pos = end;
    } else r.skip(tag & 7);
  }
  batch.symbolCount = n;
}

/**
 * ASCII symbols by their bytes, across requests: equal bytes give the same string object while it is
 * remembered, so the labels identity check (identityOf) compares references, not characters. Keyed
 * by the symbol's byte hash (already computed for the identity); the characters are compared to tell
 * collisions apart. Bounded: emptied when it reaches the cap. Non-ASCII symbols are decoded each time.
 */
interface InternedSymbol {
  readonly text: string;
  readonly next: InternedSymbol | undefined;
}
const symbolsByHash = new Map<number, InternedSymbol>();
let internedSymbols = 0;
const MAX_INTERNED_SYMBOLS = 200_000;

function internSymbol(buf: Uint8Array, start: number, end: number, byteHash: number): string {
  const hash = mapKey(byteHash);
  const length = end - start;
  search: for (let entry = symbolsByHash.get(hash); entry !== undefined; entry = entry.next) {
    const text = entry.text;
    if (text.length !== length) continue;
    for (let i = 0; i < length; i++) if (text.charCodeAt(i) !== buf[start + i]) continue search;
    return text;
  }
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return decodeUtf8(buf, start, end);
  const text = decodeUtf8(buf, start, end);
  if (internedSymbols >= MAX_INTERNED_SYMBOLS) {
    symbolsByHash.clear();
    internedSymbols = 0;
  }
  symbolsByHash.set(hash, { text, next: symbolsByHash.get(hash) });
  internedSymbols++;
  return text;
}

function symbolRef(batch: RequestV2Batch, ref: number, what: string): number {
  if (ref >= batch.symbolCount)
    throw new ProtobufDecodeError(
      `${what} ${ref} is not in the symbols table (${batch.symbolCount} symbols)`,
    );
  return ref;
}

/** One TimeSeries into the batch as series `s`; returns the new end of labelRefs. */
function readTimeSeriesV2(
  r: ProtoReader,
  end: number,
  batch: RequestV2Batch,
  s: number,
  labelTotal: number,
): number {
  const symbolCount = batch.symbolCount;
  const firstRef = labelTotal;
  let refs = labelTotal;
  let samples = batch.sampleStart[s]!;
  batch.hasMetadata[s] = 0;
  batch.metadataType[s] = 0;
  batch.helpRef[s] = -1;
  batch.unitRef[s] = -1;
  batch.createdTimestamp[s] = 0;
  batch.exemplarCount[s] = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: {
        if ((tag & 7) !== WIRE_LEN) {
          // Unpacked: one ref per field.
          r.expect(tag, WIRE_VARINT, 'labels_refs');
          if (refs === batch.labelRefs.length) batch.labelRefs = grow(batch.labelRefs, refs * 2);
          batch.labelRefs[refs++] = symbolRef(batch, r.uint32(), 'labels_refs');
          break;
        }
        const refsEnd = r.lengthEnd();
        const buf = r.buf;
        let p = r.pos;
        // At most one ref per byte.
        if (refs + (refsEnd - p) > batch.labelRefs.length)
          batch.labelRefs = grow(batch.labelRefs, (refs + (refsEnd - p)) * 2);
        const out = batch.labelRefs;
        while (p < refsEnd) {
          // Refs below 16,384 (one or two varint bytes) are read here; longer ones by the reader.
          let ref = buf[p] as number;
          if (ref < 0x80) p++;
          else if (p + 1 < refsEnd && (buf[p + 1] as number) < 0x80) {
            ref = (ref & 0x7f) | ((buf[p + 1] as number) << 7);
            p += 2;
          } else {
            r.pos = p;
            ref = r.uint32();
            p = r.pos;
          }
          if (ref >= symbolCount) symbolRef(batch, ref, 'labels_refs');
          out[refs++] = ref;
        }
        r.pos = p;
        finish(r, refsEnd);
        break;
      }
      case 2:
        r.expect(tag, WIRE_LEN, 'samples');
        batch.ensureSamples(samples + 1);
        readSample(r, r.lengthEnd());
        batch.values[samples] = lastSample.value;
        batch.timestamps[samples] = lastSample.timestamp;
        batch.stale[samples++] = lastSample.stale;
        break;
      case 3: {
        r.expect(tag, WIRE_LEN, 'histograms');
        const h = readHistogram(r, r.lengthEnd());
        const list = batch.histograms.get(s);
        if (list) list.push(h);
        else batch.histograms.set(s, [h]);
        break;
      }
      case 4:
        r.expect(tag, WIRE_LEN, 'exemplars');
        r.skip(WIRE_LEN);
        batch.exemplarCount[s]!++;
        break;
      case 5:
        r.expect(tag, WIRE_LEN, 'metadata');
        readMetadataV2(r, r.lengthEnd(), batch, s);
        break;
      case 6:
        r.expect(tag, WIRE_VARINT, 'created_timestamp');
        batch.createdTimestamp[s] = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  if ((refs - firstRef) % 2 !== 0)
    throw new ProtobufDecodeError(`labels_refs has an odd length (${refs - firstRef})`);
  batch.sampleStart[s + 1] = samples;
  return refs;
}

/** A Metadata message; a repeated one merges into the previous (protobuf's rule for a singular message). */
function readMetadataV2(r: ProtoReader, end: number, batch: RequestV2Batch, s: number): void {
  batch.hasMetadata[s] = 1;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_VARINT, 'metadata.type');
        batch.metadataType[s] = r.int32();
        break;
      case 3:
        r.expect(tag, WIRE_VARINT, 'metadata.help_ref');
        batch.helpRef[s] = symbolRef(batch, r.uint32(), 'metadata.help_ref');
        break;
      case 4:
        r.expect(tag, WIRE_VARINT, 'metadata.unit_ref');
        batch.unitRef[s] = symbolRef(batch, r.uint32(), 'metadata.unit_ref');
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
}
