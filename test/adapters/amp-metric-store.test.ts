import { afterAll, describe, expect, it } from 'vitest';
import {
  AmpMetricStore,
  type AmpMetricStoreOptions,
  PROMETHEUS_REMOTE_WRITE_PATH,
  TokenBucket,
} from '#adapters/aws/amp-metric-store';
import { sigv4Signer, unsignedRequests } from '#adapters/aws/amp-sigv4';
import { UnavailableError } from '#domain/errors';
import type { Sample } from '#domain/metrics';
import type { MetricQuery } from '#domain/query';
import { decodeRemoteWriteBody } from '#protocols/prometheus/remote-write';
import { type RunningPrometheus, startPrometheus } from '../support/prometheus';
import { metricStoreContract } from './metric-store.contract';

const running: RunningPrometheus[] = [];
afterAll(async () => {
  await Promise.all(running.map((p) => p.stop()));
});

/** A fresh Prometheus (≈60 ms to start) and the AMP adapter pointed at it. */
async function ampOnPrometheus(
  options: Partial<AmpMetricStoreOptions> & { adminApi?: boolean } = {},
): Promise<{ store: AmpMetricStore; prometheus: RunningPrometheus }> {
  const prometheus = await startPrometheus({ adminApi: options.adminApi ?? false });
  running.push(prometheus);
  const store = new AmpMetricStore({
    workspaceUrl: prometheus.url,
    sign: unsignedRequests,
    remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
    ...options,
  });
  return { store, prometheus };
}

metricStoreContract(
  'AMP adapter against a real Prometheus (remote write + HTTP API)',
  async () => (await ampOnPrometheus()).store,
  Date.now,
);

const minute = () => Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
const range = (t0: number, extra: Partial<MetricQuery> = {}): MetricQuery => ({
  metric: 'cpu',
  fromMs: t0 - 1,
  toMs: t0 + 3_600_000,
  aggregation: 'avg',
  filters: {},
  ...extra,
});
const at = (
  t: number,
  value: number,
  dimensions: Record<string, string> = { host: 'a' },
  metric = 'cpu',
): Sample => ({
  metric,
  dimensions,
  timestampMs: t,
  value,
});

describe('AmpMetricStore tenant isolation', () => {
  it('a client dimension named like the tenant label or __name__ neither overrides nor widens the tenant', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    await store.write('victim', [at(t0, 1)]);
    const result = await store.write('attacker', [
      at(t0, 2, { tenant_id: 'victim', host: 'a' }),
      at(t0, 3, { __name__: 'cpu', host: 'b' }),
    ]);
    expect(result).toEqual({ accepted: 2, rejected: [] });
    // The victim still sees only its own point.
    expect(await store.query('victim', range(t0))).toEqual([
      { metric: 'cpu', dimensions: { host: 'a' }, points: [[t0, 1]] },
    ]);
    // The attacker's dimensions come back as written, under the attacker's tenant only.
    expect(await store.query('attacker', range(t0))).toEqual([
      { metric: 'cpu', dimensions: { __name__: 'cpu', host: 'b' }, points: [[t0, 3]] },
      { metric: 'cpu', dimensions: { host: 'a', tenant_id: 'victim' }, points: [[t0, 2]] },
    ]);
    // A filter named tenant_id narrows within the caller's tenant; it never reaches another tenant.
    expect(await store.query('attacker', range(t0, { filters: { tenant_id: 'victim' } }))).toEqual([
      { metric: 'cpu', dimensions: { host: 'a', tenant_id: 'victim' }, points: [[t0, 2]] },
    ]);
    expect(await store.query('victim', range(t0, { filters: { tenant_id: 'victim' } }))).toEqual([]);
  });

  it('PromQL metacharacters in tenant ids, metric names and filter values stay literal', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    await store.write('a', [at(t0, 1)]);
    const sneaky = 'a",tenant_id=~".*';
    expect(await store.query(sneaky, range(t0))).toEqual([]);
    expect(await store.query('b', range(t0, { filters: { host: 'a"} or {tenant_id="a' } }))).toEqual([]);
    await store.write(sneaky, [at(t0, 5, { host: 'x"y\\z\n' })]);
    expect(await store.query(sneaky, range(t0, { filters: { host: 'x"y\\z\n' } }))).toEqual([
      { metric: 'cpu', dimensions: { host: 'x"y\\z\n' }, points: [[t0, 5]] },
    ]);
  });

  it('an empty filter value matches nothing (PromQL would match series without the label)', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    await store.write('t', [at(t0, 1)]);
    expect(await store.query('t', range(t0, { filters: { dc: '' } }))).toEqual([]);
  });
});

