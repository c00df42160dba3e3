/**
 * The query function's limits with its backend under the test's control: per-tenant concurrency (a
 * storm from one tenant does not slow another), the query timeout, one budget per query charged by
 * the store as it reads, and Prometheus' JSON for every result type.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential } from '#domain/credentials';
import type { QueryLimits } from '#domain/query-limits';
import { createObservability } from '#http/handler';
import type { HttpResult } from '#http/types';
import { systemClock } from '#ports/clock';
import { createQueryHandler } from '../../functions/query/app';
import type { QueryBackend } from '../../functions/query/backend';
import type { EngineAnswer, PromqlEngine } from '../../functions/query/engine';
import { engineBackend } from '../../functions/query/engine-backend';
import { formatValue } from '../../functions/query/format';
import { promqlEngine } from '../../functions/query/promql';
import { apiGatewayEvent, lambdaContext } from '../../local/http-adapter';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

async function setup(
  backend: QueryBackend,
  limits: Partial<QueryLimits> = {},
  engine: PromqlEngine = promqlEngine,
) {
  const tenants = new SqliteTenantStore(':memory:');
  closers.push(() => tenants.close());
  const tokens: Record<string, string> = {};
  for (const tenantId of ['t-storm', 't-calm']) {
    const admin = issueCredential('tenant', tenantId, new Date(), { role: 'read-only' });
    await tenants.createTenant(
      { tenantId, name: tenantId, status: 'active', createdAt: new Date().toISOString() },
      admin.record,
    );
    tokens[tenantId] = admin.token;
  }
  const handler = createQueryHandler({
    tenants,
    backend,
    engine,
    limits,
    clock: systemClock,
    observability: createObservability('query'),
  });
  const call = async (
    tenantId: string,
    path: string,
    query: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
  ): Promise<HttpResult & { json: any }> => {
    const event = apiGatewayEvent({
      method: 'GET',
      resource: path,
      path,
      headers: { authorization: [`Bearer ${tokens[tenantId]}`] },
      query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])),
      sourceIp: '127.0.0.1',
    });
    const result = await handler(event, lambdaContext('query', 'r'));
    return { ...result, json: JSON.parse(result.body) };
  };
  return { call };
}

const answer = (value: number): EngineAnswer => ({
  resultType: 'vector',
  result: [{ metric: { __name__: 'up' }, timeMs: 1_700_000_000_500, value }],
});
const notUsed = async (): Promise<never> => {
  throw new Error('not used');
};

describe('per-tenant concurrency', () => {
  it('refuses a tenant’s query past its share with 503 naming the limit, while another tenant’s is answered at once', async () => {
    const release: (() => void)[] = [];
    const backend: QueryBackend = {
      instant: (ctx) =>
        ctx.tenantId === 't-storm'
          ? new Promise((resolve) => release.push(() => resolve(answer(1))))
          : Promise.resolve(answer(2)),
      range: notUsed,
      series: notUsed,
    };
    const { call } = await setup(backend, { maxConcurrentQueries: 2 });
    const storm = [
      call('t-storm', '/api/v1/query', { query: 'up' }),
      call('t-storm', '/api/v1/query', { query: 'up' }),
    ];
    await new Promise((r) => setTimeout(r, 20));
    const refused = await call('t-storm', '/api/v1/query', { query: 'up' });
    expect(refused.statusCode).toBe(503);
    expect(refused.headers?.['retry-after']).toBe('1');
    expect(refused.json).toMatchObject({
      status: 'error',
      errorType: 'unavailable',
      error: expect.stringContaining('max_concurrent_queries_per_tenant'),
    });
    const started = performance.now();
    const calm = await call('t-calm', '/api/v1/query', { query: 'up' });
    expect(calm.statusCode).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
    for (const r of release) r();
    expect((await Promise.all(storm)).map((r) => r.statusCode)).toEqual([200, 200]);
    // Slots are given back.
    release.length = 0;
    const again = call('t-storm', '/api/v1/query', { query: 'up' });
    await new Promise((r) => setTimeout(r, 20));
    for (const r of release) r();
    expect((await again).statusCode).toBe(200);
  });
});

describe('query timeout', () => {
  it('answers 503 timeout naming query_timeout and aborts the backend’s signal', async () => {
    let signal: AbortSignal | undefined;
    const backend: QueryBackend = {
      instant: (ctx) => {
        signal = ctx.signal;
        return new Promise(() => undefined);
      },
      range: notUsed,
      series: notUsed,
    };
    const { call } = await setup(backend, { timeoutMs: 50 });
    const result = await call('t-calm', '/api/v1/query', { query: 'up' });
    expect(result.statusCode).toBe(503);
    expect(result.json).toMatchObject({
      status: 'error',
      errorType: 'timeout',
      error: expect.stringContaining('query_timeout'),
    });
    expect(signal?.aborted).toBe(true);
  });
});

describe('samples and series per query', () => {
  it('every selector of one query charges one budget; the next query starts afresh', async () => {
    const store = new SqliteMetricStore(':memory:');
    closers.push(() => store.close());
    const t0 = 1_700_000_000_000;
    await store.write(
      't-calm',
      Array.from({ length: 100 }, (_, i) => ({
        metric: 'up',
        dimensions: { i: String(i % 2) },
        timestampMs: t0 + i * 1000,
        value: 1,
      })),
    );
    // An "engine" that reads the same selector twice, as `up + up` would.
    const engine: PromqlEngine = {
      ...promqlEngine,
      instant: async ({ select }) => {
        for (let i = 0; i < 2; i++)
          await select({
            matchers: [{ name: '__name__', op: '=', value: 'up' }],
            startMs: t0,
            endMs: t0 + 100_000,
          });
        return answer(1);
      },
    };
    const { call } = await setup(engineBackend(store, engine), { maxSamples: 150 }, engine);
    const refused = await call('t-calm', '/api/v1/query', {
      query: 'up + up',
      time: String(t0 / 1000 + 100),
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json).toMatchObject({
      status: 'error',
      errorType: 'execution',
      error: expect.stringContaining('max_samples'),
    });
    const { call: roomy } = await setup(engineBackend(store, engine), { maxSamples: 200 }, engine);
    for (let i = 0; i < 2; i++)
      expect((await roomy('t-calm', '/api/v1/query', { query: 'up + up' })).statusCode).toBe(200);
  });
});

describe('Prometheus JSON', () => {
  it('values as strings without exponent, special values by name, timestamps as float seconds', async () => {
    expect(
      [
        1,
        -2.5,
        1e21,
        1.5e-7,
        -1e-7,
        123456789012345680000,
        Number.NaN,
        Number.POSITIVE_INFINITY,
        Number.NEGATIVE_INFINITY,
      ].map(formatValue),
    ).toEqual([
      '1',
      '-2.5',
      '1000000000000000000000',
      '0.00000015',
      '-0.0000001',
      '123456789012345680000',
      'NaN',
      '+Inf',
      '-Inf',
    ]);
    const backend: QueryBackend = {
      instant: async () => answer(Number.NaN),
      range: async () => ({
        resultType: 'matrix',
        result: [
          {
            metric: { job: 'x' },
            timestampsMs: [1_700_000_000_000, 1_700_000_015_000],
            values: [0.5, Number.POSITIVE_INFINITY],
          },
        ],
      }),
      series: notUsed,
    };
    const { call } = await setup(backend);
    expect((await call('t-calm', '/api/v1/query', { query: 'up' })).json).toEqual({
      status: 'success',
      data: {
        resultType: 'vector',
        result: [{ metric: { __name__: 'up' }, value: [1_700_000_000.5, 'NaN'] }],
      },
    });
    expect(
      (
        await call('t-calm', '/api/v1/query_range', {
          query: 'x',
          start: '2023-11-14T22:13:20Z',
          end: '1700000015',
          step: '15s',
        })
      ).json,
    ).toEqual({
      status: 'success',
      data: {
        resultType: 'matrix',
        result: [
          {
            metric: { job: 'x' },
            values: [
              [1_700_000_000, '0.5'],
              [1_700_000_015, '+Inf'],
            ],
          },
        ],
      },
    });
  });
});
