/**
 * Snappy block format (not the framed/stream format): what Prometheus remote write uses. The
 * uncompressed length is read from the block's varint preamble first, so an oversized body is refused
 * before anything is inflated.
 */
import { compress, uncompress } from 'snappyjs';
import { SnappyDecompressor } from 'snappyjs/snappy_decompressor.js';
import { BadRequestError, PayloadTooLargeError } from '../domain/errors';

/** The uncompressed length a snappy block declares, or undefined when the preamble is malformed. */
export function snappyUncompressedLength(block: Uint8Array): number | undefined {
  let result = 0;
  for (let i = 0, shift = 0; i < block.length && i < 5; i++, shift += 7) {
    const b = block[i]!;
    result += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return result > 0xffffffff ? undefined : result;
  }
  return undefined;
}

export function snappyDecompress(block: Uint8Array, maxBytes: number): Uint8Array {
  const length = snappyUncompressedLength(block);
  if (length === undefined) throw new BadRequestError('body is not a valid snappy block', 'body');
  if (length > maxBytes)
    throw new PayloadTooLargeError(
      `body is ${length} bytes uncompressed, more than the limit of ${maxBytes}`,
      'body',
    );
  if (!snappyBlockIsWellFormed(block, length))
    throw new BadRequestError('body is not a valid snappy block', 'body');
  try {
    return uncompress(block, maxBytes);
  } catch {
    throw new BadRequestError('body is not a valid snappy block', 'body');
  }
}

/** Reused output buffer of withSnappyDecompressed: one allocation instead of one per request. */
let scratch = new Uint8Array(0);

/**
 * Decompresses into a buffer reused across calls and hands it to `use`, synchronously; `use` must
 * not keep the bytes (or views of them) after it returns. Cheaper than snappyDecompress for a hot
 * path: a fresh ArrayBuffer per request costs an allocation and, counted as external memory, extra
 * garbage collections. The used region is zeroed first, so a block that yields fewer bytes than it
 * declares leaves zeros (an invalid protobuf tag) behind, never a previous request's bytes.
 */
export function withSnappyDecompressed<T>(
  block: Uint8Array,
  maxBytes: number,
  use: (bytes: Uint8Array) => T,
): T {
  const length = snappyUncompressedLength(block);
  if (length === undefined) throw new BadRequestError('body is not a valid snappy block', 'body');
  if (length > maxBytes)
    throw new PayloadTooLargeError(
      `body is ${length} bytes uncompressed, more than the limit of ${maxBytes}`,
      'body',
    );
  // The same walk as snappyDecompress: snappyjs loops forever on a negative literal length.
  if (!snappyBlockIsWellFormed(block, length))
    throw new BadRequestError('body is not a valid snappy block', 'body');
  if (scratch.length < length) scratch = new Uint8Array(Math.max(length, scratch.length * 2, 64 * 1024));
  const out = scratch.subarray(0, length);
  out.fill(0);
  const decompressor = new SnappyDecompressor(block);
  if (decompressor.readUncompressedLength() !== length || !decompressor.uncompressToBuffer(out))
    throw new BadRequestError('body is not a valid snappy block', 'body');
  return use(out);
}

export function snappyCompress(bytes: Uint8Array): Uint8Array {
  return compress(bytes);
}

/**
 * Walks a block's tags once, in unsigned arithmetic, before snappyjs inflates it: snappyjs reads a
 * literal's 4-byte length as a signed int, so a negative length moves its cursor backwards and a
 * 6-byte body loops forever (found by `npm run fuzz`). Every tag must move forward, stay inside the
 * block, copy from bytes already written, and the output must come to exactly the declared length.
 */
export function snappyBlockIsWellFormed(block: Uint8Array, declaredLength: number): boolean {
  let pos = 0;
  while (pos < block.length && (block[pos] as number) >= 0x80) pos++;
  pos++; // the last byte of the length preamble
  let out = 0;
  while (pos < block.length) {
    const tag = block[pos++] as number;
    let length: number;
    if ((tag & 0x3) === 0) {
      length = (tag >>> 2) + 1;
      if (length > 60) {
        const bytes = length - 60;
        if (pos + bytes > block.length) return false;
        length = 0;
        for (let i = 0; i < bytes; i++) length += (block[pos + i] as number) * 2 ** (8 * i);
        length += 1;
        pos += bytes;
      }
      if (pos + length > block.length) return false;
      pos += length;
    } else {
      let offset: number;
      if ((tag & 0x3) === 1) {
        if (pos + 1 > block.length) return false;
        length = ((tag >>> 2) & 0x7) + 4;
        offset = (block[pos] as number) + ((tag >>> 5) << 8);
        pos += 1;
      } else if ((tag & 0x3) === 2) {
        if (pos + 2 > block.length) return false;
        length = (tag >>> 2) + 1;
        offset = (block[pos] as number) + (block[pos + 1] as number) * 256;
        pos += 2;
      } else {
        if (pos + 4 > block.length) return false;
        length = (tag >>> 2) + 1;
        offset =
          (block[pos] as number) +
          (block[pos + 1] as number) * 2 ** 8 +
          (block[pos + 2] as number) * 2 ** 16 +
          (block[pos + 3] as number) * 2 ** 24;
        pos += 4;
      }
      if (offset === 0 || offset > out) return false;
    }
    out += length;
    if (out > declaredLength) return false;
  }
  return out === declaredLength;
}