describe('AmpMetricStore names', () => {
  it('round-trips OTLP-style names with dots, dashes and slashes, and names that look escaped', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    const dims = { 'service.name': 'api', 'k8s-pod': 'p-1', U__x: 'y', _under: 'u' };
    await store.write('t', [at(t0, 7, dims, 'http.server/duration-ms'), at(t0, 8, { host: 'a' }, 'U__cpu')]);
    expect(await store.query('t', range(t0, { metric: 'http.server/duration-ms' }))).toEqual([
      { metric: 'http.server/duration-ms', dimensions: dims, points: [[t0, 7]] },
    ]);
    expect(await store.query('t', range(t0, { metric: 'U__cpu' }))).toEqual([
      { metric: 'U__cpu', dimensions: { host: 'a' }, points: [[t0, 8]] },
    ]);
    expect(await store.tenantLabelNames('t', t0 - 60_000, t0 + 60_000)).toEqual(
      ['U__x', '_under', 'host', 'k8s-pod', 'service.name'].sort(),
    );
  });
});

describe('AmpMetricStore writes', () => {
  it('rejects, per datapoint, a series over the labels-per-series quota and stores the rest', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    const wide = Object.fromEntries(Array.from({ length: 69 }, (_, i) => [`d${i}`, 'v']));
    const result = await store.write('t', [at(t0, 1), at(t0, 2, wide), at(t0 + 1000, 3)]);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toEqual([
      {
        index: 1,
        reason: 'series has 71 labels (metric name and tenant included), more than the workspace limit of 70',
      },
    ]);
    expect((await store.query('t', range(t0)))[0]?.points).toEqual([
      [t0, 1],
      [t0 + 1000, 3],
    ]);
  });

  it('reports the samples the receiver refuses (too far out of order) one by one and keeps the others', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    await store.write('t', [at(t0 + 300_000, 1)]);
    // Older than the head by more than the 60 s out-of-order window: refused; the rest is fine.
    const result = await store.write('t', [
      at(t0 + 310_000, 2),
      at(t0, 99),
      at(t0 + 320_000, 3),
      at(t0 + 300_000, 4, { host: 'other' }),
    ]);
    expect(result.accepted).toBe(3);
    expect(result.rejected).toHaveLength(1);
    expect(result.rejected[0]?.index).toBe(1);
    expect(result.rejected[0]?.reason).toMatch(
      /^refused by the metric store: .*(out of order|out of bounds|too old)/,
    );
    expect(await store.query('t', range(t0))).toEqual([
      {
        metric: 'cpu',
        dimensions: { host: 'a' },
        points: [
          [t0 + 300_000, 1],
          [t0 + 310_000, 2],
          [t0 + 320_000, 3],
        ],
      },
      { metric: 'cpu', dimensions: { host: 'other' }, points: [[t0 + 300_000, 4]] },
    ]);
  });

  it('bounds the search for refused samples: past the budget a refused part is reported whole', async () => {
    const { prometheus } = await ampOnPrometheus();
    let requests = 0;
    const store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      splitBudget: 2,
      fetch: async () => {
        requests++;
        return new Response('out of order sample', { status: 400 });
      },
    });
    const t0 = minute();
    const result = await store.write('t', [at(t0, 1), at(t0 + 1, 2), at(t0 + 2, 3), at(t0 + 3, 4)]);
    // 1 request, then the two halves (the budget of 2), then each half reported whole.
    expect(requests).toBe(3);
    expect(result.accepted).toBe(0);
    expect(result.rejected.map((r) => r.index)).toEqual([0, 1, 2, 3]);
    expect(result.rejected[0]?.reason).toBe(
      'refused by the metric store with the 1 other samples of its request: out of order sample',
    );
  });

  it('halves a batch the receiver finds too large (413) until it fits', async () => {
    const { prometheus } = await ampOnPrometheus();
    const sizes: number[] = [];
    const store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      fetch: async (input, init) => {
        if (!String(input).endsWith(PROMETHEUS_REMOTE_WRITE_PATH)) return fetch(input, init);
        const samples =
          decodeRemoteWriteBody(init?.body as Uint8Array, 1 << 20).timeseries[0]?.samples.length ?? 0;
        sizes.push(samples);
        if (samples > 2) return new Response('request entity too large', { status: 413 });
        return fetch(input, init);
      },
    });
    const t0 = minute();
    const samples = Array.from({ length: 8 }, (_, i) => at(t0 + i * 1000, i));
    expect(await store.write('t', samples)).toEqual({ accepted: 8, rejected: [] });
    expect(sizes).toEqual([8, 4, 2, 2, 4, 2, 2]);
    expect((await store.query('t', range(t0)))[0]?.points).toHaveLength(8);
  });

  it('splits large calls into remote-write requests of at most maxSamplesPerRequest, series in time order', async () => {
    const bodies: Uint8Array[] = [];
    const prometheus = await startPrometheus();
    running.push(prometheus);
    const store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      maxSamplesPerRequest: 4,
      fetch: async (input, init) => {
        if (String(input).endsWith(PROMETHEUS_REMOTE_WRITE_PATH)) bodies.push(init?.body as Uint8Array);
        return fetch(input, init);
      },
    });
    const t0 = minute();
    const samples = Array.from({ length: 10 }, (_, i) => at(t0 + (9 - i) * 1000, i, { host: `h${i % 2}` }));
    expect(await store.write('t', samples)).toEqual({ accepted: 10, rejected: [] });
    const requests = bodies.map((b) => decodeRemoteWriteBody(b, 1 << 20));
    expect(requests.map((r) => r.timeseries.reduce((n, s) => n + s.samples.length, 0))).toEqual([4, 4, 2]);
    const first = requests[0]?.timeseries[0];
    expect(first?.labels).toEqual([
      { name: '__name__', value: 'cpu' },
      { name: 'host', value: 'h0' },
      { name: 'tenant_id', value: 't' },
    ]);
    const times = first?.samples.map((s) => s.timestamp) ?? [];
    expect(times).toEqual([...times].sort((a, b) => a - b));
    const stored = await store.query('t', range(t0, { stepSeconds: 3600, aggregation: 'count' }));
    expect(stored.map((s) => s.points[0]?.[1])).toEqual([5, 5]);
  });

  it('retries 429 and 5xx with backoff (honouring Retry-After), then gives up with UnavailableError', async () => {
    const { prometheus } = await ampOnPrometheus();
    const answers = [429, 503];
    const sleeps: number[] = [];
    const store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      fetch: async (input, init) => {
        const status = answers.shift();
        if (status) return new Response('slow down', { status, headers: { 'retry-after': '2' } });
        return fetch(input, init);
      },
    });
    const t0 = minute();
    expect(await store.write('t', [at(t0, 1)])).toEqual({ accepted: 1, rejected: [] });
    expect(sleeps).toEqual([2000, 2000]);

    const down = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      backoff: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
      sleep: async () => undefined,
      fetch: async () => new Response('boom', { status: 500 }),
    });
    await expect(down.write('t', [at(t0, 1)])).rejects.toBeInstanceOf(UnavailableError);
    await expect(down.query('t', range(t0))).rejects.toBeInstanceOf(UnavailableError);
  });

  it('abandons an attempt that hangs past requestTimeoutMs and retries it', async () => {
    let attempts = 0;
    const store = new AmpMetricStore({
      workspaceUrl: 'https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-1',
      sign: unsignedRequests,
      requestTimeoutMs: 50,
      backoff: { maxAttempts: 2, baseDelayMs: 1, maxDelayMs: 1 },
      fetch: (_url, init) =>
        new Promise((_, reject) => {
          attempts++;
          init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        }),
    });
    await expect(store.write('t', [at(minute(), 1)])).rejects.toBeInstanceOf(UnavailableError);
    expect(attempts).toBe(2);
  });

  it('a network fault is retried like a 5xx', async () => {
    const { prometheus } = await ampOnPrometheus();
    let failures = 1;
    const store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      sign: unsignedRequests,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      sleep: async () => undefined,
      fetch: async (input, init) => {
        if (failures-- > 0) throw new TypeError('fetch failed');
        return fetch(input, init);
      },
    });
    expect(await store.write('t', [at(minute(), 1)])).toEqual({ accepted: 1, rejected: [] });
  });

  it('sends every request SigV4-signed for aps when given the signer (Prometheus ignores the header)', async () => {
    const { prometheus } = await ampOnPrometheus();
    const seen: { path: string; authorization: string | null }[] = [];
    const store = new AmpMetricStore({
      workspaceUrl: prometheus.url,
      remoteWritePath: PROMETHEUS_REMOTE_WRITE_PATH,
      sign: sigv4Signer({
        region: 'eu-west-2',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
      }),
      fetch: async (input, init) => {
        seen.push({
          path: new URL(String(input)).pathname,
          authorization: new Headers(init?.headers).get('authorization'),
        });
        return fetch(input, init);
      },
    });
    const t0 = minute();
    expect(await store.write('t', [at(t0, 1)])).toEqual({ accepted: 1, rejected: [] });
    expect(await store.query('t', range(t0))).toHaveLength(1);
    expect(seen.map((s) => s.path)).toEqual([PROMETHEUS_REMOTE_WRITE_PATH, '/api/v1/query']);
    for (const s of seen)
      expect(s.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-west-2\/aps\/aws4_request/);
  });
});

