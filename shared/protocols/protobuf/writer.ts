/**
 * A small protobuf wire-format writer for the encoders of this folder (OTLP export responses, remote
 * write requests). Nested messages are written after a reserved length slot and their length patched
 * in afterwards (`fork`/`join`), so a message is encoded in one pass into one growing buffer.
 */
const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly forks: number[] = [];

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  tag(field: number, wireType: number): this {
    return this.uint32((field << 3) | wireType);
  }

  uint32(value: number): this {
    this.ensure(5);
    let v = value >>> 0;
    while (v > 0x7f) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    return this;
  }

  /** int64/uint64 varint from a number (negative numbers as 10-byte two's complement). */
  int64(value: number): this {
    if (value >= 0 && value < TWO_32) return this.uint32(value);
    this.ensure(10);
    let lo: number;
    let hi: number;
    if (value >= 0) {
      lo = (value % TWO_32) >>> 0;
      hi = Math.floor(value / TWO_32) >>> 0;
    } else {
      const abs = -value;
      let l = (abs % TWO_32) >>> 0;
      let h = Math.floor(abs / TWO_32) >>> 0;
      // Two's complement of (h, l).
      l = ~l >>> 0;
      h = ~h >>> 0;
      l = (l + 1) >>> 0;
      if (l === 0) h = (h + 1) >>> 0;
      lo = l;
      hi = h;
    }
    while (hi > 0 || lo > 0x7f) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.pos++] = lo;
    return this;
  }

  /** Zigzag varint of a 32-bit signed integer. */
  sint32(value: number): this {
    return this.uint32((value << 1) ^ (value >> 31));
  }

  /** Zigzag varint of a signed integer up to ±2^53. */
  sint64(value: number): this {
    return this.int64(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  bool(value: boolean): this {
    return this.uint32(value ? 1 : 0);
  }

  double(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  fixed64(value: number): this {
    this.ensure(8);
    this.view.setUint32(this.pos, (value % TWO_32) >>> 0, true);
    this.view.setUint32(this.pos + 4, Math.floor(value / TWO_32) >>> 0, true);
    this.pos += 8;
    return this;
  }

  /** 64 raw bits as two 32-bit words (for bit patterns a double cannot carry, like a NaN payload). */
  fixed64Words(lo: number, hi: number): this {
    this.ensure(8);
    this.view.setUint32(this.pos, lo >>> 0, true);
    this.view.setUint32(this.pos + 4, hi >>> 0, true);
    this.pos += 8;
    return this;
  }

  string(value: string): this {
    // At most 3 bytes per UTF-16 code unit.
    this.ensure(5 + value.length * 3);
    const start = this.pos;
    let ascii = value.length < 128;
    if (ascii) {
      for (let i = 0; i < value.length; i++) {
        const c = value.charCodeAt(i);
        if (c >= 0x80) {
          ascii = false;
          break;
        }
        this.buf[start + 1 + i] = c;
      }
    }
    if (ascii) {
      this.buf[start] = value.length;
      this.pos = start + 1 + value.length;
      return this;
    }
    const bytes = utf8.encode(value);
    return this.bytes(bytes);
  }

  bytes(value: Uint8Array): this {
    this.uint32(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
    return this;
  }

  /** Starts a length-delimited field (after its tag): reserves 5 bytes for the length. */
  fork(): this {
    this.ensure(5);
    this.forks.push(this.pos);
    this.pos += 5;
    return this;
  }

  /** Ends the innermost fork: writes its length and closes the gap of the unused length bytes. */
  join(): this {
    const start = this.forks.pop();
    if (start === undefined) throw new Error('join without fork');
    const bodyStart = start + 5;
    const length = this.pos - bodyStart;
    let lengthBytes = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) lengthBytes++;
    let p = start;
    let v = length;
    while (v > 0x7f) {
      this.buf[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[p++] = v;
    if (lengthBytes < 5) {
      this.buf.copyWithin(start + lengthBytes, bodyStart, this.pos);
      this.pos -= 5 - lengthBytes;
    }
    return this;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}
