import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { onePointPayload } from '../support/native-payload';
import { PROVIDER_TOKEN, startHarness } from './support/harness';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

describe.each(['sqlite', 'dynamodb'] as const)('offboarding on %s', (backend) => {
  it('exports metadata, audit and metrics, deletes them, destroys the key and proves each step', async () => {
    const h = await startHarness(backend, ddb);
    const a = await h.onboard('leaving');
    const b = await h.onboard('staying');
    const token = a.adminToken;
    const cred = await h.call('POST', '/v1/device-credentials', {
      token,
      body: { name: 'snmp', type: 'snmp-v2c', secrets: { community: 'S3CRET-community' } },
    });
    await h.call('POST', '/v1/resources', { token, body: { type: 'device', name: 'r', address: 'h1' } });
    const { body: collector } = await h.call('POST', '/v1/collectors', { token, body: { name: 'c' } });
    const ts = Date.now() - 60_000;
    const ingest = await h.call('POST', '/v1/ingest', {
      token: collector.ingestKey,
      body: onePointPayload(Math.floor(ts / 1000), 42),
    });
    expect(ingest.status).toBe(202);
    await h.call('POST', '/v1/resources', {
      token: b.adminToken,
      body: { type: 'device', name: 'b', address: 'hb' },
    });
    const rawCiphertext = (await h.tenants.getEntity(
      'device-credential',
      a.tenantId,
      cred.body.deviceCredentialId,
    ))!.secrets;
    const keyRef = (await h.tenants.getTenant(a.tenantId))!.keyRef!;
    expect(h.keys.hasKey(a.tenantId)).toBe(true);

    // Tenant tokens cannot offboard; the provider can.
    expect((await h.call('POST', `/admin/v1/tenants/${a.tenantId}/offboard`, { token })).status).toBe(401);
    // 202 at once with the job; the tenant is suspended before the job runs.
    const r = await h.call('POST', `/admin/v1/tenants/${a.tenantId}/offboard`, { token: PROVIDER_TOKEN });
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({
      tenantId: a.tenantId,
      state: 'running',
      regions: [{ region: 'local', state: 'pending' }],
    });
    expect(r.headers.location).toBe(r.body.statusPath);
    expect((await h.call('GET', '/v1/resources', { token })).status).toBe(401);
    // Asking again answers the same job.
    const again = await h.call('POST', `/admin/v1/tenants/${a.tenantId}/offboard`, { token: PROVIDER_TOKEN });
    expect(again.body.jobId).toBe(r.body.jobId);
    await h.offboardingIdle();
    const status = await h.call('GET', r.body.statusPath, { token: PROVIDER_TOKEN });
    expect(status.status).toBe(200);
    expect((await h.call('GET', r.body.statusPath, { token })).status).toBe(401);
    expect(status.body).toMatchObject({
      jobId: r.body.jobId,
      state: 'succeeded',
      key: { outcome: 'deleted' },
    });
    const [part] = status.body.regions;
    expect(part.region).toBe('local');
    const receipt = part;
    expect(receipt.archive.records).toMatchObject({ metadata: 6, metrics: 1 });
    expect(receipt.archive.records.audit).toBeGreaterThan(3);
    expect(receipt.removed).toMatchObject({ metadata: 5, metrics: 1 });
    expect(receipt.remaining).toEqual({ metadata: 1, audit: 0, metrics: 0 });

    // The archive downloads, matches its hash, and holds the tenant's records.
    const download = await h.call('GET', receipt.archive.downloadPath, { token: PROVIDER_TOKEN });
    expect(download.status).toBe(200);
    const bytes = Buffer.from(download.text, 'latin1');
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(receipt.archive.sha256);
    const lines = gunzipSync(bytes)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ archive: 'tenant-offboarding', tenantId: a.tenantId });
    expect(lines.filter((l) => l.section === 'metrics')[0].record).toMatchObject({
      metric: 'util',
      value: 42,
    });
    expect(JSON.stringify(lines)).not.toContain('S3CRET-community');
    expect((await h.call('GET', receipt.archive.downloadPath, { token })).status).toBe(401);

    // Nothing of the tenant is readable any more.
    expect((await h.call('GET', '/v1/resources', { token })).status).toBe(401);
    expect((await h.call('GET', '/v1/collector/config', { token: collector.ingestKey })).status).toBe(401);
    expect(h.keys.hasKey(a.tenantId)).toBe(false);
    await expect(
      h.keys.decrypt({ tenantId: a.tenantId, field: 'device-credential.secrets', keyRef }, rawCiphertext),
    ).rejects.toThrow();
    const stored = await h.storedText();
    expect(stored).not.toContain(cred.body.deviceCredentialId);
    expect(stored).not.toContain('leaving');
    expect(
      (await h.call('GET', `/admin/v1/tenants/${a.tenantId}`, { token: PROVIDER_TOKEN })).body,
    ).toMatchObject({
      status: 'offboarded',
      name: '[offboarded]',
    });
    // Running it again is refused; the other tenant is untouched.
    expect(
      (await h.call('POST', `/admin/v1/tenants/${a.tenantId}/offboard`, { token: PROVIDER_TOKEN })).status,
    ).toBe(409);
    const theirs = await h.call('GET', '/v1/resources', { token: b.adminToken });
    expect(theirs.body.items).toHaveLength(1);

    // The provider's audit trail proves every step.
    const trail = await h.call('GET', '/admin/v1/audit-events', {
      token: PROVIDER_TOKEN,
      query: { tenantId: a.tenantId, limit: '100' },
    });
    expect(trail.body.items.map((e: { action: string }) => e.action).reverse()).toEqual([
      'tenant.create',
      'tenant.offboard.suspend',
      'tenant.offboard.requested',
      'tenant.offboard.export',
      'tenant.offboard.delete',
      'tenant.offboard.verify',
      'tenant.offboard.destroy-key',
      'tenant.offboard.tombstone',
    ]);
  });

  it('answers 404 for an unknown job', async () => {
    const h = await startHarness(backend, ddb);
    const unknown = `/admin/v1/offboarding-jobs/${'0'.repeat(32)}-1764241200000`;
    expect((await h.call('GET', unknown, { token: PROVIDER_TOKEN })).status).toBe(404);
    expect(
      (await h.call('GET', '/admin/v1/offboarding-jobs/not-a-job', { token: PROVIDER_TOKEN })).status,
    ).toBe(404);
  });

  it('answers 404 for an unknown tenant', async () => {
    const h = await startHarness(backend, ddb);
    const r = await h.call('POST', `/admin/v1/tenants/${'0'.repeat(32)}/offboard`, { token: PROVIDER_TOKEN });
    expect(r.status).toBe(404);
  });
});
