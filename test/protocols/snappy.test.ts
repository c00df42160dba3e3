import fc from 'fast-check';
import { uncompress } from 'snappyjs';
import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError } from '#domain/errors';
import { snappyCompress, snappyDecompress, withSnappyDecompressed } from '#protocols/snappy';

/** One snappy element: literal bytes, or a copy of `length` bytes from `offset` back, in a given tag form. */
type Element =
  | { kind: 'literal'; bytes: Uint8Array }
  | { kind: 'copy'; offset: number; length: number; form: 1 | 2 | 4 };

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

/** Encodes elements as a block by the format's definition, and inflates them naively, byte by byte. */
function block(elements: readonly Element[]): { block: Uint8Array; expected: Uint8Array } {
  const out: number[] = [];
  const tags: number[] = [];
  for (const e of elements) {
    if (e.kind === 'literal') {
      const n = e.bytes.length - 1;
      if (n < 60) tags.push(n << 2);
      else {
        const lengthBytes = n < 1 << 8 ? 1 : n < 1 << 16 ? 2 : n < 1 << 24 ? 3 : 4;
        tags.push((59 + lengthBytes) << 2);
        for (let i = 0; i < lengthBytes; i++) tags.push((n >>> (8 * i)) & 0xff);
      }
      tags.push(...e.bytes);
      out.push(...e.bytes);
    } else {
      const { offset, length, form } = e;
      if (form === 1) tags.push(((offset >>> 8) << 5) | ((length - 4) << 2) | 1, offset & 0xff);
      else if (form === 2) tags.push(((length - 1) << 2) | 2, offset & 0xff, offset >>> 8);
      else
        tags.push(((length - 1) << 2) | 3, offset & 0xff, (offset >>> 8) & 0xff, (offset >>> 16) & 0xff, 0);
      const from = out.length - offset;
      for (let i = 0; i < length; i++) out.push(out[from + i] as number);
    }
  }
  return { block: Uint8Array.from([...varint(out.length), ...tags]), expected: Uint8Array.from(out) };
}

/** Random valid element lists: literals of every length form, copies of every tag form, overlapping or not. */
const elements = fc
  .array(
    fc.record({
      literal: fc.uint8Array({ minLength: 1, maxLength: 300 }),
      copies: fc.array(
        fc.record({
          offset: fc.nat(),
          length: fc.integer({ min: 4, max: 64 }),
          form: fc.constantFrom(1, 2, 4),
        }),
        { maxLength: 4 },
      ),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => {
    const list: Element[] = [];
    let written = 0;
    for (const part of parts) {
      list.push({ kind: 'literal', bytes: part.literal });
      written += part.literal.length;
      for (const c of part.copies) {
        const form = c.form as 1 | 2 | 4;
        const maxOffset = form === 1 ? Math.min(written, 2047) : written;
        const offset = 1 + (c.offset % maxOffset);
        const length = form === 1 ? 4 + (c.length % 8) : c.length;
        list.push({ kind: 'copy', offset, length, form });
        written += length;
      }
    }
    return list;
  });

describe('snappy block decompression', () => {
  it('inflates every tag form (long literals, 1-, 2- and 4-byte offsets, overlapping copies) as the format defines', () => {
    fc.assert(
      fc.property(elements, (list) => {
        const { block: b, expected } = block(list);
        expect(snappyDecompress(b, 1 << 20)).toEqual(expected);
        expect(withSnappyDecompressed(b, 1 << 20, (bytes) => Uint8Array.from(bytes))).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with snappyjs on what snappyjs compresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 8192 }), fc.nat({ max: 7 }), (bytes, repeats) => {
        const input = new Uint8Array(bytes.length * (1 + repeats));
        for (let i = 0; i < input.length; i++) input[i] = bytes[i % Math.max(1, bytes.length)] ?? 0;
        const compressed = snappyCompress(input);
        expect(snappyDecompress(compressed, 1 << 20)).toEqual(uncompress(compressed));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a copy from before the start, an offset of 0, and a block cut short', () => {
    const bad = (bytes: number[]) =>
      expect(() => snappyDecompress(Uint8Array.from(bytes), 1 << 20)).toThrow(BadRequestError);
    bad([8, 0b0000_0001, 1]); // copy before anything was written
    bad([5, 0, 0x61, 0b0000_0001, 0]); // offset 0
    bad([5, 0, 0x61, 0b0000_0001, 2]); // offset past what was written
    bad([10, 36, 0x61, 0x62]); // literal of 10 with 2 bytes left
    bad([4, 0, 0x61, 0b0000_0010, 1]); // 2-byte offset cut short
  });

  it('never lets a previous request show through the reused buffer', () => {
    const big = snappyCompress(new Uint8Array(1000).fill(7));
    withSnappyDecompressed(big, 1 << 20, () => undefined);
    // Declares 10 bytes, writes 1: refused, not padded with the 7s left in the buffer.
    expect(() => withSnappyDecompressed(Uint8Array.from([10, 0, 0x61]), 1 << 20, () => undefined)).toThrow(
      BadRequestError,
    );
  });

  it('refuses a declared length over the limit before inflating (413)', () => {
    expect(() => snappyDecompress(Uint8Array.from(varint(2048)), 1024)).toThrow(PayloadTooLargeError);
  });
});
