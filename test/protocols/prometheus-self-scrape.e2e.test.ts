/**
 * A stock Prometheus 2.42 (Debian's /usr/bin/prometheus) scraping itself every second and
 * remote-writing to the local platform with an ingest key, as a new user would set it up. Its own
 * summaries without observations carry NaN quantiles (prometheus_engine_query_duration_seconds until
 * it has run a query), so every batch it sends holds NaN samples: none may be refused, since
 * Prometheus drops a refused batch whole. Its own counters must show nothing failed and nothing
 * retried, and the NaN quantiles must read back as "NaN" through GET /v1/metrics/query.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';
import { launchPrometheus, selfMetric, selfScrapeConfig } from '../support/prometheus';

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform();
});
afterAll(async () => {
  await platform?.destroy();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a stock Prometheus scraping itself and remote-writing to the platform', () => {
  it('sends for 30 s with nothing failed or retried, and its NaN quantiles read back as "NaN"', async () => {
    const { adminToken } = await platform.createTenant('self-scrape');
    const { ingestKey } = await platform.createCollector(adminToken);
    const prometheus = await launchPrometheus(
      (port) =>
        selfScrapeConfig(port, { remoteWrite: { url: `${platform.url}/api/v1/write`, token: ingestKey } }),
      ['--log.level=warn'],
    );
    try {
      const counters = async () => ({
        sent: await selfMetric(prometheus.url, 'prometheus_remote_storage_samples_total'),
        failed: await selfMetric(prometheus.url, 'prometheus_remote_storage_samples_failed_total'),
        retried: await selfMetric(prometheus.url, 'prometheus_remote_storage_samples_retried_total'),
        dropped: await selfMetric(prometheus.url, 'prometheus_remote_storage_samples_dropped_total'),
      });
      // Prometheus scrapes after its first service-discovery update (a few seconds), then sends.
      const deadline = Date.now() + 30_000;
      while ((await counters()).sent === 0) {
        if (Date.now() > deadline) throw new Error(`nothing sent within 30 s: ${prometheus.log()}`);
        await sleep(500);
      }
      await sleep(30_000);
      const after = await counters();
      expect(after.sent, prometheus.log()).toBeGreaterThan(10_000);
      expect(after).toEqual({ sent: after.sent, failed: 0, retried: 0, dropped: 0 });

      const now = Date.now();
      const response = await platform.request(
        `/v1/metrics/query?metric=prometheus_engine_query_duration_seconds&from=${now - 600_000}&to=${now}`,
        { token: adminToken },
      );
      expect(response.status).toBe(200);
      const { series } = (await bodyOf(response)) as {
        series: { dimensions: Record<string, string>; points: [number, number | string][] }[];
      };
      const quantiles = series.filter((s) => s.dimensions['quantile'] !== undefined);
      expect(quantiles.length).toBeGreaterThan(0);
      // No query ran on this Prometheus: every quantile it scraped is NaN, sent and stored as such.
      for (const s of quantiles) {
        expect(s.points.length).toBeGreaterThanOrEqual(25);
        for (const [, value] of s.points) expect(value).toBe('NaN');
      }
      // The _count and _sum series beside them are ordinary numbers.
      const counts = await platform.request(
        `/v1/metrics/query?metric=prometheus_engine_query_duration_seconds_count&from=${now - 600_000}&to=${now}`,
        { token: adminToken },
      );
      const countSeries = (await bodyOf(counts)).series as { points: [number, unknown][] }[];
      expect(countSeries.length).toBeGreaterThan(0);
      for (const s of countSeries) for (const [, value] of s.points) expect(typeof value).toBe('number');
    } finally {
      await prometheus.stop();
    }
  }, 90_000);
});