describe('AmpMetricStore queries', () => {
  it('splits a long range into windows without losing or repeating a point at a window edge', async () => {
    const { store } = await ampOnPrometheus({ queryWindowMs: 25_000 });
    const t0 = minute();
    const samples = Array.from({ length: 12 }, (_, i) => at(t0 + i * 5_000, i));
    await store.write('t', samples);
    expect(await store.query('t', range(t0, { fromMs: t0, toMs: t0 + 55_000 }))).toEqual([
      { metric: 'cpu', dimensions: { host: 'a' }, points: samples.map((s) => [s.timestampMs, s.value]) },
    ]);
  });
});

describe('AmpMetricStore special values', () => {
  it('writes the stale marker as the marker (the series ends there for PromQL) and NaN as a value', async () => {
    const { store, prometheus } = await ampOnPrometheus();
    const t0 = minute();
    const stale: Sample = { ...at(t0 + 10_000, Number.NaN), stale: true };
    expect(await store.write('t', [at(t0, 1), stale, at(t0, Number.NaN, { host: 'b' })])).toEqual({
      accepted: 3,
      rejected: [],
    });
    const instant = async (ms: number) => {
      const form = new URLSearchParams({ query: 'cpu', time: (ms / 1000).toFixed(3) });
      const body = (await (await fetch(`${prometheus.url}/api/v1/query?${form}`)).json()) as {
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return body.data.result.map((r) => [r.metric['host'], r.value[1]]);
    };
    // Within the 5-minute lookback, host=a is present before its marker and absent after it.
    expect(await instant(t0 + 5_000)).toEqual([
      ['a', '1'],
      ['b', 'NaN'],
    ]);
    expect(await instant(t0 + 20_000)).toEqual([['b', 'NaN']]);
    expect(await store.query('t', range(t0))).toEqual([
      { metric: 'cpu', dimensions: { host: 'a' }, points: [[t0, 1]] },
      { metric: 'cpu', dimensions: { host: 'b' }, points: [[t0, Number.NaN]] },
    ]);
  });
});

describe('AmpMetricStore offboarding (TenantDataHolder)', () => {
  it('exports every sample of the tenant and nothing of another', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    await store.write('leaving', [at(t0, 1), at(t0 + 1000, 2), at(t0, 3, { host: 'b' }, 'mem')]);
    await store.write('staying', [at(t0, 9)]);
    const exported: unknown[] = [];
    for await (const record of store.exportTenant('leaving')) exported.push(record);
    expect(exported).toHaveLength(3);
    expect(exported).toEqual(
      expect.arrayContaining([at(t0, 1), at(t0 + 1000, 2), at(t0, 3, { host: 'b' }, 'mem')]),
    );
  });

  it('on AMP (no per-series delete) removes nothing and says so: erasure by retention', async () => {
    const { store } = await ampOnPrometheus();
    const t0 = minute();
    await store.write('leaving', [at(t0, 1)]);
    expect(store.erasure).toBe('retention');
    expect(store.retentionDays).toBe(150);
    expect(await store.deleteTenant('leaving')).toBe(0);
    expect(await store.query('leaving', range(t0))).toHaveLength(1);
  });

  it('on a Prometheus with the admin API deletes exactly the tenant’s series', async () => {
    const { store } = await ampOnPrometheus({ adminApi: true, erasure: 'prometheus-admin-api' });
    const t0 = minute();
    await store.write('leaving', [at(t0, 1), at(t0, 2, { host: 'b' })]);
    await store.write('staying', [at(t0, 9)]);
    expect(await store.deleteTenant('leaving')).toBe(2);
    expect(await store.query('leaving', range(t0))).toEqual([]);
    expect(await store.query('staying', range(t0))).toHaveLength(1);
  });
});

