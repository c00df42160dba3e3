/**
 * The whole read path against Prometheus 2.42: a real Prometheus scrapes itself every second and
 * remote-writes what it scrapes to the local platform (ingest key, /api/v1/write); then every query of
 * the engine's comparison list (test/promql/compare-queries.ts) runs as an instant and as a range
 * query on that Prometheus and on the platform's /api/v1 endpoints (tenant token, SQLite store,
 * engine), and the answers must agree (same series, values within 1e-6 relative, NaN = NaN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiAnswer, compareAnswers } from '../promql/compare';
import { comparisonQueries } from '../promql/compare-queries';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { type LaunchedPrometheus, launchPrometheus, selfScrapeConfig } from '../support/prometheus';

const SCRAPE_SECONDS = 70;

let platform: TestPlatform;
let prometheus: LaunchedPrometheus | undefined;
let tenantToken = '';
let endSeconds = 0;

const form = async (url: string, params: Record<string, string>, token?: string): Promise<ApiAnswer> => {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: new URLSearchParams(params),
  });
  return (await response.json()) as ApiAnswer;
};

describe('the Prometheus API of the platform against Prometheus 2.42 (remote write in, PromQL out)', () => {
  beforeAll(
    async () => {
      platform = await startTestPlatform();
      const tenant = await platform.createTenant('compare');
      tenantToken = tenant.adminToken;
      const { ingestKey } = await platform.createCollector(tenant.adminToken);
      prometheus = await launchPrometheus(
        (port) =>
          selfScrapeConfig(port, { remoteWrite: { url: `${platform.url}/api/v1/write`, token: ingestKey } }),
        ['--log.level=warn'],
      );
      await new Promise((r) => setTimeout(r, SCRAPE_SECONDS * 1000));
      // Remote write lags the scrape by up to a batch deadline: evaluate well before now.
      endSeconds = Math.floor(Date.now() / 1000) - 10;
    },
    (SCRAPE_SECONDS + 60) * 1000,
  );

  afterAll(async () => {
    await prometheus?.stop();
    await platform?.destroy();
  });

  it('answers every query of the list as Prometheus does, as instant and as range queries', async () => {
    const queries = comparisonQueries(endSeconds - 20);
    expect(queries.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    let answered = 0;
    for (const { query, ordered } of queries) {
      const instant = { query, time: String(endSeconds) };
      const want = await form(`${prometheus!.url}/api/v1/query`, instant);
      const got = await form(`${platform.url}/api/v1/query`, instant, tenantToken);
      const instantDiff = compareAnswers(want, got, { ordered });
      if (instantDiff) failures.push(`instant ${query}: ${instantDiff}`);
      const range = { query, start: String(endSeconds - 40), end: String(endSeconds), step: '5' };
      const wantRange = await form(`${prometheus!.url}/api/v1/query_range`, range);
      const gotRange = await form(`${platform.url}/api/v1/query_range`, range, tenantToken);
      if (
        gotRange.status === 'success' &&
        (gotRange.data.resultType !== 'matrix' || gotRange.data.result.length > 0)
      )
        answered++;
      const rangeDiff = compareAnswers(wantRange, gotRange);
      if (rangeDiff) failures.push(`range ${query}: ${rangeDiff}`);
    }
    expect(failures).toEqual([]);
    // The platform held the data: most queries have a non-empty answer (not two empty ones agreeing).
    expect(answered).toBeGreaterThan(queries.length * 0.8);
  }, 300_000);
});
