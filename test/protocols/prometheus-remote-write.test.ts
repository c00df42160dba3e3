/**
 * A real, unmodified Prometheus scrapes a small target served by this test and remote-writes to the
 * local platform (through a recording proxy) with the ingest key as bearer token. Every sample it
 * sent is found through the query API with its labels; stale markers arrive and are not returned; the
 * bytes it sent decode the same with our codec and with protobufjs.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { uncompress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMetricMetadata } from '#adapters/local/sqlite-metric-metadata';
import { decodeRemoteWriteBody, type WriteRequest } from '#protocols/prometheus/remote-write';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { type CaptureProxy, startCaptureProxy } from './support/capture-proxy';
import { type ScrapingPrometheus, startScrapingPrometheus } from './support/prometheus-agent';
import { referenceWriteRequest, withoutStaleFlags } from './support/reference';

interface SeriesJson {
  metric: string;
  dimensions: Record<string, string>;
  points: [number, number][];
}

let platform: TestPlatform;
let proxy: CaptureProxy;
let target: Server;
let prometheus: ScrapingPrometheus | undefined;
let scrapes = 0;

/** Exposition text; the counter grows per scrape, and `shop_ephemeral` vanishes after two scrapes. */
function exposition(): string {
  scrapes++;
  return [
    '# TYPE shop_orders_total counter',
    `shop_orders_total{region="eu"} ${10 + scrapes}`,
    `shop_orders_total{region="us"} ${100 + 2 * scrapes}`,
    '# TYPE shop_temperature gauge',
    'shop_temperature{room="lab"} 21.5',
    '# TYPE shop_latency_seconds histogram',
    'shop_latency_seconds_bucket{le="0.1"} 1',
    'shop_latency_seconds_bucket{le="1"} 3',
    'shop_latency_seconds_bucket{le="+Inf"} 4',
    'shop_latency_seconds_sum 2.5',
    'shop_latency_seconds_count 4',
    ...(scrapes <= 2 ? ['# TYPE shop_ephemeral gauge', 'shop_ephemeral{id="x"} 1'] : []),
    '',
  ].join('\n');
}