describe('AmpMetricStore ingestion pacing', () => {
  it('paces remote writes to the configured ingestion rate after the burst', async () => {
    let now = 0;
    const slept: number[] = [];
    const sent: number[] = [];
    const store = new AmpMetricStore({
      workspaceUrl: 'https://aps-workspaces.eu-west-2.amazonaws.com/workspaces/ws-1',
      sign: unsignedRequests,
      maxSamplesPerRequest: 1_000,
      ingestionSamplesPerSecond: 1_000,
      ingestionBurstSamples: 1_000,
      now: () => now,
      sleep: async (ms) => {
        slept.push(ms);
        now += ms;
      },
      fetch: async (_url, init) => {
        sent.push(now);
        expect(init?.body).toBeInstanceOf(Uint8Array);
        return new Response(null, { status: 204 });
      },
    });
    const t0 = minute();
    const samples = Array.from({ length: 2_500 }, (_, i) => at(t0 + i, i));
    expect(await store.write('t', samples)).toEqual({ accepted: 2_500, rejected: [] });
    // 1,000 from the burst at once, the next 1,000 a second later, the last 500 half a second after.
    expect(sent).toEqual([0, 1_000, 1_500]);
    expect(slept).toEqual([1_000, 500]);
  });
});

describe('TokenBucket', () => {
  it('lets a burst through and then paces to the rate', async () => {
    let now = 0;
    const slept: number[] = [];
    const bucket = new TokenBucket(
      100,
      200,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    await bucket.take(200);
    expect(slept).toEqual([]);
    await bucket.take(50);
    expect(slept).toEqual([500]);
    await bucket.take(1_000); // More than the burst: waits for a full bucket, never forever.
    expect(now).toBe(2_500);
  });
});
