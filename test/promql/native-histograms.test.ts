/**
 * Native histograms: the platform stores them as classic buckets (`_bucket{le}`, `_count`, `_sum`,
 * shared/domain/ingest/native-histogram.ts), so the same remote-written histogram is queried on the
 * platform through those series and on a real Prometheus 2.42 (`--enable-feature=native-histograms`)
 * natively. What docs/promql-native-histograms.md promises is checked here: histogram_quantile over the
 * converted buckets equals Prometheus' native quantile (contiguous buckets), `_count`/`_sum` and a
 * bucket ratio give what histogram_count/histogram_sum/histogram_fraction give natively, and the
 * native-only functions answer what Prometheus 2.42 answers over float samples: nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequest, type Histogram } from '#protocols/prometheus/remote-write';
import { snappyCompress } from '#protocols/snappy';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { type LaunchedPrometheus, launchPrometheus } from '../support/prometheus';

const STEPS = 17;
const STEP_MS = 15_000;
/** Observations added per step to the positive buckets (0.5,1], (1,2], (2,4], (4,8], (8,16] and zero. */
const PER_STEP = [1, 3, 5, 2, 1];
const ZERO_PER_STEP = 1;

let platform: TestPlatform;
let prometheus: LaunchedPrometheus | undefined;
let tenantToken = '';
let evalSeconds = 0;

/** The k-th cumulative state of the histogram `lat` (an integer counter histogram, schema 0). */
function histogramAt(k: number, timestamp: number): Histogram {
  const counts = PER_STEP.map((n) => n * (k + 1));
  const zeroCount = ZERO_PER_STEP * (k + 1);
  const deltas = counts.map((c, i) => c - (i === 0 ? 0 : counts[i - 1]!));
  return {
    count: counts.reduce((a, b) => a + b, zeroCount),
    float: false,
    sum: (k + 1) * 37.5,
    schema: 0,
    zeroThreshold: 0.001,
    zeroCount,
    negativeSpans: [],
    negativeDeltas: [],
    negativeCounts: [],
    positiveSpans: [{ offset: 0, length: PER_STEP.length }],
    positiveDeltas: deltas,
    positiveCounts: [],
    resetHint: 0,
    timestamp,
    customValues: [],
    stale: false,
  };
}

async function remoteWrite(url: string, body: Uint8Array, token?: string) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-protobuf',
      'content-encoding': 'snappy',
      'x-prometheus-remote-write-version': '0.1.0',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: snappyCompress(body),
  });
  expect(response.status, `${url}: ${await response.text()}`).toBeLessThan(300);
}

interface Answer {
  status: string;
  data: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}
const instant = async (base: string, query: string, token?: string): Promise<Answer> => {
  const response = await fetch(`${base}/api/v1/query`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: new URLSearchParams({ query, time: String(evalSeconds) }),
  });
  return (await response.json()) as Answer;
};
/** The single value of an instant vector answer. */
const only = (answer: Answer): number => {
  expect(answer.status).toBe('success');
  expect(answer.data.result).toHaveLength(1);
  return Number(answer.data.result[0]!.value[1]);
};

beforeAll(async () => {
  platform = await startTestPlatform();
  const tenant = await platform.createTenant('native-histograms');
  tenantToken = tenant.adminToken;
  const { ingestKey } = await platform.createCollector(tenant.adminToken);
  prometheus = await launchPrometheus('global:\n  evaluation_interval: 1h\nscrape_configs: []\n', [
    '--web.enable-remote-write-receiver',
    '--enable-feature=native-histograms',
    '--log.level=warn',
  ]);
  const lastMs = Math.floor(Date.now() / STEP_MS) * STEP_MS - STEP_MS;
  const firstMs = lastMs - (STEPS - 1) * STEP_MS;
  evalSeconds = lastMs / 1000;
  const body = encodeWriteRequest({
    timeseries: [
      {
        labels: [
          { name: '__name__', value: 'lat' },
          { name: 'job', value: 'api' },
        ],
        samples: [],
        histograms: Array.from({ length: STEPS }, (_, k) => histogramAt(k, firstMs + k * STEP_MS)),
      },
      {
        // A classic bucket as float samples, the shape the platform stores: to both.
        labels: [
          { name: '__name__', value: 'classic_bucket' },
          { name: 'le', value: '1' },
        ],
        samples: Array.from({ length: STEPS }, (_, k) => ({
          value: k + 1,
          timestamp: firstMs + k * STEP_MS,
          stale: false,
        })),
      },
    ],
  });
  await remoteWrite(`${prometheus.url}/api/v1/write`, body);
  await remoteWrite(`${platform.url}/api/v1/write`, body, ingestKey);
}, 60_000);

