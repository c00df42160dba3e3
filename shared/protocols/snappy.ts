/**
 * Snappy block format (not the framed/stream format): what Prometheus remote write uses. The
 * uncompressed length is read from the block's varint preamble first, so an oversized body is refused
 * before anything is inflated.
 */
import { compress } from 'snappyjs';
import { BadRequestError, PayloadTooLargeError } from '#domain/errors';

/** The uncompressed length a snappy block declares, or undefined when the preamble is malformed. */
function declaredLength(block: Uint8Array): number | undefined {
  let length = 0;
  for (let i = 0, shift = 0; i < block.length && i < 5; i++, shift += 7) {
    const b = block[i] as number;
    length += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return length > 0xffffffff ? undefined : length;
  }
  return undefined;
}

/**
 * Inflates `block` into the buffer `output` gives for its declared length. The length is checked
 * (400 malformed, 413 over `maxBytes`) before anything is inflated, and the block must then fill that
 * buffer exactly.
 */
function inflate(block: Uint8Array, maxBytes: number, output: (length: number) => Uint8Array): Uint8Array {
  const length = declaredLength(block);
  if (length === undefined) throw new BadRequestError('body is not a valid snappy block', 'body');
  if (length > maxBytes)
    throw new PayloadTooLargeError(
      `body is ${length} bytes uncompressed, more than the limit of ${maxBytes}`,
      'body',
    );
  const out = output(length);
  if (!decompressInto(block, out)) throw new BadRequestError('body is not a valid snappy block', 'body');
  return out;
}

export function snappyDecompress(block: Uint8Array, maxBytes: number): Uint8Array {
  return inflate(block, maxBytes, (length) => new Uint8Array(length));
}

/** Reused output buffer of withSnappyDecompressed: one allocation instead of one per request. */
let scratch = new Uint8Array(0);

function scratchOf(length: number): Uint8Array {
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2, 64 * 1024));
  return scratch.subarray(0, length);
}

/**
 * Decompresses into a buffer reused across calls and hands it to `use`, synchronously; `use` must
 * not keep the bytes (or views of them) after it returns. Cheaper than snappyDecompress for a hot
 * path: a fresh ArrayBuffer per request costs an allocation and, counted as external memory, extra
 * garbage collections. A block is only used when it wrote exactly the bytes it declared, so no
 * byte of a previous request can show through.
 */
export function withSnappyDecompressed<T>(
  block: Uint8Array,
  maxBytes: number,
  use: (bytes: Uint8Array) => T,
): T {
  return use(inflate(block, maxBytes, scratchOf));
}

/** Copies shorter than this go byte by byte: a native call costs more than the loop. */
const NATIVE_COPY_MIN = 8;

/**
 * Inflates a snappy block into `out`, whose length is the block's declared length. One pass that
 * checks as it goes, in unsigned arithmetic: every tag stays inside the block, copies only from bytes
 * already written, never writes past `out`, and the block must fill `out` exactly. (snappyjs, used before, read a literal's 4-byte length as a signed int: a
 * negative length moved its cursor backwards and a 6-byte body looped forever, found by `npm run
 * fuzz`; it also copied byte by byte.)
 */
function decompressInto(block: Uint8Array, out: Uint8Array): boolean {
  const end = block.length;
  const outEnd = out.length;
  let pos = 0;
  while (pos < end && (block[pos] as number) >= 0x80) pos++;
  pos++; // the last byte of the length preamble (declaredLength read it)
  let o = 0;
  while (pos < end) {
    const tag = block[pos++] as number;
    let length: number;
    if ((tag & 0x3) === 0) {
      length = (tag >>> 2) + 1;
      if (length > 60) {
        const bytes = length - 60;
        if (pos + bytes > end) return false;
        length = 0;
        for (let i = 0; i < bytes; i++) length += (block[pos + i] as number) * 2 ** (8 * i);
        length += 1;
        pos += bytes;
      }
      if (pos + length > end || o + length > outEnd) return false;
      if (length < NATIVE_COPY_MIN) for (let i = 0; i < length; i++) out[o + i] = block[pos + i] as number;
      else out.set(block.subarray(pos, pos + length), o);
      pos += length;
      o += length;
      continue;
    }
    let offset: number;
    if ((tag & 0x3) === 1) {
      if (pos + 1 > end) return false;
      length = ((tag >>> 2) & 0x7) + 4;
      offset = (block[pos] as number) + ((tag >>> 5) << 8);
      pos += 1;
    } else if ((tag & 0x3) === 2) {
      if (pos + 2 > end) return false;
      length = (tag >>> 2) + 1;
      offset = (block[pos] as number) + (block[pos + 1] as number) * 256;
      pos += 2;
    } else {
      if (pos + 4 > end) return false;
      length = (tag >>> 2) + 1;
      offset =
        (block[pos] as number) +
        (block[pos + 1] as number) * 2 ** 8 +
        (block[pos + 2] as number) * 2 ** 16 +
        (block[pos + 3] as number) * 2 ** 24;
      pos += 4;
    }
    if (offset === 0 || offset > o || o + length > outEnd) return false;
    const from = o - offset;
    // An overlapping copy (offset < length) repeats a pattern: it must go forward byte by byte.
    if (length < NATIVE_COPY_MIN || offset < length)
      for (let i = 0; i < length; i++) out[o + i] = out[from + i] as number;
    else out.copyWithin(o, from, from + length);
    o += length;
  }
  return o === outEnd;
}

export function snappyCompress(bytes: Uint8Array): Uint8Array {
  return compress(bytes);
}
