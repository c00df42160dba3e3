/**
 * Native histograms (remote write 1.0 field 4, 2.0) and remote write 2.0 through the local platform,
 * as a sender sees them: the Written headers, 204/400/415, and what reads back through the query API
 * and the metric-metadata store. Bodies are built with protobufjs from the spec's .proto.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMetricMetadata } from '#adapters/local/sqlite-metric-metadata';
import {
  encodeRemoteWriteBody,
  type Histogram,
  REMOTE_WRITE_HEADERS,
} from '#protocols/prometheus/remote-write';
import { REMOTE_WRITE_V2_HEADERS } from '#protocols/prometheus/remote-write-v2';
import { snappyCompress } from '#protocols/snappy';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { integerHistogram } from './support/histogram-fixtures';
import { encodeRequestV2, type SeriesV2 } from './support/native-histograms';
import { encodeOtlp } from './support/reference';

let platform: TestPlatform;
let tenantId: string;
let ingestKey: string;
let adminToken: string;

beforeAll(async () => {
  platform = await startTestPlatform();
  ({ tenantId, adminToken } = await platform.createTenant());
  ({ ingestKey } = await platform.createCollector(adminToken));
});
afterAll(async () => {
  await platform?.destroy();
});

const now = Date.now() - 5000;

/** Schema 0 (base 2), integer deltas: negative bucket 1, zero bucket, positive buckets 0, 1 and 3. */
const intHistogram: Histogram = integerHistogram(now);

/**
 * The classic buckets intHistogram becomes: le → cumulative count, with an empty bucket at each lower
 * bound that is not the previous bound (−2, −0.001, 0.5 and 4).
 */
const intHistogramBuckets = {
  '-2': 0,
  '-1': 1,
  '-0.001': 1,
  '0.001': 2,
  '0.5': 2,
  '1': 4,
  '2': 5,
  '4': 5,
  '8': 9,
  '+Inf': 9,
};

async function write(headers: Record<string, string>, body: Uint8Array) {
  const response = await platform.request('/api/v1/write', {
    method: 'POST',
    token: ingestKey,
    headers,
    body: Buffer.from(body),
  });
  return {
    status: response.status,
    body: await response.text(),
    written: {
      samples: response.headers.get('x-prometheus-remote-write-samples-written'),
      histograms: response.headers.get('x-prometheus-remote-write-histograms-written'),
      exemplars: response.headers.get('x-prometheus-remote-write-exemplars-written'),
    },
  };
}

interface SeriesJson {
  metric: string;
  dimensions: Record<string, string>;
  points: [number, number][];
}

async function query(metric: string): Promise<SeriesJson[]> {
  const params = new URLSearchParams({ metric, from: String(now - 60_000), to: String(Date.now() + 60_000) });
  const response = await platform.request(`/v1/metrics/query?${params}`, { token: adminToken });
  expect(response.status).toBe(200);
  return ((await response.json()) as { series: SeriesJson[] }).series;
}

/** le → value of the `<metric>_bucket` series with these other dimensions. */
async function buckets(metric: string, dimensions: Record<string, string>) {
  const out: Record<string, number> = {};
  for (const s of await query(`${metric}_bucket`)) {
    const { le, ...rest } = s.dimensions;
    if (JSON.stringify(rest) === JSON.stringify(dimensions)) out[le!] = s.points[0]![1];
  }
  return out;
}

async function metadata() {
  const store = new SqliteMetricMetadata(join(platform.dataDir, 'metric-metadata.sqlite'));
  try {
    return await store.list(tenantId);
  } finally {
    store.close();
  }
}

