/**
 * Logs end to end on the local platform, with real senders: the OpenTelemetry JS logs SDK and its
 * unmodified OTLP/HTTP exporters (JSON and protobuf, gzip) and the native JSON array. Search finds
 * what they sent, newest first, with attributes; another tenant finds nothing; limits answer as the
 * issue asks (413 naming the limit with the rest stored, 429 + Retry-After, idempotent retries).
 */
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as OtlpJsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OtlpProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform();
});

afterAll(async () => {
  await platform?.destroy();
});

async function newTenant() {
  const { tenantId, adminToken } = await platform.createTenant();
  const { ingestKey } = await platform.createCollector(adminToken);
  return { tenantId, adminToken, ingestKey };
}

// biome-ignore lint/suspicious/noExplicitAny: test assertions walk arbitrary JSON
async function search(token: string, params: Record<string, string>): Promise<any> {
  const query = new URLSearchParams({
    from: String(Date.now() - 3600_000),
    to: String(Date.now() + 60_000),
    ...params,
  });
  const response = await platform.request(`/v1/logs/search?${query}`, { token });
  expect(response.status, await response.clone().text()).toBe(200);
  return response.json();
}

async function sendWithSdk(exporter: LogRecordExporter, host: string): Promise<void> {
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'edge-router', 'host.name': host }),
    processors: [new BatchLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('netmon', '1.0.0');
  logger.emit({
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    body: 'interface ge-0/0/1 link down',
    attributes: { interface: 'ge-0/0/1', 'api.password': 'hunter2' },
  });
  logger.emit({
    severityNumber: SeverityNumber.INFO,
    body: 'config saved by admin',
    attributes: { user: 'admin' },
  });
  logger.emit({ severityNumber: SeverityNumber.WARN, body: { event: 'fan', rpm: 900 } });
  await provider.forceFlush();
  await provider.shutdown();
}

