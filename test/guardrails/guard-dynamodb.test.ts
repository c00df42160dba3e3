/**
 * The guard as it runs in AWS: two ingest handlers (two Lambda instances) with their own DynamoDB
 * adapters and Powertools persistence layers on ONE DynamoDB Local table. The tenant's rate, series
 * limit and idempotency records are shared: what one instance spends, the other cannot.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbHaTracker } from '#adapters/aws/dynamodb-ha-tracker';
import { DynamoDbIdempotencyStore } from '#adapters/aws/dynamodb-idempotency';
import { DynamoDbTenantLimitsStore } from '#adapters/aws/dynamodb-limits';
import { DynamoDbRateLimiter } from '#adapters/aws/dynamodb-rate-limiter';
import { DynamoDbSeriesRegistry } from '#adapters/aws/dynamodb-series-registry';
import { DynamoDbUsageLedger } from '#adapters/aws/dynamodb-usage-ledger';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential, newId } from '#domain/credentials';
import type { Sample, WriteResult } from '#domain/metrics';
import { createObservability } from '#http/handler';
import type { HttpEvent, HttpResult } from '#http/types';
import { createIngestGuard } from '#ingest/guard';
import type { MetricStore } from '#ports/metric-store';
import { createIngestHandler } from '../../functions/ingest/app';
import { lambdaContext } from '../../local/http-adapter';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { seriesPayload } from './support';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

let ddb: DynamoDbLocal;
let dir: string;
let tenants: SqliteTenantStore;
let table: string;
const writes: Sample[][] = [];
const store: MetricStore = {
  async write(_t: string, samples: readonly Sample[]): Promise<WriteResult> {
    writes.push([...samples]);
    return { accepted: samples.length, rejected: [] };
  },
  async query() {
    return [];
  },
};

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  table = await ddb.createTable();
  dir = mkdtempSync(join(tmpdir(), 'guard-ddb-'));
  tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
});
afterAll(async () => {
  tenants?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  await ddb?.stop();
});

/** One "Lambda instance": its own clients' adapters, caches and guard, on the shared table. */
function instance() {
  const observability = createObservability('ingest');
  const clock = { now: () => new Date() };
  const guard = createIngestGuard({
    limits: new DynamoDbTenantLimitsStore(ddb.documentClient, table),
    rate: new DynamoDbRateLimiter(ddb.documentClient, table),
    series: new DynamoDbSeriesRegistry(ddb.documentClient, table),
    ha: new DynamoDbHaTracker(ddb.documentClient, table),
    idempotency: new DynamoDbIdempotencyStore(ddb.client, ddb.documentClient, table),
    usage: new DynamoDbUsageLedger(ddb.documentClient, table),
    clock,
    observability,
  });
  const handler = createIngestHandler({ tenants, metrics: store, clock, observability, guard });
  return (ingestKey: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpResult> =>
    handler(
      {
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
      } as HttpEvent,
      lambdaContext('ingest', newId()),
    );
}

async function tenantWith(overrides: Record<string, unknown>) {
  const now = new Date();
  const tenantId = newId();
  await tenants.createTenant(
    { tenantId, name: 't', status: 'active', createdAt: now.toISOString() },
    issueCredential('tenant', tenantId, now, { role: 'admin' }).record,
  );
  const collectorId = newId();
  const key = issueCredential('ingest', tenantId, now, { collectorId });
  await tenants.createCollector(
    { tenantId, collectorId, name: 'c', createdAt: now.toISOString() },
    key.record,
  );
  await new DynamoDbTenantLimitsStore(ddb.documentClient, table).put(
    tenantId,
    overrides,
    0,
    now.toISOString(),
  );
  return { tenantId, ingestKey: key.token };
}

const nowS = () => Math.floor(Date.now() / 1000);
const bodyOf = (r: HttpResult) => JSON.parse(r.body);

describe('ingest guard on DynamoDB, two instances', () => {
  it('shares the token bucket: what one instance spends the other cannot', async () => {
    const [one, two] = [instance(), instance()];
    const { ingestKey } = await tenantWith({ ingestionRate: 1, ingestionBurstSize: 20 });
    expect((await one(ingestKey, seriesPayload(nowS(), { series: 15, metric: 'a' }))).statusCode).toBe(202);
    const refused = await two(ingestKey, seriesPayload(nowS(), { series: 10, metric: 'b' }));
    expect(refused.statusCode).toBe(429);
    expect(bodyOf(refused).error.id).toBe('err-tenant-ingestion-rate-limited');
    expect(Number(refused.headers?.['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('shares the active-series count', async () => {
    const [one, two] = [instance(), instance()];
    const { ingestKey } = await tenantWith({ maxActiveSeries: 4 });
    expect((await one(ingestKey, seriesPayload(nowS(), { series: 3, metric: 's' }))).statusCode).toBe(202);
    const partial = await two(ingestKey, seriesPayload(nowS(), { series: 3, metric: 't' }));
    expect(partial.statusCode).toBe(400);
    expect(bodyOf(partial)).toMatchObject({ accepted: 1, error: { id: 'err-tenant-max-series', limit: 4 } });
  });

  it('answers a retry on the other instance from the Powertools DynamoDB record, writing once', async () => {
    const [one, two] = [instance(), instance()];
    const { ingestKey } = await tenantWith({});
    const payload = seriesPayload(nowS(), { metric: 'idempotent' });
    const before = writes.length;
    const first = await one(ingestKey, payload, { 'idempotency-key': 'k-1' });
    const retry = await two(ingestKey, payload, { 'idempotency-key': 'k-1' });
    expect(first.statusCode).toBe(202);
    expect(retry.statusCode).toBe(202);
    expect(retry.body).toBe(first.body);
    expect(writes.length - before).toBe(1);
    const reused = await two(ingestKey, seriesPayload(nowS(), { metric: 'other' }), {
      'idempotency-key': 'k-1',
    });
    expect(reused.statusCode).toBe(422);
  });

  it('elects one HA leader across instances', async () => {
    const [one, two] = [instance(), instance()];
    const { ingestKey } = await tenantWith({ ha: { enabled: true } });
    const replica = (name: string) =>
      seriesPayload(nowS(), { metric: 'ha', resourceIds: { cluster: 'c', __replica__: name } });
    expect(bodyOf(await one(ingestKey, replica('r1'))).accepted).toBe(1);
    expect(bodyOf(await two(ingestKey, replica('r2')))).toMatchObject({ accepted: 0, deduplicated: 1 });
    expect(bodyOf(await two(ingestKey, replica('r1'))).accepted).toBe(1);
  });
});