describe('remote write 1.0 native histograms', () => {
  it('stores a native histogram as classic _bucket/_count/_sum series and says so in the Written headers', async () => {
    const body = encodeRemoteWriteBody({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'rw1_latency_seconds' },
            { name: 'job', value: 'api' },
          ],
          samples: [],
          histograms: [intHistogram],
          exemplarCount: 1,
        },
        {
          labels: [{ name: '__name__', value: 'rw1_up' }],
          samples: [{ value: 1, timestamp: now, stale: false }],
        },
      ],
      metadata: [{ type: 3, metricFamilyName: 'rw1_latency_seconds', help: 'Latency.', unit: 'seconds' }],
    });
    const result = await write({ ...REMOTE_WRITE_HEADERS }, body);
    expect(result.status, result.body).toBe(204);
    expect(result.written).toEqual({ samples: '1', histograms: '1', exemplars: '1' });
    expect(await buckets('rw1_latency_seconds', { job: 'api' })).toEqual(intHistogramBuckets);
    const [count] = await query('rw1_latency_seconds_count');
    expect(count).toMatchObject({ dimensions: { job: 'api' }, points: [[now, 9]] });
    const [sum] = await query('rw1_latency_seconds_sum');
    expect(sum).toMatchObject({ dimensions: { job: 'api' }, points: [[now, 12.5]] });
    expect(await metadata()).toContainEqual({
      metric: 'rw1_latency_seconds',
      type: 'histogram',
      help: 'Latency.',
      unit: 'seconds',
    });
  });

  it('answers 400 for a histogram whose spans and deltas disagree, storing and counting the rest', async () => {
    const broken: Histogram = { ...intHistogram, positiveDeltas: [1] };
    const body = encodeRemoteWriteBody({
      timeseries: [
        { labels: [{ name: '__name__', value: 'rw1_broken' }], samples: [], histograms: [broken] },
        {
          labels: [{ name: '__name__', value: 'rw1_fine' }],
          samples: [{ value: 2, timestamp: now, stale: false }],
        },
      ],
    });
    const result = await write({ ...REMOTE_WRITE_HEADERS }, body);
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).error.message).toContain(
      'timeseries[0] (rw1_broken).histograms[0]: bucket spans cover 3 buckets, but 1 counts are given',
    );
    expect(result.written).toEqual({ samples: '1', histograms: '0', exemplars: '0' });
    expect(await query('rw1_fine')).toHaveLength(1);
    expect(await query('rw1_broken_count')).toEqual([]);
  });
});

describe('remote write 2.0 (Content-Type proto=io.prometheus.write.v2.Request)', () => {
  const series: SeriesV2[] = [
    {
      labels: [
        { name: '__name__', value: 'rw2_requests_total' },
        { name: 'code', value: '200' },
      ],
      samples: [
        { value: 10, timestamp: now - 1000, stale: false },
        { value: 12, timestamp: now, stale: false },
      ],
      histograms: [],
      exemplars: [{ labels: [{ name: 'trace_id', value: 'abc' }], value: 1, timestamp: now }],
      metadata: { type: 1, help: 'Requests served.', unit: '' },
      createdTimestamp: now - 3600_000,
    },
    {
      labels: [{ name: '__name__', value: 'rw2_latency_seconds' }],
      samples: [],
      histograms: [intHistogram],
      exemplars: [],
      metadata: { type: 3, help: 'Latency.', unit: 'seconds' },
      createdTimestamp: 0,
    },
    {
      // Custom buckets (schema -53), float counts, a gauge histogram (reset hint 3).
      labels: [{ name: '__name__', value: 'rw2_queue_size' }],
      samples: [],
      histograms: [
        {
          ...intHistogram,
          float: true,
          count: 6.5,
          sum: 30,
          schema: -53,
          zeroCount: 0,
          negativeSpans: [],
          negativeDeltas: [],
          positiveSpans: [{ offset: 0, length: 3 }],
          positiveDeltas: [],
          positiveCounts: [1, 2, 3.5],
          resetHint: 3,
          customValues: [0.1, 1],
        },
      ],
      exemplars: [],
      metadata: { type: 4, help: '', unit: '' },
      createdTimestamp: 0,
    },
  ];

  it('stores samples and histograms, keeps the metadata, counts exemplars, ignores created timestamps', async () => {
    const result = await write({ ...REMOTE_WRITE_V2_HEADERS }, snappyCompress(encodeRequestV2(series)));
    expect(result.status, result.body).toBe(204);
    expect(result.written).toEqual({ samples: '2', histograms: '2', exemplars: '1' });
    const [requests] = await query('rw2_requests_total');
    expect(requests).toMatchObject({
      dimensions: { code: '200' },
      points: [
        [now - 1000, 10],
        [now, 12],
      ],
    });
    expect(await buckets('rw2_latency_seconds', {})).toEqual(intHistogramBuckets);
    expect(await buckets('rw2_queue_size', {})).toEqual({ '0.1': 1, '1': 3, '+Inf': 6.5 });
    expect((await query('rw2_queue_size_count'))[0]!.points).toEqual([[now, 6.5]]);
    const kept = await metadata();
    expect(kept).toContainEqual({
      metric: 'rw2_requests_total',
      type: 'counter',
      help: 'Requests served.',
      unit: '',
    });
    expect(kept).toContainEqual({
      metric: 'rw2_latency_seconds',
      type: 'histogram',
      help: 'Latency.',
      unit: 'seconds',
    });
    expect(kept).toContainEqual({ metric: 'rw2_queue_size', type: 'gaugehistogram', help: '', unit: '' });
  });

  it('answers 415 naming the accepted protos for an unknown proto, so a sender falls back to 1.0', async () => {
    const result = await write(
      {
        ...REMOTE_WRITE_V2_HEADERS,
        'content-type': 'application/x-protobuf;proto=io.prometheus.write.v3.Request',
      },
      snappyCompress(encodeRequestV2(series)),
    );
    expect(result.status).toBe(415);
    expect(JSON.parse(result.body).error.message).toBe(
      'remote write accepts proto=prometheus.WriteRequest (1.0, also the default) or proto=io.prometheus.write.v2.Request (2.0), not io.prometheus.write.v3.Request',
    );
    expect(result.written).toEqual({ samples: '0', histograms: '0', exemplars: '0' });
  });

  it('answers 400 with the Written headers for a body that is not a 2.0 Request', async () => {
    const result = await write(
      { ...REMOTE_WRITE_V2_HEADERS },
      snappyCompress(Uint8Array.from([0x22, 0x00, 0x2a, 0x03, 0x0a, 0x01, 0x09])),
    );
    expect(result.status).toBe(400);
    expect(JSON.parse(result.body).error.message).toContain('labels_refs 9 is not in the symbols table');
    expect(result.written).toEqual({ samples: '0', histograms: '0', exemplars: '0' });
  });
});