afterAll(async () => {
  await prometheus?.stop();
  await platform?.destroy();
});

describe('native histograms, stored as classic buckets, against Prometheus 2.42 native', () => {
  it('stores the histogram as _bucket (one per bucket, le as Prometheus spells it), _count and _sum', async () => {
    const buckets = await instant(platform.url, 'lat_bucket', tenantToken);
    expect(buckets.data.result.map((s) => s.metric['le'])).toEqual([
      '+Inf',
      '0.001',
      '0.5',
      '1',
      '16',
      '2',
      '4',
      '8',
    ]);
    expect(only(await instant(platform.url, 'lat_count', tenantToken))).toBe(13 * STEPS);
    expect(only(await instant(platform.url, 'lat_sum', tenantToken))).toBe(37.5 * STEPS);
  });

  it.each([
    ['histogram_quantile(0.9, rate(lat[2m]))', 'histogram_quantile(0.9, rate(lat_bucket[2m]))'],
    ['histogram_quantile(0.5, rate(lat[2m]))', 'histogram_quantile(0.5, rate(lat_bucket[2m]))'],
    ['histogram_quantile(0.02, lat)', 'histogram_quantile(0.02, lat_bucket)'],
    ['histogram_quantile(0.3, lat)', 'histogram_quantile(0.3, lat_bucket)'],
    // In the first positive bucket (0.5, 1], after the zero bucket: interpolated from 0.5, not 0.001.
    ['histogram_quantile(0.1, lat)', 'histogram_quantile(0.1, lat_bucket)'],
    [
      'histogram_quantile(0.99, sum by (job) (rate(lat[1m])))',
      'histogram_quantile(0.99, sum by (job, le) (rate(lat_bucket[1m])))',
    ],
    ['histogram_count(rate(lat[2m]))', 'rate(lat_count[2m])'],
    ['histogram_sum(rate(lat[2m]))', 'rate(lat_sum[2m])'],
    ['histogram_count(lat)', 'lat_count'],
    ['histogram_sum(lat)', 'lat_sum'],
    [
      'histogram_fraction(0, 4, rate(lat[2m]))',
      'rate(lat_bucket{le="4"}[2m]) / ignoring(le) rate(lat_count[2m])',
    ],
    ['histogram_fraction(0, 2, lat)', 'lat_bucket{le="2"} / ignoring(le) lat_count'],
  ])('Prometheus native %s equals the platform’s %s', async (native, classic) => {
    const want = only(await instant(prometheus!.url, native));
    const got = only(await instant(platform.url, classic, tenantToken));
    expect(Number.isFinite(want)).toBe(true);
    expect(Math.abs(got - want)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want)));
  });

  it('answers the native-only functions over the stored float series as Prometheus 2.42 does over float samples: nothing', async () => {
    for (const fn of ['histogram_count(%s)', 'histogram_sum(%s)', 'histogram_fraction(0, 4, %s)']) {
      for (const series of ['lat_bucket', 'lat_count', 'rate(lat_bucket[2m])']) {
        const query = fn.replace('%s', series);
        const got = await instant(platform.url, query, tenantToken);
        expect(got.status, query).toBe('success');
        expect(got.data.result, query).toEqual([]);
      }
      // Prometheus itself over float samples of that shape: empty as well.
      const query = fn.replace('%s', 'classic_bucket');
      expect(only(await instant(prometheus!.url, 'classic_bucket'))).toBe(STEPS);
      expect((await instant(prometheus!.url, query)).data.result, query).toEqual([]);
      expect((await instant(platform.url, query, tenantToken)).data.result, query).toEqual([]);
    }
  });
});
