/**
 * The ingest handler on its own: a real SQLite tenant store with one tenant and one collector, a
 * MetricStore the test controls, and helpers to build API Gateway events the way API Gateway does
 * (binary media type `*\/*`: every body base64).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential, newId } from '#domain/credentials';
import type { Sample, WriteResult } from '#domain/metrics';
import type { MetricQuery, Series } from '#domain/query';
import { createObservability } from '#http/handler';
import type { HttpEvent, HttpResult } from '#http/types';
import type { MetricStore } from '#ports/metric-store';
import { createIngestHandler } from '../../../functions/ingest/app';
import { lambdaContext } from '../../../local/http-adapter';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

/** Keeps every sample written; `fail` makes the next writes throw, `refuse` refuses chosen samples. */
export class RecordingMetricStore implements MetricStore {
  readonly written: Sample[] = [];
  fail: Error | undefined;
  refuse: (sample: Sample) => string | undefined = () => undefined;

  async write(_tenantId: string, samples: readonly Sample[]): Promise<WriteResult> {
    if (this.fail) throw this.fail;
    const rejected: { index: number; reason: string }[] = [];
    samples.forEach((s, index) => {
      const reason = this.refuse(s);
      if (reason) rejected.push({ index, reason });
      else this.written.push(s);
    });
    return { accepted: samples.length - rejected.length, rejected };
  }

  async query(_tenantId: string, _query: MetricQuery): Promise<Series[]> {
    return [];
  }
}

export interface IngestHarness {
  readonly store: RecordingMetricStore;
  readonly afterWrites: Sample[][];
  readonly ingestKey: string;
  invoke(
    path: string,
    init: { headers?: Record<string, string>; body?: Uint8Array | string; token?: string | null },
  ): Promise<HttpResult>;
  close(): void;
}

/** `metrics`: a real store instead of the recording one (which then sees nothing). */
export async function startIngestHarness(options: { metrics?: MetricStore } = {}): Promise<IngestHarness> {
  const dir = mkdtempSync(join(tmpdir(), 'ingest-harness-'));
  const tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
  const now = new Date();
  const tenantId = newId();
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
  const store = new RecordingMetricStore();
  const afterWrites: Sample[][] = [];
  const handler = createIngestHandler({
    tenants,
    metrics: options.metrics ?? store,
    clock: { now: () => new Date() },
    observability: createObservability('ingest'),
    afterWrite: async (_tenant, samples) => {
      afterWrites.push([...samples]);
    },
  });
  return {
    store,
    afterWrites,
    ingestKey: key.token,
    invoke: (path, init) => {
      const headers: Record<string, string> = { ...(init.headers ?? {}) };
      const token = init.token === undefined ? key.token : init.token;
      if (token) headers['Authorization'] = `Bearer ${token}`;
      const body = init.body === undefined ? undefined : Buffer.from(init.body);
      return handler(apiGatewayEvent(path, headers, body), lambdaContext('ingest', newId()));
    },
    close: () => {
      tenants.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function apiGatewayEvent(path: string, headers: Record<string, string>, body: Buffer | undefined): HttpEvent {
  return {
    resource: path,
    path,
    httpMethod: 'POST',
    headers,
    multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    body: body && body.length > 0 ? body.toString('base64') : null,
    isBase64Encoded: !!body && body.length > 0,
    requestContext: { requestId: newId() } as HttpEvent['requestContext'],
  };
}

/** The body of a result as bytes. */
export function resultBytes(result: HttpResult): Buffer {
  return Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
}