describe('OTLP metric metadata', () => {
  it("keeps each metric's type, description and unit, from protobuf and from JSON", async () => {
    const timeUnixNano = now * 1e6;
    const request = {
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'otlp.requests',
                  description: 'Requests served.',
                  unit: '{request}',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [{ timeUnixNano, asInt: 3 }],
                  },
                },
                {
                  name: 'otlp.queue',
                  unit: '1',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: false,
                    dataPoints: [{ timeUnixNano, asDouble: 2 }],
                  },
                },
                {
                  name: 'otlp.latency',
                  description: 'Latency.',
                  unit: 's',
                  exponentialHistogram: {
                    aggregationTemporality: 2,
                    dataPoints: [
                      { timeUnixNano, count: 1, scale: 0, positive: { offset: 0, bucketCounts: [1] } },
                    ],
                  },
                },
                { name: 'otlp.nothing', description: 'No points, no entry.', gauge: { dataPoints: [] } },
              ],
            },
          ],
        },
      ],
    };
    const proto = await platform.request('/v1/metrics', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from(encodeOtlp(request)),
    });
    expect(proto.status).toBe(200);
    const kept = await metadata();
    expect(kept).toContainEqual({
      metric: 'otlp.requests',
      type: 'counter',
      help: 'Requests served.',
      unit: '{request}',
    });
    expect(kept).toContainEqual({ metric: 'otlp.queue', type: 'gauge', help: '', unit: '1' });
    expect(kept).toContainEqual({ metric: 'otlp.latency', type: 'histogram', help: 'Latency.', unit: 's' });
    expect(kept.map((e) => e.metric)).not.toContain('otlp.nothing');

    const renamed = JSON.parse(JSON.stringify(request).replaceAll('Latency.', 'Latency, in JSON.'));
    const json = await platform.request('/v1/metrics', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(renamed),
    });
    expect(json.status).toBe(200);
    expect(await metadata()).toContainEqual({
      metric: 'otlp.latency',
      type: 'histogram',
      help: 'Latency, in JSON.',
      unit: 's',
    });
  });
});
