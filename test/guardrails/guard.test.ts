/**
 * The ingest guard's own failure answers and its metrics, on the real ingest handler with SQLite
 * state: our state store failing (503 + Retry-After, never a bare 500 for a dependency), the
 * deadline before API Gateway's 29 s, and the per-tenant EMF metrics by discard reason.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Metrics } from '@aws-lambda-powertools/metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sqliteGuardrailStores } from '#adapters/local/sqlite-guardrails';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential, newId } from '#domain/credentials';
import { UnavailableError } from '#domain/errors';
import type { Sample, WriteResult } from '#domain/metrics';
import { createObservability } from '#http/handler';
import type { HttpEvent, HttpResult } from '#http/types';
import { createIngestGuard, type IngestGuardDeps } from '#ingest/guard';
import type { MetricStore } from '#ports/metric-store';
import { createIngestHandler } from '../../functions/ingest/app';
import { lambdaContext } from '../../local/http-adapter';
import { seriesPayload } from './support';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

interface Emitted {
  name: string;
  value: number;
  dimensions: Record<string, string>;
}

/**
 * Just enough of Powertools Metrics to record what the guard emits. A single-metric instance, like
 * Powertools', publishes on each addMetric and then forgets its dimensions.
 */
function recordingMetrics(emitted: Emitted[], single = false): Metrics {
  let own: Record<string, string> = {};
  return {
    addDimension: (name: string, value: string) => {
      own[name] = value;
    },
    addDimensions: (dims: Record<string, string>) => Object.assign(own, dims),
    addMetric: (name: string, _unit: string, value: number) => {
      emitted.push({ name, value, dimensions: { ...own } });
      if (single) own = {};
    },
    singleMetric: () => recordingMetrics(emitted, true),
    publishStoredMetrics: () => undefined,
  } as unknown as Metrics;
}

let dir: string;
let tenants: SqliteTenantStore;
let stores: ReturnType<typeof sqliteGuardrailStores>;
let tenantId: string;
let ingestKey: string;
let emitted: Emitted[];
let written: Sample[];
let store: MetricStore & { delayMs: number; fail?: Error };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'guard-'));
  tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
  stores = sqliteGuardrailStores(join(dir, 'guardrails.sqlite'));
  const now = new Date();
  tenantId = newId();
  await tenants.createTenant(
    { tenantId, name: 'acme', status: 'active', createdAt: now.toISOString() },
    issueCredential('tenant', tenantId, now, { role: 'admin' }).record,
  );
  const collectorId = newId();
  const key = issueCredential('ingest', tenantId, now, { collectorId });
  await tenants.createCollector(
    { tenantId, collectorId, name: 'c', createdAt: now.toISOString() },
    key.record,
  );
  ingestKey = key.token;
  emitted = [];
  // This test's own array: a write a deadline test left running lands in its test's array, not a later one's.
  const writtenHere: Sample[] = [];
  written = writtenHere;
  store = {
    delayMs: 0,
    async write(_t: string, samples: readonly Sample[]): Promise<WriteResult> {
      if (this.fail) throw this.fail;
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      writtenHere.push(...samples);
      return { accepted: samples.length, rejected: [] };
    },
    async query() {
      return [];
    },
  };
});
afterEach(() => {
  tenants.close();
  stores.close();
  rmSync(dir, { recursive: true, force: true });
});

