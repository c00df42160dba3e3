/**
 * Snappy block format (not the framed/stream format): what Prometheus remote write uses. The
 * uncompressed length is read from the block's varint preamble first, so an oversized body is refused
 * before anything is inflated.
 */
import { compress, uncompress } from 'snappyjs';
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
  try {
    return uncompress(block, maxBytes);
  } catch {
    throw new BadRequestError('body is not a valid snappy block', 'body');
  }
}

export function snappyCompress(bytes: Uint8Array): Uint8Array {
  return compress(bytes);
}
