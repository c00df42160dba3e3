import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#domain/errors';
import {
  decodeRemoteWriteBody,
  encodeRemoteWriteBody,
  readRemoteWriteBody,
} from '#protocols/prometheus/remote-write';
import { snappyCompress, snappyDecompress } from '#protocols/snappy';
import { typicalRemoteWriteSeries } from '../../bench/lib/payloads';

/** Inputs `npm run fuzz` found, kept so they stay fixed. */
describe('snappy block decoding (fuzz regressions)', () => {
  it('refuses a literal whose 4-byte length is negative as a signed int (looped forever in snappyjs)', () => {
    // Declared length 10; literal tag 0xfc with length 0xfffffffa: snappyjs stepped back to the tag.
    expect(() => snappyDecompress(Uint8Array.from([0x0a, 0xfc, 0xfa, 0xff, 0xff, 0xff]), 1 << 20)).toThrow(
      BadRequestError,
    );
  });

  it('refuses those blocks on the remote-write hot path too (reused buffer), which had skipped the walk', () => {
    const sink = { series: () => {}, metadata: () => {} };
    expect(() =>
      readRemoteWriteBody(Uint8Array.from([0x0a, 0xfc, 0xfa, 0xff, 0xff, 0xff]), 1 << 20, sink),
    ).toThrow(BadRequestError);
    // Found by npm run fuzz against the ingest handler: a protobuf body sent without snappy.
    const found = Buffer.from(
      'CmwKGQoIX19uYW1lX18SDW5vZGVfbWV0cmljXzAKCAoDY3B1EhIEbm9kZQoKCgRtb2RlEgJtMBIQCQAAAAAAAPw/ELXLxeqhNApsChkKCF9fbmFtZV9fEg1ub2RlX21ldHJpY180CggKA2NwdRIBMAoaCghpbnN0YW5jZRIOMTAuMC4xLjIzOjkxMDAKCwoDam/vIH+ogRk1cGISBG5vZGUKCgoEbQ==',
      'base64',
    );
    expect(() => readRemoteWriteBody(found, 1 << 20, sink)).toThrow(BadRequestError);
  });

  it('refuses a block whose tags write more or less than the declared length', () => {
    const good = snappyCompress(new TextEncoder().encode('hello hello hello hello'));
    const longer = Uint8Array.from(good);
    longer[0] = (longer[0] as number) - 1;
    expect(() => snappyDecompress(longer, 1 << 20)).toThrow(BadRequestError);
    const shorter = Uint8Array.from(good);
    shorter[0] = (shorter[0] as number) + 1;
    expect(() => snappyDecompress(shorter, 1 << 20)).toThrow(BadRequestError);
  });

  it('still inflates every block snappy itself produces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat({ max: 50 }), (bytes, repeats) => {
        const input = new Uint8Array(bytes.length * (1 + (repeats % 4)));
        for (let i = 0; i < input.length; i++) input[i] = bytes[i % Math.max(1, bytes.length)] ?? 0;
        expect(snappyDecompress(snappyCompress(input), 1 << 20)).toEqual(input);
      }),
      { numRuns: 200 },
    );
    const request = { timeseries: typicalRemoteWriteSeries(1_700_000_000_000) };
    expect(decodeRemoteWriteBody(encodeRemoteWriteBody(request), 1 << 20).timeseries).toHaveLength(500);
  });
});
