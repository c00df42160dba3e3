/**
 * `npx tsx bench/tenancy.ts`: the price of the security features, on DynamoDB Local (the real engine)
 * and the local key ring.
 *
 * A. authenticate(): a cached decision vs one that reads the credential and tenant and appends an
 *    audit event (cache TTL 0), sequential, p50/p99 over 2,000 calls each.
 * B. Envelope encryption of one field (Encryption SDK, raw AES keyring): seal + open per second.
 * C. Offboarding a tenant with 1,000 resources and 10,000 metric points: wall time of the whole
 *    receipt (suspend, export, delete, destroy key, verify, tombstone).
 */
import { performance } from 'node:perf_hooks';
import { newId } from '#domain/credentials';
import type { Sample } from '#domain/metrics';
import { authenticate, configureAuth } from '#http/auth';
import type { HttpEvent } from '#http/types';
import { startDynamoDbLocal } from '../test/support/dynamodb-local';
import { startHarness } from '../test/tenancy/support/harness';
import { type BenchRow, fmt, markdownTable, writeReport } from './lib/results';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

async function timeCalls(n: number, call: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await call();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b);
}

const ddb = await startDynamoDbLocal();
const rows: BenchRow[] = [];
try {
  const h = await startHarness('dynamodb', ddb);
  const { adminToken } = await h.onboard('bench');
  const event = {
    httpMethod: 'GET',
    resource: '/v1/resources',
    headers: { Authorization: `Bearer ${adminToken}` },
    requestContext: { identity: { sourceIp: '127.0.0.1' } },
  } as unknown as HttpEvent;
  configureAuth(h.tenants, { audit: h.audit, cacheTtlMs: 0 });
  const uncached = await timeCalls(2000, () => authenticate(event, h.tenants, 'tenant'));
  configureAuth(h.tenants, { audit: h.audit, cacheTtlMs: 60_000 });
  const cached = await timeCalls(2000, () => authenticate(event, h.tenants, 'tenant'));
  rows.push({
    figure: 'authenticate, cached decision: p50 / p99',
    measured: `${fmt(percentile(cached, 0.5), 3)} / ${fmt(percentile(cached, 0.99), 3)} ms`,
    baseline: `${fmt(percentile(uncached, 0.5), 2)} / ${fmt(percentile(uncached, 0.99), 2)} ms uncached (2 reads + audit put)`,
    ratio: `${fmt(percentile(uncached, 0.5) / percentile(cached, 0.5), 0)}× faster`,
    goal: 'revocation bound = TTL (10 s)',
    verdict: 'info',
  });

  const tenantId = newId();
  const keyRef = await h.keys.createTenantKey(tenantId);
  const scope = { tenantId, field: 'device-credential.secrets', keyRef };
  const n = 2000;
  const start = performance.now();
  for (let i = 0; i < n; i++)
    await h.keys.decrypt(scope, await h.keys.encrypt(scope, '{"community":"public"}'));
  const perSecond = n / ((performance.now() - start) / 1000);
  rows.push({
    figure: 'field envelope encryption (seal + open, local AES keyring)',
    measured: `${fmt(perSecond)} /s`,
    baseline: '—',
    ratio: '—',
    goal: 'not on the ingest path',
    verdict: 'info',
  });

  const victim = await h.onboard('leaving');
  for (let i = 0; i < 1000; i++)
    await h.call('POST', '/v1/resources', {
      token: victim.adminToken,
      body: { type: 'device', name: `d${i}`, address: `10.0.${Math.floor(i / 250)}.${i % 250}` },
    });
  const samples: Sample[] = [];
  const t0 = Date.now() - 3_600_000;
  for (let s = 0; s < 100; s++)
    for (let p = 0; p < 100; p++)
      samples.push({ metric: 'cpu', dimensions: { host: `h${s}` }, timestampMs: t0 + p * 1000, value: p });
  await h.metrics.write(victim.tenantId, samples);
  const offboardStart = performance.now();
  // The job, from the request (202) to its status (200, succeeded) once its part has run.
  const receipt = await h.offboard(victim.tenantId);
  const offboardMs = performance.now() - offboardStart;
  if (receipt.status !== 200 || receipt.body.state !== 'succeeded')
    throw new Error(`offboarding failed: ${receipt.text}`);
  rows.push({
    figure: 'offboarding: 1,000 resources + 10,000 points (DynamoDB Local + SQLite)',
    measured: `${fmt(offboardMs / 1000, 2)} s`,
    baseline: '—',
    ratio: '—',
    goal: 'one API call',
    verdict: 'info',
  });
} finally {
  await ddb.stop();
}

writeReport('tenancy', {
  section: 'Tenancy and security',
  rows,
  notes: [
    'Sequential calls, one process, DynamoDB Local on the same machine (network round trips are local).',
  ],
});
console.log(
  markdownTable(
    ['figure', 'measured', 'baseline', 'ratio', 'goal'],
    rows.map((r) => [r.figure, r.measured, r.baseline, r.ratio, r.goal]),
  ),
);
