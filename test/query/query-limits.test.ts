/**
 * The query function's limits with its backend under the test's control: per-tenant concurrency (a
 * storm from one tenant does not slow another), the query timeout, one budget per query charged by
 * the store as it reads, and Prometheus' JSON for every result type.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SqliteQueryLeases } from '#adapters/local/sqlite-query-leases';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential } from '#domain/credentials';
import type { QueryLimits } from '#domain/query-limits';
import { createObservability } from '#http/handler';
import type { HttpResult } from '#http/types';
import { systemClock } from '#ports/clock';
import type { QueryLeases } from '#ports/query-leases';
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
  instances = 1,
  leasesOf: (file: string) => QueryLeases = (file) => new SqliteQueryLeases(file),
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
  // Each instance (a Lambda instance) has its own connection to one lease file, as instances share
  // one DynamoDB table.
  const leaseFile = join(mkdtempSync(join(tmpdir(), 'query-leases-')), 'guardrails.sqlite');
  const handlers = Array.from({ length: instances }, () => {
    const leases = leasesOf(leaseFile);
    if (leases instanceof SqliteQueryLeases) closers.push(() => leases.close());
    return createQueryHandler({
      tenants,
      backend,
      leases,
      engine,
      limits,
      clock: systemClock,
      observability: createObservability('query'),
    });
  });
  let calls = 0;
  const call = async (
    tenantId: string,
    path: string,
    query: Record<string, string>,
    // biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
  ): Promise<HttpResult & { json: any }> => {
    const handler = handlers[calls++ % handlers.length]!;
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
/** Waits (polling) until the backend has been reached as the test expects; the lease is taken by then. */
async function until(reached: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!reached()) {
    if (Date.now() > deadline) throw new Error('the backend was not reached within 10 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const notUsed = async (): Promise<never> => {
  throw new Error('not used');
};

describe('per-tenant concurrency', () => {
  it('refuses a tenant’s query past its share with 429 naming the limit, counted across two instances, while another tenant’s is answered at once', async () => {
    const release: (() => void)[] = [];
    const backend: QueryBackend = {
      instant: (ctx) =>
        ctx.tenantId === 't-storm'
          ? new Promise((resolve) => release.push(() => resolve(answer(1))))
          : Promise.resolve(answer(2)),
      range: notUsed,
      series: notUsed,
    };
    const { call } = await setup(backend, { maxConcurrentQueries: 2 }, promqlEngine, 2);
    const storm = [
      call('t-storm', '/api/v1/query', { query: 'up' }),
      call('t-storm', '/api/v1/query', { query: 'up' }),
    ];
    await until(() => release.length === 2);
    const refused = await call('t-storm', '/api/v1/query', { query: 'up' });
    // The storm's two queries ran on instances 1 and 2; this third one on instance 1 sees both.
    expect(refused.statusCode).toBe(429);
    expect(refused.headers?.['retry-after']).toBe('1');
    expect(refused.headers?.['content-type']).toBe('application/json');
    expect(refused.json).toEqual({
      status: 'error',
      errorType: 'unavailable',
      error:
        'max_concurrent_queries_per_tenant: this tenant already runs 2 queries at once (limit 2); retry when one has finished',
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
    await until(() => release.length === 1);
    for (const r of release) r();
    expect((await again).statusCode).toBe(200);
  });
});

describe('query leases', () => {
  it('gives the lease back when the query fails, so the tenant’s next query runs', async () => {
    const backend: QueryBackend = {
      instant: async (_ctx, query) => {
        if (query === 'bad') throw new Error('backend broke');
        return answer(1);
      },
      range: notUsed,
      series: notUsed,
    };
    const { call } = await setup(backend, { maxConcurrentQueries: 1 });
    expect((await call('t-storm', '/api/v1/query', { query: 'bad' })).statusCode).toBe(500);
    expect((await call('t-storm', '/api/v1/query', { query: 'up' })).statusCode).toBe(200);
  });

  it('answers 503 unavailable, not 500, when the lease store is down', async () => {
    const down: QueryLeases = {
      acquire: async () => {
        throw new Error('ProvisionedThroughputExceeded');
      },
      release: async () => undefined,
    };
    const backend: QueryBackend = { instant: async () => answer(1), range: notUsed, series: notUsed };
    const { call } = await setup(backend, {}, promqlEngine, 1, () => down);
    const result = await call('t-storm', '/api/v1/query', { query: 'up' });
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['retry-after']).toBe('1');
    expect(result.json).toMatchObject({ status: 'error', errorType: 'unavailable' });
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
