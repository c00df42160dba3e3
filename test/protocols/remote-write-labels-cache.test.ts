/**
 * The remote-write reader remembers label sets by their bytes: a series re-sent by the next scrape
 * gets the same identity (and its consumers the same mapping) without its labels being decoded again.
 * The answers must not change: same labels, same samples, same refusals.
 */
import { describe, expect, it } from 'vitest';
import { remoteWriteBatchFrom } from '#domain/ingest/remote-write';
import {
  decodeWriteRequest,
  encodeWriteRequest,
  hashBytes,
  type LabelsIdentity,
  readWriteRequest,
  type WriteRequest,
} from '#protocols/prometheus/remote-write';

const request = (value: number, instance = 'a:9100'): WriteRequest => ({
  timeseries: [
    {
      labels: [
        { name: '__name__', value: 'up' },
        { name: 'instance', value: instance },
        { name: 'job', value: 'node' },
      ],
      samples: [{ value, timestamp: 1_700_000_000_000, stale: false }],
    },
  ],
  metadata: [],
});

function identities(bytes: Uint8Array): (LabelsIdentity | undefined)[] {
  const seen: (LabelsIdentity | undefined)[] = [];
  readWriteRequest(bytes, {
    series: (read) => {
      seen.push(read.identity);
    },
    metadata: () => {},
  });
  return seen;
}

describe('remote-write labels remembered by their bytes', () => {
  it('hands the same identity to the same labels in later requests, whatever the samples', () => {
    const first = identities(encodeWriteRequest(request(1, 'same:1')))[0];
    const second = identities(encodeWriteRequest(request(2, 'same:1')))[0];
    const other = identities(encodeWriteRequest(request(2, 'other:1')))[0];
    expect(first).toBeDefined();
    expect(second).toBe(first);
    expect(other).not.toBe(first);
    expect(second?.labels).toEqual(['__name__', 'up', 'instance', 'same:1', 'job', 'node']);
  });

  it('decodes a remembered series exactly as a new one', () => {
    const bytes = encodeWriteRequest(request(3, 'again:1'));
    const fresh = decodeWriteRequest(bytes);
    const remembered = decodeWriteRequest(bytes);
    expect(remembered).toEqual(fresh);
    expect(remembered).toEqual(request(3, 'again:1'));
  });

  it('maps a remembered series to the same dimensions object, and still refuses what is invalid', () => {
    const now = 1_700_000_000_000;
    const batchOf = (r: WriteRequest) =>
      remoteWriteBatchFrom((sink) => readWriteRequest(encodeWriteRequest(r), sink), now);
    const a = batchOf(request(1, 'dims:1'));
    const b = batchOf(request(2, 'dims:1'));
    expect(b.samples[0]?.dimensions).toBe(a.samples[0]?.dimensions);
    expect(b.samples[0]).toEqual({
      metric: 'up',
      dimensions: { instance: 'dims:1', job: 'node' },
      timestampMs: now,
      value: 2,
    });
    const unnamed: WriteRequest = {
      timeseries: [
        { labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1, timestamp: now, stale: false }] },
      ],
      metadata: [],
    };
    for (let i = 0; i < 2; i++) {
      const refused = batchOf(unnamed);
      expect(refused.samples).toEqual([]);
      expect(JSON.stringify(refused)).toContain('series has no __name__ label');
    }
  });

  it('gives no identity to a series with a label after its samples (its labels are not one run)', () => {
    const base = encodeWriteRequest(request(1, 'split:1'));
    // Rebuild the TimeSeries as: label, sample, label, label.
    const ts = decodeWriteRequest(base).timeseries[0]!;
    const label = (name: string, value: string) =>
      encodeWriteRequest({ timeseries: [{ labels: [{ name, value }], samples: [] }], metadata: [] }).subarray(
        2,
      );
    const sample = encodeWriteRequest({
      timeseries: [{ labels: [], samples: ts.samples }],
      metadata: [],
    }).subarray(2);
    const body = Buffer.concat([
      label('__name__', 'up'),
      sample,
      label('instance', 'split:1'),
      label('job', 'node'),
    ]);
    const bytes = Buffer.concat([Buffer.from([0x0a, body.length]), body]);
    for (let i = 0; i < 2; i++) {
      expect(identities(bytes)).toEqual([undefined]);
      expect(decodeWriteRequest(bytes)).toEqual(request(1, 'split:1'));
    }
  });
});

describe('remote-write labels remembered, then extended', () => {
  it('adds a label that follows the samples to a copy, never to the remembered labels', () => {
    const known = request(1, 'extend:1');
    const knownBytes = encodeWriteRequest(known);
    decodeWriteRequest(knownBytes); // remembered now
    // The same leading labels, then the sample, then one more label.
    const ts = known.timeseries[0]!;
    const leading = encodeWriteRequest({
      timeseries: [{ labels: ts.labels, samples: ts.samples }],
      metadata: [],
    }).subarray(2);
    const extra = encodeWriteRequest({
      timeseries: [{ labels: [{ name: 'zone', value: 'a' }], samples: [] }],
      metadata: [],
    }).subarray(2);
    const body = Buffer.concat([leading, extra]);
    const extended = Buffer.concat([Buffer.from([0x0a, body.length]), body]);
    expect(identities(extended)).toEqual([undefined]);
    expect(decodeWriteRequest(extended).timeseries[0]?.labels).toEqual([
      ...ts.labels,
      { name: 'zone', value: 'a' },
    ]);
    // The remembered series is unchanged.
    expect(decodeWriteRequest(knownBytes)).toEqual(known);
    expect(identities(knownBytes)[0]?.labels).toEqual([
      '__name__',
      'up',
      'instance',
      'extend:1',
      'job',
      'node',
    ]);
  });
});

describe('remote-write label runs with hostile lengths', () => {
  it('ends on a label length whose fifth varint byte reaches the sign bit (as an int32 it stepped back)', () => {
    // Label tag, then a length of 0xfffffffa: as a signed 32-bit sum, -6, back onto the label tag.
    const label = Buffer.from([0x0a, 0xfa, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02]);
    const request = Buffer.concat([Buffer.from([0x0a, label.length]), label]);
    expect(() => decodeWriteRequest(request)).toThrow();
  });
});

describe('remote-write labels whose bytes hash alike', () => {
  /** The leading label run of {__name__="up", instance}, as the reader hashes it. */
  const labelRun = (instance: string) =>
    encodeWriteRequest({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'instance', value: instance },
          ],
          samples: [],
        },
      ],
    }).subarray(2);
  const hashOf = (bytes: Uint8Array) =>
    hashBytes(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), bytes, 0, bytes.length);

  it('keeps two label sets apart when their 32-bit hashes collide', () => {
    // Found by searching host-0, host-1, …: these two hash alike.
    expect(hashOf(labelRun('host-30005'))).toBe(hashOf(labelRun('host-40000')));
    const one = (instance: string, value: number): WriteRequest => ({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'up' },
            { name: 'instance', value: instance },
          ],
          samples: [{ value, timestamp: 1_700_000_000_000, stale: false }],
        },
      ],
      metadata: [],
    });
    for (let i = 0; i < 2; i++) {
      const a = encodeWriteRequest(one('host-30005', i));
      const b = encodeWriteRequest(one('host-40000', i));
      expect(decodeWriteRequest(a)).toEqual(one('host-30005', i));
      expect(decodeWriteRequest(b)).toEqual(one('host-40000', i));
      const [identityA] = identities(a);
      const [identityB] = identities(b);
      expect(identityA).toBeDefined();
      expect(identityB).not.toBe(identityA);
    }
  });
});