function handlerWith(overrides: Partial<IngestGuardDeps> = {}, remainingMs?: number) {
  const observability = { ...createObservability('ingest'), metrics: recordingMetrics(emitted) };
  const clock = { now: () => new Date() };
  const guard = createIngestGuard({ ...stores, clock, observability, random: () => 0.5, ...overrides });
  const handler = createIngestHandler({ tenants, metrics: store, clock, observability, guard });
  return (body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> => {
    const event = {
      resource: '/v1/ingest',
      path: '/v1/ingest',
      httpMethod: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json', ...headers },
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: JSON.stringify(body),
      isBase64Encoded: false,
      requestContext: { requestId: newId() } as HttpEvent['requestContext'],
    } as HttpEvent;
    const context = lambdaContext('ingest', newId());
    if (remainingMs !== undefined) context.getRemainingTimeInMillis = () => remainingMs;
    return handler(event, context);
  };
}

const nowS = () => Math.floor(Date.now() / 1000);
const errorOf = (result: HttpResult) => JSON.parse(result.body).error;

describe('ingest guard: our own faults', () => {
  it('answers 503 with Retry-After when its state store is throttled, and stores nothing', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput'), {
      name: 'ProvisionedThroughputExceededException',
      $metadata: { httpStatusCode: 400 },
    });
    const ingest = handlerWith({
      rate: {
        ...stores.rate,
        take: () => Promise.reject(throttled),
        peek: stores.rate.peek.bind(stores.rate),
      },
    });
    const result = await ingest(seriesPayload(nowS()));
    expect(result.statusCode).toBe(503);
    expect(Number(result.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(errorOf(result)).toMatchObject({ code: 'unavailable', id: 'err-tenant-ingest-unavailable' });
    expect(written).toEqual([]);
  });

  it('answers 503 with the store’s Retry-After when the metric store is down; the retry is processed', async () => {
    const ingest = handlerWith();
    store.fail = new UnavailableError('timestream is throttling', 7);
    const payload = seriesPayload(nowS());
    const down = await ingest(payload, { 'idempotency-key': 'k' });
    expect(down.statusCode).toBe(503);
    expect(down.headers?.['retry-after']).toBe('7');
    store.fail = undefined;
    const retry = await ingest(payload, { 'idempotency-key': 'k' });
    expect(retry.statusCode).toBe(202);
    expect(written).toHaveLength(1);
  });

  it('answers before its deadline (503 + Retry-After), and a retry after the deadline is not locked out', async () => {
    const ingest = handlerWith({ deadlineMs: 300 });
    store.delayMs = 2000;
    const payload = seriesPayload(nowS());
    const started = Date.now();
    const slow = await ingest(payload, { 'idempotency-key': 'slow' });
    expect(Date.now() - started).toBeLessThan(1500);
    expect(slow.statusCode).toBe(503);
    expect(errorOf(slow).id).toBe('err-tenant-ingest-deadline');
    expect(Number(slow.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
    store.delayMs = 0;
    await new Promise((r) => setTimeout(r, 400));
    // The in-progress record expired with the deadline: the retry runs instead of a 429.
    const retry = await ingest(payload, { 'idempotency-key': 'slow' });
    expect(retry.statusCode).toBe(202);
  });

  it('answers within the function’s own remaining time, whatever the configured deadline', async () => {
    // A 10 s Lambda called 8.5 s ago: 1.5 s left, 1 s kept to answer.
    const ingest = handlerWith({ deadlineMs: 25_000 }, 1500);
    store.delayMs = 3000;
    const started = Date.now();
    const slow = await ingest(seriesPayload(nowS()));
    expect(Date.now() - started).toBeLessThan(1400);
    expect(slow.statusCode).toBe(503);
    expect(errorOf(slow).id).toBe('err-tenant-ingest-deadline');
  });

  it('answers a bug in its own code with the generic 500, not a 503 that hides it', async () => {
    const ingest = handlerWith({
      rate: { take: () => Promise.reject(new TypeError('oops')), peek: async () => undefined },
    });
    const result = await ingest(seriesPayload(nowS()));
    expect(result.statusCode).toBe(500);
    expect(errorOf(result).code).toBe('internal');
  });
});

describe('ingest guard: visibility', () => {
  it('emits accepted and discarded samples per tenant and reason, and counts them for usage', async () => {
    await stores.limits.put(tenantId, { maxActiveSeries: 2 }, 0, new Date().toISOString());
    const ingest = handlerWith();
    const result = await ingest(seriesPayload(nowS(), { series: 3 }));
    expect(result.statusCode).toBe(400);
    expect(emitted).toContainEqual({ name: 'SamplesAccepted', value: 2, dimensions: { tenant: tenantId } });
    expect(emitted).toContainEqual({
      name: 'SamplesDiscarded',
      value: 1,
      dimensions: { tenant: tenantId, reason: 'max-series' },
    });
    const minute = Date.now() - (Date.now() % 60_000);
    const [usage] = await stores.usage.read(tenantId, minute - 60_000, minute);
    expect(usage?.counts).toEqual({ accepted: 2, requests: 1, 'discarded.max-series': 1 });
  });

  it('warns at 80 % of a limit: a TenantLimitWarning metric and the onLimitWarning hook', async () => {
    await stores.limits.put(tenantId, { maxActiveSeries: 5 }, 0, new Date().toISOString());
    const warnings: unknown[] = [];
    const ingest = handlerWith({ onLimitWarning: async (t, usage) => void warnings.push({ t, ...usage }) });
    expect((await ingest(seriesPayload(nowS(), { series: 4 }))).statusCode).toBe(202);
    expect(emitted).toContainEqual({
      name: 'TenantLimitWarning',
      value: 80,
      dimensions: { tenant: tenantId, limit: 'maxActiveSeries' },
    });
    expect(warnings).toEqual([{ t: tenantId, limit: 'maxActiveSeries', used: 4, value: 5, ratio: 0.8 }]);
  });

  it('hands the usage of every limit (below 80 % too) to onLimitUsage, so an alert can clear', async () => {
    await stores.limits.put(tenantId, { maxActiveSeries: 10 }, 0, new Date().toISOString());
    const seen: { t: string; usage: readonly { limit: string; ratio: number }[] }[] = [];
    const ingest = handlerWith({ onLimitUsage: async (t, usage) => void seen.push({ t, usage }) });
    expect((await ingest(seriesPayload(nowS(), { series: 2 }))).statusCode).toBe(202);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.t).toBe(tenantId);
    expect(seen[0]?.usage).toContainEqual({ limit: 'maxActiveSeries', used: 2, value: 10, ratio: 0.2 });
    expect(seen[0]?.usage.length).toBeGreaterThan(1);
  });
});

describe('ingest guard: refusals name the request’s own samples', () => {
  it('gives each refusal the index it had in the request, after earlier samples were dropped', async () => {
    await stores.limits.put(
      tenantId,
      { maxActiveSeries: 3, maxLabelValueLength: 20 },
      0,
      new Date().toISOString(),
    );
    // The store refuses the second sample it is handed.
    store.write = async (_t, samples) => {
      written.push(...samples);
      return { accepted: samples.length - 1, rejected: [{ index: 1, reason: 'refused by the store' }] };
    };
    const payload = seriesPayload(nowS(), { series: 6 });
    // 0 ok, 1 label value too long, 2 ok (store refuses it), 3 ok, 4 label too long, 5 a fourth series.
    payload.instances[1]!.instanceName = 'x'.repeat(40);
    payload.instances[4]!.instanceName = 'y'.repeat(40);
    const result = await handlerWith()(payload);
    expect(result.statusCode).toBe(400);
    const body = JSON.parse(result.body);
    expect(body.error.field).toBe('samples[1]');
    expect(body.rejections.map((r: { index: number; reason: string }) => [r.index, r.reason])).toEqual([
      [1, 'label-value-too-long'],
      [4, 'label-value-too-long'],
      [5, 'max-series'],
    ]);
    expect(body.rejected).toEqual([{ index: 2, reason: 'refused by the store' }]);
    expect(written.map((s) => s.value)).toEqual([0, 2, 3]);
  });
});
