/**
 * Remote write 2.0 symbols: interned across requests by their bytes (so a re-sent series' labels are
 * recognised by reference), refs read inline for one and two varint bytes and by the reader beyond,
 * and an empty packed labels_refs read as no labels. The answers must equal protobufjs' decode.
 */
import { describe, expect, it } from 'vitest';
import { remoteWriteBatchFrom } from '#domain/ingest/remote-write';
import { hashBytes, type LabelsIdentity } from '#protocols/prometheus/remote-write';
import { decodeWriteRequestV2, readWriteRequestV2 } from '#protocols/prometheus/remote-write-v2';
import { ProtobufDecodeError } from '#protocols/protobuf/reader';
import { PromV2Request } from './support/native-histograms';

const T = 1_700_000_000_000;
const encode = (symbols: string[], timeseries: Record<string, unknown>[]) =>
  PromV2Request.encode(PromV2Request.fromObject({ symbols, timeseries })).finish();
const series = (labelsRefs: number[], value = 1) => ({ labelsRefs, samples: [{ value, timestamp: T }] });

function identities(bytes: Uint8Array): (LabelsIdentity | undefined)[] {
  const seen: (LabelsIdentity | undefined)[] = [];
  readWriteRequestV2(bytes, { series: (read) => void seen.push(read.identity), metadata: () => {} });
  return seen;
}

describe('remote write 2.0 symbols', () => {
  it('recognises the same labels in a later request with another symbols table', () => {
    const first = encode(['', '__name__', 'up', 'job', 'node'], [series([1, 2, 3, 4])]);
    const second = encode(['', 'job', 'other', 'node', '__name__', 'up'], [series([4, 5, 1, 3], 2)]);
    const [a] = identities(first);
    const [b] = identities(second);
    expect(a).toBeDefined();
    expect(b).toBe(a);
    expect(decodeWriteRequestV2(second).timeseries[0]?.labels).toEqual([
      { name: '__name__', value: 'up' },
      { name: 'job', value: 'node' },
    ]);
  });

  it('keeps symbols apart whose byte hashes collide', () => {
    const bytesOf = (s: string) => new TextEncoder().encode(s);
    const hashOf = (b: Uint8Array) =>
      hashBytes(new DataView(b.buffer, b.byteOffset, b.byteLength), b, 0, b.length);
    // Found by a search over generated names: these two hash alike.
    const [x, y] = ['kguzlwg9vqi5c', 'k1ksny9ief35bu'];
    expect(hashOf(bytesOf(x))).toBe(hashOf(bytesOf(y)));
    for (let round = 0; round < 2; round++) {
      const body = encode(['', '__name__', 'up', 'id', x, y], [series([1, 2, 3, 4]), series([1, 2, 3, 5])]);
      expect(decodeWriteRequestV2(body).timeseries.map((s) => s.labels[1]?.value)).toEqual([x, y]);
      const [a, b] = identities(body);
      expect(b).not.toBe(a);
    }
  });

  it('reads refs of one, two and three varint bytes (tables past 16,384 symbols)', () => {
    const symbols = Array.from({ length: 20_000 }, (_, i) => (i === 0 ? '' : `s${i}`));
    symbols[5] = '__name__';
    const body = encode(symbols, [series([5, 100, 200, 19_999, 16_384, 16_383])]);
    const reference = PromV2Request.toObject(PromV2Request.decode(body)) as {
      timeseries: { labelsRefs: number[] }[];
    };
    expect(reference.timeseries[0]?.labelsRefs).toEqual([5, 100, 200, 19_999, 16_384, 16_383]);
    expect(decodeWriteRequestV2(body).timeseries[0]?.labels).toEqual([
      { name: '__name__', value: 's100' },
      { name: 's200', value: 's19999' },
      { name: 's16384', value: 's16383' },
    ]);
  });

  it('refuses a ref past the symbols table, naming labels_refs', () => {
    expect(() => decodeWriteRequestV2(encode(['', '__name__', 'up'], [series([1, 200])]))).toThrow(
      new ProtobufDecodeError('labels_refs 200 is not in the symbols table (3 symbols)'),
    );
    expect(() => decodeWriteRequestV2(encode(['', '__name__', 'up'], [series([1, 20_000])]))).toThrow(
      ProtobufDecodeError,
    );
  });

  it('reads an empty packed labels_refs as no labels: that series is refused, the request is not', () => {
    // Series 1: labels_refs present but empty (tag 0x0a, length 0), one sample; series 2: a named one.
    const named = encode(['', '__name__', 'up'], [series([1, 2])]);
    const emptyRefs = Uint8Array.from([0x2a, 0x0d, 0x0a, 0x00, 0x12, 0x09, 0x09, ...new Uint8Array(8)]);
    const body = new Uint8Array([...named, ...emptyRefs]);
    const batch = remoteWriteBatchFrom((sink) => readWriteRequestV2(body, sink), T);
    expect(batch.samples.map((s) => s.metric)).toEqual(['up']);
    expect(batch.rejections).toEqual([
      { where: 'timeseries[1] (unnamed).samples[0]', reason: 'series has no __name__ label' },
    ]);
  });
});
