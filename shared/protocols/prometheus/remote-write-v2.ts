/**
 * Prometheus remote write 2.0 (spec 2.0-rc.4): the `io.prometheus.write.v2.Request` protobuf
 * (schema-v2.ts, prompb/io/prometheus/write/v2/types.proto) read into the same sink as 1.0
 * (remote-write.ts), so ingest maps both with one consumer. Every string is a reference into the
 * request's symbols table; labels, help and unit are resolved here, so the sink sees strings.
 *
 * Symbols may follow the series on the wire (protobuf allows any field order), so the table is read
 * first, in a pass that skips everything else.
 */
import { decodeUtf8, ProtobufDecodeError, ProtoReader, WIRE_LEN, WIRE_VARINT } from '../protobuf/reader';
import { withSnappyDecompressed } from '../snappy';
import {
  finish,
  hashBytes,
  type LabelsIdentity,
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

/** Reads a 2.0 Request, handing each series to `sink` as it goes. */
export function readWriteRequestV2(bytes: Uint8Array, sink: WriteRequestSink): void {
  const symbols = readSymbols(bytes);
  const r = new ProtoReader(bytes);
  const scratch = new SeriesScratch();
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 5) {
      r.expect(tag, WIRE_LEN, 'timeseries');
      readTimeSeriesV2(r, r.lengthEnd(), symbols, scratch);
      sink.series(scratch);
    } else r.skip(tag & 7);
  }
}

/** The symbols table: the strings, and a hash of each one's bytes (for the labels identity). */
interface Symbols {
  readonly strings: string[];
  readonly hashes: number[];
  /** The metadata objects handed out in this request, by help text (readMetadataV2). */
  readonly metadataByHelp: Map<string, SeriesMetadata>;
}

/**
 * Series labels remembered by their strings, as 1.0's are by their bytes (remote-write.ts): a sender
 * repeats its series every request, so a series' labels are mapped once, not per request. The key
 * is a hash folded from the symbols' byte hashes (computed once per symbol, not per series); the
 * strings are compared to tell collisions apart. Bounded: emptied when it reaches the cap.
 */
interface RememberedStrings {
  readonly identity: LabelsIdentity;
  readonly next: RememberedStrings | undefined;
}
const labelsByStrings = new Map<number, RememberedStrings>();
let rememberedStringSets = 0;
const MAX_REMEMBERED_STRING_SETS = 50_000;

function identityOf(hash: number, labels: readonly string[], count: number): LabelsIdentity {
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

function readSymbols(bytes: Uint8Array): Symbols {
  const strings: string[] = [];
  const hashes: number[] = [];
  const r = new ProtoReader(bytes);
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 4) {
      r.expect(tag, WIRE_LEN, 'symbols');
      const end = r.lengthEnd();
      const hash = hashBytes(r.view, r.buf, r.pos, end);
      hashes.push(hash);
      strings.push(internSymbol(r.buf, r.pos, end, hash));
      r.pos = end;
    } else r.skip(tag & 7);
  }
  return { strings, hashes, metadataByHelp: new Map() };
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

function internSymbol(buf: Uint8Array, start: number, end: number, hash: number): string {
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

function symbolRef(symbols: Symbols, ref: number, what: string): number {
  if (ref >= symbols.strings.length)
    throw new ProtobufDecodeError(
      `${what} ${ref} is not in the symbols table (${symbols.strings.length} symbols)`,
    );
  return ref;
}

function symbol(symbols: Symbols, ref: number, what: string): string {
  return symbols.strings[symbolRef(symbols, ref, what)] as string;
}

function readTimeSeriesV2(r: ProtoReader, end: number, symbols: Symbols, scratch: SeriesScratch) {
  scratch.reset();
  const labels = scratch.buffer;
  const { strings, hashes } = symbols;
  let refs = 0;
  let hash = 0x811c9dc5;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: {
        if ((tag & 7) !== WIRE_LEN) {
          // Unpacked: one ref per field.
          r.expect(tag, WIRE_VARINT, 'labels_refs');
          const ref = symbolRef(symbols, r.uint32(), 'labels_refs');
          labels[refs++] = strings[ref] as string;
          hash = Math.imul(hash ^ (hashes[ref] as number), 0x01000193);
          break;
        }
        const refsEnd = r.lengthEnd();
        const buf = r.buf;
        let p = r.pos;
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
          if (ref >= strings.length) symbolRef(symbols, ref, 'labels_refs');
          labels[refs++] = strings[ref] as string;
          hash = Math.imul(hash ^ (hashes[ref] as number), 0x01000193);
        }
        r.pos = p;
        finish(r, refsEnd);
        break;
      }
      case 2:
        r.expect(tag, WIRE_LEN, 'samples');
        readSample(r, r.lengthEnd(), scratch);
        break;
      case 3:
        r.expect(tag, WIRE_LEN, 'histograms');
        scratch.addHistogram(readHistogram(r, r.lengthEnd()));
        break;
      case 4:
        r.expect(tag, WIRE_LEN, 'exemplars');
        r.skip(WIRE_LEN);
        scratch.exemplarCount++;
        break;
      case 5:
        r.expect(tag, WIRE_LEN, 'metadata');
        scratch.metadata = readMetadataV2(r, r.lengthEnd(), symbols, scratch.metadata);
        break;
      case 6:
        r.expect(tag, WIRE_VARINT, 'created_timestamp');
        scratch.createdTimestamp = r.int64();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  if (refs % 2 !== 0) throw new ProtobufDecodeError(`labels_refs has an odd length (${refs})`);
  scratch.labelCount = refs / 2;
  if (refs > 0) {
    const identity = identityOf((hash ^ refs) | 0, labels, refs);
    scratch.identity = identity;
    scratch.labels = identity.labels;
  }
}

/**
 * A Metadata message; a repeated one merges into the previous (protobuf's rule for a singular message).
 * The series of one metric share their metadata: an object already handed out in this request is
 * handed out again when it says the same (they are never mutated): one per metric, not per series.
 */
function readMetadataV2(
  r: ProtoReader,
  end: number,
  symbols: Symbols,
  previous: SeriesMetadata | undefined,
): SeriesMetadata {
  let type = previous?.type ?? 0;
  let help = previous?.help ?? '';
  let unit = previous?.unit ?? '';
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_VARINT, 'metadata.type');
        type = r.int32();
        break;
      case 3:
        r.expect(tag, WIRE_VARINT, 'metadata.help_ref');
        help = symbol(symbols, r.uint32(), 'metadata.help_ref');
        break;
      case 4:
        r.expect(tag, WIRE_VARINT, 'metadata.unit_ref');
        unit = symbol(symbols, r.uint32(), 'metadata.unit_ref');
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  // Kept by help text: series of different metrics arrive interleaved (Prometheus shards by hash).
  const kept = symbols.metadataByHelp.get(help);
  if (kept !== undefined && kept.type === type && kept.unit === unit) return kept;
  const metadata = { type, help, unit };
  symbols.metadataByHelp.set(help, metadata);
  return metadata;
}
