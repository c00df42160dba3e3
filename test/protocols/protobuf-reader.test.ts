import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ProtobufDecodeError, ProtoReader } from '#protocols/protobuf/reader';

/** A 64-bit varint as protobuf writes it: two's complement, so a negative value takes 10 bytes. */
function varint64(value: bigint): Uint8Array {
  let v = BigInt.asUintN(64, value);
  const bytes: number[] = [];
  do {
    const low = Number(v & 0x7fn);
    v >>= 7n;
    bytes.push(v > 0n ? low | 0x80 : low);
  } while (v > 0n);
  return Uint8Array.from(bytes);
}

describe('ProtoReader.int64', () => {
  it('reads every length of varint exactly where a double can hold it, and ends where the varint ends', () => {
    const anyInt64 = fc.oneof(
      fc.bigInt({ min: 0n, max: (1n << 49n) - 1n }), // up to 7 bytes
      fc.bigInt({ min: 1n << 49n, max: (1n << 53n) - 1n }), // 8 bytes, still exact
      fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    );
    fc.assert(
      fc.property(anyInt64, fc.nat({ max: 255 }), (value, trailer) => {
        const encoded = varint64(value);
        const reader = new ProtoReader(Uint8Array.from([...encoded, trailer]));
        const read = reader.int64();
        expect(reader.pos).toBe(encoded.length);
        if (value >= -(1n << 53n) && value < 1n << 53n) expect(read).toBe(Number(value));
        else expect(Math.abs(read - Number(value))).toBeLessThanOrEqual(Math.abs(Number(value)) * 2 ** -52);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a varint cut short, at every length', () => {
    const encoded = varint64(-1n);
    for (let cut = 1; cut < encoded.length; cut++)
      expect(() => new ProtoReader(encoded.subarray(0, cut)).int64()).toThrow(ProtobufDecodeError);
  });
});