const native = (ingestKey: string, body: unknown, headers: Record<string, string> = {}) =>
  platform.request('/v1/logs/ingest', {
    method: 'POST',
    token: ingestKey,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('OTLP logs from the OpenTelemetry SDK', () => {
  it.each([
    [
      'JSON',
      (url: string, key: string) =>
        new OtlpJsonLogExporter({ url, headers: { authorization: `Bearer ${key}` } }),
    ],
    [
      'protobuf + gzip',
      (url: string, key: string) =>
        new OtlpProtoLogExporter({
          url,
          headers: { authorization: `Bearer ${key}` },
          compression: CompressionAlgorithm.GZIP,
        }),
    ],
  ])('%s: search finds what the SDK sent; another tenant finds nothing', async (_name, exporter) => {
    const a = await newTenant();
    const b = await newTenant();
    await sendWithSdk(exporter(`${platform.url}/v1/logs`, a.ingestKey), 'r1');

    const found = await search(a.adminToken, { q: 'severity:error AND message:"link down"' });
    expect(found.items).toHaveLength(1);
    expect(found.items[0]).toMatchObject({
      severity: 'error',
      message: 'interface ge-0/0/1 link down',
      resource: { 'service.name': 'edge-router', 'host.name': 'r1' },
      attributes: { interface: 'ge-0/0/1', 'api.password': '[redacted]' },
    });
    expect(JSON.stringify(found)).not.toContain('hunter2');

    const all = await search(a.adminToken, { q: 'resource.host.name:r1' });
    expect(all.items.map((i: { severity: string }) => i.severity).sort()).toEqual(['error', 'info', 'warn']);
    const structured = await search(a.adminToken, { q: 'fan rpm' });
    expect(JSON.parse(structured.items[0].message)).toEqual({ event: 'fan', rpm: 900 });

    expect((await search(b.adminToken, { q: 'link' })).items).toEqual([]);
    expect((await search(b.adminToken, {})).items).toEqual([]);
  });
});

describe('native JSON ingest and search', () => {
  let t: Awaited<ReturnType<typeof newTenant>>;
  const base = Date.now() - 600_000;

  beforeAll(async () => {
    t = await newTenant();
    const records = Array.from({ length: 30 }, (_, i) => ({
      message: i % 10 === 0 ? `BGP peer 10.0.0.${i} down` : `poll ${i} ok`,
      timestamp: base + i * 1000,
      severity: i % 10 === 0 ? 'error' : 'info',
      resourceIds: { 'system.hostname': `sw${i % 2}` },
      attributes: { seq: i },
    }));
    const response = await native(t.ingestKey, records);
    expect(response.status, await response.clone().text()).toBe(202);
    expect(await bodyOf(response)).toEqual({ accepted: 30, rejected: [] });
  });

  it('pages newest first with a cursor and answers a histogram', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 10; i++) {
      const page = await search(t.adminToken, { q: 'poll', limit: '10', ...(cursor ? { cursor } : {}) });
      seen.push(...page.items.map((r: { attributes: { seq: string } }) => r.attributes.seq));
      cursor = page.nextCursor;
      if (!cursor) break;
    }
    expect(seen).toEqual(
      Array.from({ length: 30 }, (_, i) => 29 - i)
        .filter((i) => i % 10 !== 0)
        .map(String),
    );
    const h = await search(t.adminToken, {
      q: 'severity:error',
      from: String(base),
      to: String(base + 30_000),
      interval: '10',
    });
    expect(h.histogram.buckets.map((b: { count: number }) => b.count)).toEqual([1, 1, 1]);
    expect(h.items.map((r: { message: string }) => r.message)).toEqual([
      'BGP peer 10.0.0.20 down',
      'BGP peer 10.0.0.10 down',
      'BGP peer 10.0.0.0 down',
    ]);
  });

  it('lets a read-only token search, and audits the search', async () => {
    const created = await platform.request('/v1/tokens', {
      method: 'POST',
      token: t.adminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'viewer', role: 'read-only' }),
    });
    const viewer = (await bodyOf(created)).token as string;
    expect((await search(viewer, { q: 'BGP' })).items).toHaveLength(3);
    const audit = await bodyOf(
      await platform.request('/v1/audit-events?action=logs.search', { token: t.adminToken }),
    );
    expect(audit.items.some((e: { target: string }) => e.target.startsWith('logs?q=bgp'))).toBe(true);
  });

  it('names bad searches in 422s', async () => {
    const bad = async (params: Record<string, string>, field: string) => {
      const r = await platform.request(`/v1/logs/search?${new URLSearchParams(params)}`, {
        token: t.adminToken,
      });
      expect(r.status).toBe(422);
      expect((await bodyOf(r)).error.field).toBe(field);
    };
    await bad({ q: 'a OR b' }, 'q');
    await bad({ q: '"open' }, 'q');
    await bad({ from: '0', to: String(Date.now()) }, 'from');
    await bad({ limit: '5000' }, 'limit');
    await bad({ interval: '1', from: String(Date.now() - 86_400_000) }, 'interval');
    await bad({ cursor: 'x' }, 'cursor');
  });

  it('refuses an oversized message with 413 naming the 32 KB limit and stores the rest', async () => {
    const u = await newTenant();
    const response = await native(u.ingestKey, [
      { message: 'first fine' },
      { message: 'x'.repeat(32 * 1024 + 1) },
      { message: 'third fine' },
      { nope: true },
    ]);
    expect(response.status).toBe(413);
    const body = await bodyOf(response);
    expect(body.error).toMatchObject({ field: '[1].message', limit: 32768 });
    expect(body.accepted).toBe(2);
    expect(body.rejected.map((r: { index: number }) => r.index)).toEqual([1, 3]);
    expect((await search(u.adminToken, { q: 'fine' })).items).toHaveLength(2);
  });

  it('refuses a payload over 8 MB with 413 naming the limit', async () => {
    const big = Array.from({ length: 300 }, (_, i) => ({ message: `${i} ${'y'.repeat(30_000)}` }));
    const response = await native(t.ingestKey, big);
    expect(response.status).toBe(413);
    expect((await bodyOf(response)).error.message).toContain('8388608');
  });

  it('stores a retried request once (Idempotency-Key)', async () => {
    const u = await newTenant();
    const records = [{ message: 'retried once only' }];
    for (let i = 0; i < 2; i++)
      expect((await native(u.ingestKey, records, { 'idempotency-key': 'batch-1' })).status).toBe(202);
    expect((await search(u.adminToken, { q: 'retried' })).items).toHaveLength(1);
  });

  it('throttles a tenant over its log bytes/s with 429 + Retry-After', async () => {
    const u = await newTenant();
    const put = await platform.request(`/admin/v1/tenants/${u.tenantId}/limits`, {
      method: 'PUT',
      token: platform.providerAdminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ logIngestionBytesRate: 1000, logIngestionBurstBytes: 2000 }),
    });
    expect(put.status, await put.clone().text()).toBeLessThan(300);
    const record = [{ message: 'z'.repeat(1500) }];
    expect((await native(u.ingestKey, record)).status).toBe(202);
    const refused = await native(u.ingestKey, [{ message: 'w'.repeat(1500) }]);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await bodyOf(refused)).error.id).toBe('err-tenant-log-ingestion-rate-limited');
    const tooBig = await native(u.ingestKey, [{ message: 'v'.repeat(2500) }]);
    expect(tooBig.status).toBe(413);
  });
});
