/**
 * A small, allocation-light protobuf wire-format reader for the hand-written decoders of this folder.
 * 64-bit integers come back as JavaScript numbers (exact up to 2^53, nearest double beyond): every
 * 64-bit field we read is a count, a nanosecond timestamp or a sample value, where that is enough.
 * Any malformed input throws ProtobufDecodeError (a 400 for the caller), never a TypeError.
 */
import { BadRequestError } from '#domain/errors';

export class ProtobufDecodeError extends BadRequestError {
  constructor(message: string) {
    super(`malformed protobuf: ${message}`, 'body');
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_FIXED32 = 5;

const TWO_32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ProtoReader {
  pos: number;
  readonly end: number;
  readonly view: DataView;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** The next field tag (field number << 3 | wire type); call only while pos < end. */
  tag(): number {
    const tag = this.uint32();
    if (tag >>> 3 === 0) throw new ProtobufDecodeError(`field number 0 at byte ${this.pos}`);
    return tag;
  }

  /** A varint as an unsigned 32-bit number (higher bits of a longer varint are dropped, as protobuf does). */
  uint32(): number {
    const buf = this.buf;
    let pos = this.pos;
    if (pos >= this.end) throw this.truncated();
    let b = buf[pos++]!;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let value = b & 0x7f;
    let shift = 7;
    while (true) {
      if (pos >= this.end) throw this.truncated();
      b = buf[pos++]!;
      if (shift < 32) value |= (b & 0x7f) << shift;
      if (b < 0x80) break;
      shift += 7;
      if (shift >= 70) throw new ProtobufDecodeError(`varint longer than 10 bytes at byte ${pos}`);
    }
    this.pos = pos;
    return value >>> 0;
  }

  int32(): number {
    return this.uint32() | 0;
  }

  sint32(): number {
    const n = this.uint32();
    return (n >>> 1) ^ -(n & 1);
  }

  bool(): boolean {
    return this.uint64() !== 0;
  }

  /** Low and high 32 bits of the last 64-bit varint read by readLongBits. */
  private lo = 0;
  private hi = 0;

  private readLongBits(): void {
    const buf = this.buf;
    let pos = this.pos;
    let lo = 0;
    let hi = 0;
    let i = 0;
    let b: number;
    // Bytes 0..3 fill bits 0..27 of lo.
    for (; i < 4; i++) {
      if (pos >= this.end) throw this.truncated();
      b = buf[pos++]!;
      lo |= (b & 0x7f) << (i * 7);
      if (b < 0x80) {
        this.pos = pos;
        this.lo = lo >>> 0;
        this.hi = 0;
        return;
      }
    }
    // Byte 4: bits 28..31 of lo, bits 0..2 of hi.
    if (pos >= this.end) throw this.truncated();
    b = buf[pos++]!;
    lo |= (b & 0x7f) << 28;
    hi = (b & 0x7f) >> 4;
    if (b >= 0x80) {
      for (i = 0; i < 5; i++) {
        if (pos >= this.end) throw this.truncated();
        b = buf[pos++]!;
        hi |= (b & 0x7f) << (i * 7 + 3);
        if (b < 0x80) break;
      }
      if (b! >= 0x80) throw new ProtobufDecodeError(`varint longer than 10 bytes at byte ${pos}`);
    }
    this.pos = pos;
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
  }

  /** uint64 as a number. */
  uint64(): number {
    this.readLongBits();
    return this.hi * TWO_32 + this.lo;
  }

  /** int64 (two's complement varint) as a number. */
  int64(): number {
    // Fast path: a non-negative value of at most 7 bytes (49 bits: a millisecond timestamp is 6)
    // is summed exactly in a double; anything longer, negative included, takes the 64-bit path.
    const buf = this.buf;
    const start = this.pos;
    const limit = Math.min(start + 7, this.end);
    let value = 0;
    let scale = 1;
    for (let pos = start; pos < limit; pos++) {
      const b = buf[pos] as number;
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos + 1;
        return value;
      }
      scale *= 128;
    }
    this.readLongBits();
    return (this.hi | 0) * TWO_32 + this.lo;
  }

  fixed64(): number {
    const pos = this.need(8);
    return this.view.getUint32(pos + 4, true) * TWO_32 + this.view.getUint32(pos, true);
  }

  sfixed64(): number {
    const pos = this.need(8);
    return this.view.getInt32(pos + 4, true) * TWO_32 + this.view.getUint32(pos, true);
  }

  double(): number {
    return this.view.getFloat64(this.need(8), true);
  }

  fixed32(): number {
    return this.view.getUint32(this.need(4), true);
  }

  /** Reads a length prefix and returns the end offset of the length-delimited field. */
  lengthEnd(): number {
    const length = this.uint32();
    const end = this.pos + length;
    if (end > this.end) throw this.truncated();
    return end;
  }

  bytes(): Uint8Array {
    const end = this.lengthEnd();
    const bytes = this.buf.subarray(this.pos, end);
    this.pos = end;
    return bytes;
  }

  string(): string {
    const end = this.lengthEnd();
    const start = this.pos;
    this.pos = end;
    return decodeUtf8(this.buf, start, end);
  }

  /** Skips a field of the given wire type (unknown fields are ignored, as protobuf requires). */
  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.readLongBits();
        return;
      case WIRE_FIXED64:
        this.need(8);
        return;
      case WIRE_LEN:
        this.pos = this.lengthEnd();
        return;
      case WIRE_START_GROUP:
        while (true) {
          if (this.pos >= this.end) throw this.truncated();
          const tag = this.tag();
          if ((tag & 7) === WIRE_END_GROUP) return;
          this.skip(tag & 7);
        }
      case WIRE_FIXED32:
        this.need(4);
        return;
      default:
        throw new ProtobufDecodeError(`invalid wire type ${wireType} at byte ${this.pos}`);
    }
  }

  /** Throws unless the field has the wire type its schema gives it. */
  expect(tag: number, wireType: number, what: string): void {
    if ((tag & 7) !== wireType)
      throw new ProtobufDecodeError(`${what} has wire type ${tag & 7}, expected ${wireType}`);
  }

  private need(n: number): number {
    const pos = this.pos;
    if (pos + n > this.end) throw this.truncated();
    this.pos = pos + n;
    return pos;
  }

  private truncated(): ProtobufDecodeError {
    return new ProtobufDecodeError(`message truncated at byte ${this.pos}`);
  }
}

