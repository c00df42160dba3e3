/**
 * The engine against Prometheus 2.42 itself: a real Prometheus scrapes its own metrics and a target
 * whose series come, go and fail (so it writes stale markers) every second for about 80 s; the raw
 * samples, stale markers included, are read back by remote read and handed to our engine through an
 * in-memory SelectSeries; every query of compare-queries.ts then runs as an instant query and as a
 * range query on both, and the answers must agree (same series, values within 1e-6, NaN = NaN).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawSeries } from '#ports/series-source';
import { evaluateInstant, evaluateRange } from '#promql/engine';
import { type LaunchedPrometheus, launchPrometheus, selfScrapeConfig } from '../support/prometheus';
import { type ApiAnswer, compareAnswers, toApiData } from './compare';
import { comparisonQueries } from './compare-queries';
import { type FlappingTarget, remoteReadAll, startFlappingTarget } from './prometheus-raw';
import { memorySelect } from './testdata-format';

const SCRAPE_SECONDS = 80;
const LIMITS = { maxSamples: 50_000_000, timeoutMs: 30_000 };

let prometheus: LaunchedPrometheus | undefined;
let target: FlappingTarget | undefined;
let series: RawSeries[] = [];
/** Whole seconds: the last time every query is evaluated at, safely before the last scrape read. */
let endSeconds = 0;

async function api(path: string, params: Record<string, string>): Promise<ApiAnswer> {
  const response = await fetch(`${prometheus!.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
  return (await response.json()) as ApiAnswer;
}

async function ours(run: () => ReturnType<typeof evaluateInstant>): Promise<ApiAnswer> {
  try {
    return { status: 'success', data: toApiData(await run()) };
  } catch (e) {
    return { status: 'error', errorType: (e as Error).name, error: (e as Error).message };
  }
}

describe('PromQL engine against Prometheus 2.42', () => {
  beforeAll(
    async () => {
      target = await startFlappingTarget();
      const flappy = target.address;
      prometheus = await launchPrometheus(
        (port) =>
          selfScrapeConfig(port, {
            extraScrapeConfigs: [
              '  - job_name: flappy',
              '    static_configs:',
              `      - targets: ['${flappy}']`,
            ],
          }),
        ['--log.level=warn'],
      );
      const started = Date.now();
      await new Promise((r) => setTimeout(r, SCRAPE_SECONDS * 1000));
      const readSeconds = Math.floor(Date.now() / 1000);
      // Queries look up to 10 s ahead (offset -10s): keep them inside what was read.
      endSeconds = readSeconds - 20;
      series = await remoteReadAll(prometheus.url, started - 60_000, readSeconds * 1000);
      const stale = series.reduce((n, s) => n + (s.stale?.reduce((a, b) => a + b, 0) ?? 0), 0);
      if (stale === 0) throw new Error('no stale markers were read back: the flapping target did not flap');
    },
    (SCRAPE_SECONDS + 60) * 1000,
  );

  afterAll(async () => {
    await prometheus?.stop();
    await target?.close();
  });

  it('answers every query of the list as Prometheus does, as instant and as range queries', async () => {
    expect(series.length).toBeGreaterThan(100);
    const select = memorySelect(series);
    const queries = comparisonQueries(endSeconds - 20);
    expect(queries.length).toBeGreaterThanOrEqual(200);
    const failures: string[] = [];
    let runs = 0;
    for (const { query, ordered } of queries) {
      const instant = await api('/api/v1/query', { query, time: String(endSeconds) });
      const got = await ours(() =>
        evaluateInstant({ query, timeMs: endSeconds * 1000, select, limits: LIMITS }),
      );
      runs++;
      const instantDiff = compareAnswers(instant, got, { ordered });
      if (instantDiff) failures.push(`instant ${query}: ${instantDiff}`);

      const start = endSeconds - 40;
      const range = await api('/api/v1/query_range', {
        query,
        start: String(start),
        end: String(endSeconds),
        step: '5',
      });
      const gotRange = await ours(() =>
        evaluateRange({
          query,
          startMs: start * 1000,
          endMs: endSeconds * 1000,
          stepMs: 5000,
          select,
          limits: LIMITS,
        }),
      );
      runs++;
      const rangeDiff = compareAnswers(range, gotRange);
      if (rangeDiff) failures.push(`range ${query}: ${rangeDiff}`);
    }
    console.info(
      `PromQL comparison: ${runs - failures.length}/${runs} evaluations agree (${queries.length} queries, instant and range)`,
    );
    expect(failures).toEqual([]);
  }, 300_000);
});