beforeAll(async () => {
  platform = await startTestPlatform();
  proxy = await startCaptureProxy(platform.url);
  target = createServer((_req, res) => {
    const body = exposition();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await prometheus?.stop();
  await new Promise<void>((resolve) => target?.close(() => resolve()));
  await proxy?.close();
  await platform?.destroy();
});

const decoded = (body: Buffer): WriteRequest => decodeRemoteWriteBody(body, 8 * 1024 * 1024);

function sawStaleMarker(metric: string): boolean {
  return proxy.exchanges.some(
    (e) =>
      e.status === 204 &&
      decoded(e.body).timeseries.some(
        (t) =>
          t.labels.some((l) => l.name === '__name__' && l.value === metric) && t.samples.some((s) => s.stale),
      ),
  );
}

async function query(token: string, metric: string, filters: Record<string, string>): Promise<SeriesJson[]> {
  const params = new URLSearchParams({
    metric,
    from: String(Date.now() - 3600_000),
    to: String(Date.now() + 60_000),
    ...filters,
  });
  const response = await platform.request(`/v1/metrics/query?${params}`, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { series: SeriesJson[] }).series;
}

describe('Prometheus → POST /api/v1/write', () => {
  it('stores every sample a real Prometheus remote-writes, with its labels, and no stale markers', async () => {
    const { tenantId, adminToken } = await platform.createTenant();
    const { ingestKey } = await platform.createCollector(adminToken);
    const { port } = target.address() as AddressInfo;
    prometheus = await startScrapingPrometheus({
      target: `127.0.0.1:${port}`,
      remoteWriteUrl: `${proxy.url}/api/v1/write`,
      bearerToken: ingestKey,
    });

    // Until the vanished series' stale marker went out and the counter has a few samples through.
    const deadline = Date.now() + 60_000;
    while (true) {
      const orders = proxy.exchanges
        .filter((e) => e.status === 204)
        .flatMap((e) => decoded(e.body).timeseries)
        .filter((t) => t.labels.some((l) => l.value === 'shop_orders_total'));
      const sawMetadata = proxy.exchanges.some(
        (e) => e.status === 204 && (decoded(e.body).metadata ?? []).length > 0,
      );
      if (orders.length >= 3 && sawStaleMarker('shop_ephemeral') && sawMetadata) break;
      if (Date.now() > deadline)
        throw new Error(
          `Prometheus did not deliver in 60 s; exchanges: ${proxy.exchanges.map((e) => `${e.status} ${e.responseBody}`).join(', ')}\n${prometheus.log()}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await prometheus.stop();
    prometheus = undefined;

    const writes = proxy.exchanges.filter((e) => e.path === '/api/v1/write');
    expect(writes.length).toBeGreaterThan(0);
    for (const w of writes) {
      expect(w.status, w.responseBody.toString()).toBe(204);
      expect(w.headers['content-encoding']).toBe('snappy');
      expect(w.headers['content-type']).toBe('application/x-protobuf');
      expect(w.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
      // Our codec reads Prometheus's bytes as protobufjs does.
      const raw = uncompress(new Uint8Array(w.body));
      expect(withoutStaleFlags(decoded(w.body))).toEqual(referenceWriteRequest(raw));
      // The 2.0 Written headers, on 1.0 too: every sample was stored, stale markers included.
      const samples = decoded(w.body).timeseries.reduce((n, t) => n + t.samples.length, 0);
      expect(w.responseHeaders['x-prometheus-remote-write-samples-written']).toBe(String(samples));
      expect(w.responseHeaders['x-prometheus-remote-write-histograms-written']).toBe('0');
    }
    // Metadata-only requests were among them (metadata_config), and were accepted and kept.
    expect(writes.some((w) => (decoded(w.body).metadata ?? []).length > 0)).toBe(true);
    const metadata = new SqliteMetricMetadata(join(platform.dataDir, 'metric-metadata.sqlite'));
    const kept = await metadata.list(tenantId);
    metadata.close();
    expect(kept).toContainEqual({ metric: 'shop_orders_total', type: 'counter', help: '', unit: '' });
    expect(kept).toContainEqual({ metric: 'shop_latency_seconds', type: 'histogram', help: '', unit: '' });

    // Every non-stale sample sent is queryable, exactly, under its labels.
    const sent = new Map<
      string,
      { metric: string; labels: Record<string, string>; points: [number, number][] }
    >();
    for (const w of writes) {
      for (const t of decoded(w.body).timeseries) {
        const labels = Object.fromEntries(
          t.labels.filter((l) => l.name !== '__name__').map((l) => [l.name, l.value]),
        );
        const metric = t.labels.find((l) => l.name === '__name__')!.value;
        const key = JSON.stringify([metric, labels]);
        const entry = sent.get(key) ?? { metric, labels, points: [] };
        for (const s of t.samples) if (!s.stale) entry.points.push([s.timestamp, s.value]);
        sent.set(key, entry);
      }
    }
    const names = new Set([...sent.values()].map((s) => s.metric));
    for (const expected of [
      'shop_orders_total',
      'shop_temperature',
      'shop_latency_seconds_bucket',
      'shop_latency_seconds_sum',
      'shop_latency_seconds_count',
      'shop_ephemeral',
      'up',
    ])
      expect(names).toContain(expected);

    for (const { metric, labels, points } of sent.values()) {
      const series = await query(adminToken, metric, labels);
      const exact = series.filter((s) => JSON.stringify(s.dimensions) === JSON.stringify(sortKeys(labels)));
      expect(exact, `${metric} ${JSON.stringify(labels)}`).toHaveLength(1);
      const stored = new Map(exact[0]!.points.map(([t, v]) => [t, v]));
      for (const [t, v] of points) expect(stored.get(t), `${metric} ${JSON.stringify(labels)} @${t}`).toBe(v);
      expect(exact[0]!.points.length).toBe(new Set(points.map((p) => p[0])).size);
    }
    const eu = await query(adminToken, 'shop_orders_total', { region: 'eu' });
    expect(eu[0]!.dimensions).toEqual({
      env: 'test',
      instance: `127.0.0.1:${port}`,
      job: 'shop',
      region: 'eu',
    });
    // The stale marker ended the series; it is kept as a marker, never returned as a value.
    const ephemeral = await query(adminToken, 'shop_ephemeral', { id: 'x' });
    expect(ephemeral[0]!.points.every(([, v]) => v === 1)).toBe(true);
  }, 90_000);
});

function sortKeys(o: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