/** Short ASCII strings seen recently, direct-mapped by hash: label names and values repeat a lot. */
const INTERN_SLOTS = 4096;
const interned: (string | undefined)[] = new Array(INTERN_SLOTS).fill(undefined);
const INTERN_MAX_LENGTH = 48;
/** Reused char-code buffer for building a short string in one call. */
const codes: number[] = [];

/**
 * UTF-8 to string. Short ASCII (label names and values, attribute keys: the bulk of a metrics
 * payload) is decoded by hand and interned: a repeated string costs a hash and a compare instead of
 * an allocation, which keeps the garbage collector out of the hot path. Everything else goes through
 * a fatal TextDecoder, so invalid UTF-8 is a decode error as in the reference implementations.
 */
export function decodeUtf8(buf: Uint8Array, start: number, end: number): string {
  const length = end - start;
  if (length === 0) return '';
  if (length <= INTERN_MAX_LENGTH) {
    let hash = 0x811c9dc5;
    let ascii = true;
    for (let i = start; i < end; i++) {
      const b = buf[i]!;
      if (b >= 0x80) {
        ascii = false;
        break;
      }
      hash = Math.imul(hash ^ b, 16777619);
    }
    if (ascii) {
      const slot = (hash ^ (hash >>> 15)) & (INTERN_SLOTS - 1);
      const cached = interned[slot];
      if (cached !== undefined && cached.length === length) {
        let same = true;
        for (let i = 0; i < length; i++) {
          if (cached.charCodeAt(i) !== buf[start + i]) {
            same = false;
            break;
          }
        }
        if (same) return cached;
      }
      codes.length = length;
      for (let i = 0; i < length; i++) codes[i] = buf[start + i]!;
      const s = String.fromCharCode.apply(null, codes);
      interned[slot] = s;
      return s;
    }
  }
  try {
    return utf8.decode(buf.subarray(start, end));
  } catch {
    throw new ProtobufDecodeError(`string at byte ${start} is not valid UTF-8`);
  }
}
