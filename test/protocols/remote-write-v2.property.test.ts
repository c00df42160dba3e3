/**
 * Remote write 2.0 and native histograms on the wire: the hand-written readers decode every valid
 * message exactly as protobufjs (loaded with the spec's .proto as written in schema-v2.ts) does, and
 * any other bytes only ever raise a 400-class decode error.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#domain/errors';
import type { LabelsIdentity } from '#protocols/prometheus/remote-write';
import {
  decodeWriteRequest,
  encodeWriteRequest,
  type WriteRequest,
} from '#protocols/prometheus/remote-write';
import { decodeWriteRequestV2, readWriteRequestV2 } from '#protocols/prometheus/remote-write-v2';
import {
  encodeRequestV2,
  expectedV2,
  histogramArbitrary,
  histogramObject,
  referenceV2,
  seriesV2Arbitrary,
} from './support/native-histograms';
import { PromWriteRequest, referenceWriteRequest } from './support/reference';

const label = fc.record({ name: fc.string(), value: fc.string() });

/** 1.0 requests with native histograms and exemplars (prometheus v2.42 prompb has no custom_values). */
const writeRequestWithHistograms: fc.Arbitrary<WriteRequest> = fc.record({
  timeseries: fc.array(
    fc.record({
      labels: fc.array(label, { maxLength: 3 }),
      samples: fc.array(
        fc.record({
          value: fc.double(),
          timestamp: fc.integer({ min: 0, max: 2 ** 50 }),
          stale: fc.constant(false),
        }),
        { maxLength: 2 },
      ),
      histograms: fc.array(histogramArbitrary({ customValues: false }), { minLength: 1, maxLength: 3 }),
      exemplarCount: fc.integer({ min: 1, max: 3 }),
    }),
    { maxLength: 4 },
  ),
  metadata: fc.constant([]),
});

/** Only a decode error (a 400) may come out of a reader; anything else is a bug. */
function decodesOrRefuses(decode: () => unknown): void {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
  }
}

describe('remote write 1.0 native histograms', () => {
  it('round-trips histograms through our encoder and decoder, and protobufjs reads them the same', () => {
    fc.assert(
      fc.property(writeRequestWithHistograms, (request) => {
        const bytes = encodeWriteRequest(request);
        expect(decodeWriteRequest(bytes)).toEqual(request);
        expect(referenceWriteRequest(bytes)).toEqual(request);
      }),
      { numRuns: 300 },
    );
  });

  it('decodes the bodies protobufjs encodes (packed repeated fields, every oneof member)', () => {
    fc.assert(
      fc.property(writeRequestWithHistograms, (request) => {
        const bytes = PromWriteRequest.encode(
          PromWriteRequest.fromObject({
            timeseries: request.timeseries.map((t) => ({
              labels: t.labels,
              samples: t.samples,
              histograms: (t.histograms ?? []).map(histogramObject),
              exemplars: Array.from({ length: t.exemplarCount ?? 0 }, (_, i) => ({ value: i, timestamp: i })),
            })),
          }),
        ).finish();
        expect(decodeWriteRequest(bytes).timeseries).toEqual(request.timeseries);
      }),
      { numRuns: 300 },
    );
  });

  it('raises only decode errors for mutated and truncated bodies', () => {
    fc.assert(
      fc.property(writeRequestWithHistograms, fc.nat(), fc.nat(255), (request, at, byte) => {
        const bytes = encodeWriteRequest(request);
        if (bytes.length === 0) return;
        const mutated = Uint8Array.from(bytes);
        mutated[at % bytes.length] = byte;
        decodesOrRefuses(() => decodeWriteRequest(mutated));
        decodesOrRefuses(() => decodeWriteRequest(bytes.subarray(0, at % bytes.length)));
      }),
      { numRuns: 500 },
    );
  });
});

describe('remote write 2.0 decoder', () => {
  it('decodes every field of valid requests as protobufjs does, symbols resolved', () => {
    fc.assert(
      fc.property(fc.array(seriesV2Arbitrary, { maxLength: 5 }), (series) => {
        const bytes = encodeRequestV2(series);
        const decoded = decodeWriteRequestV2(bytes).timeseries;
        expect(decoded).toEqual(expectedV2(series));
        expect(decoded).toEqual(referenceV2(bytes));
      }),
      { numRuns: 300 },
    );
  });

  it('reads the symbols table wherever it sits in the message', () => {
    const series = [
      {
        labels: [{ name: '__name__', value: 'up' }],
        samples: [{ value: 1, timestamp: 5, stale: false }],
        histograms: [],
        exemplars: [],
        createdTimestamp: 0,
      },
    ];
    const bytes = encodeRequestV2(series);
    // Move the series (field 5) ahead of the symbols (field 4): protobuf allows any order.
    const symbolsEnd = bytes.indexOf(0x2a);
    const reordered = new Uint8Array([...bytes.subarray(symbolsEnd), ...bytes.subarray(0, symbolsEnd)]);
    expect(decodeWriteRequestV2(reordered).timeseries).toEqual(expectedV2(series));
  });

  it('hands the same labels the same identity across requests, whatever the symbol order, and only them', () => {
    const identities = (labelSets: { name: string; value: string }[][]) => {
      const seen: (LabelsIdentity | undefined)[] = [];
      const body = encodeRequestV2(
        labelSets.map((labels) => ({
          labels,
          samples: [],
          histograms: [],
          exemplars: [],
          createdTimestamp: 0,
        })),
      );
      readWriteRequestV2(body, { series: (read) => void seen.push(read.identity), metadata: () => {} });
      return seen;
    };
    const a = [
      { name: '__name__', value: 'v2_identity' },
      { name: 'job', value: 'x' },
    ];
    const b = [
      { name: '__name__', value: 'v2_identity' },
      { name: 'job', value: 'y' },
    ];
    const [first] = identities([a]);
    // b first: the symbols table numbers a's strings differently this time.
    const [otherB, again] = identities([b, a]);
    expect(first).toBeDefined();
    expect(again).toBe(first);
    expect(otherB).not.toBe(first);
    expect(first!.labels).toEqual(['__name__', 'v2_identity', 'job', 'x']);
  });

  it('refuses a reference outside the symbols table and an odd number of label refs as decode errors', () => {
    const outside = Uint8Array.from([0x22, 0x00, 0x2a, 0x03, 0x0a, 0x01, 0x05]);
    expect(() => decodeWriteRequestV2(outside)).toThrow(
      /labels_refs 5 is not in the symbols table \(1 symbols\)/,
    );
    const odd = Uint8Array.from([0x22, 0x00, 0x2a, 0x03, 0x0a, 0x01, 0x00]);
    expect(() => decodeWriteRequestV2(odd)).toThrow(/odd length/);
    const helpOutside = Uint8Array.from([0x22, 0x00, 0x2a, 0x04, 0x2a, 0x02, 0x18, 0x07]);
    expect(() => decodeWriteRequestV2(helpOutside)).toThrow(/metadata.help_ref 7/);
  });

  it('raises only decode errors for arbitrary, mutated and truncated bodies', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        decodesOrRefuses(() => decodeWriteRequestV2(bytes));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.array(seriesV2Arbitrary, { maxLength: 3 }),
        fc.nat(),
        fc.nat(255),
        (series, at, byte) => {
          const bytes = encodeRequestV2(series);
          if (bytes.length === 0) return;
          const mutated = Uint8Array.from(bytes);
          mutated[at % bytes.length] = byte;
          decodesOrRefuses(() => decodeWriteRequestV2(mutated));
          decodesOrRefuses(() => decodeWriteRequestV2(bytes.subarray(0, at % bytes.length)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
