import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { issueCredential, newId } from '#domain/credentials';
import { ForbiddenError, UnauthorizedError, UnavailableError } from '#domain/errors';
import { ROLE_PERMISSIONS } from '#domain/roles';
import {
  authenticate,
  configureAuth,
  invalidateCredential,
  type Principal,
  requirePermission,
  requireRole,
} from '#http/auth';
import type { HttpEvent } from '#http/types';
import { PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';

const eventWith = (token: string): HttpEvent =>
  ({
    httpMethod: 'GET',
    resource: '/v1/resources',
    headers: { Authorization: `Bearer ${token}` },
    requestContext: { identity: { sourceIp: '192.0.2.1' } },
  }) as unknown as HttpEvent;

async function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'auth-'));
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = { now: () => now };
  const audit = new SqliteAuditLog(join(dir, 'audit.sqlite'));
  // Two function instances over the same table, like two Lambda containers.
  const instanceA = new SqliteTenantStore(join(dir, 't.sqlite'));
  const instanceB = new SqliteTenantStore(join(dir, 't.sqlite'));
  for (const store of [instanceA, instanceB]) configureAuth(store, { audit, clock, cacheTtlMs: 10_000 });
  const tenantId = newId();
  const admin = issueCredential('tenant', tenantId, now, { role: 'admin' });
  await instanceA.createTenant(
    { tenantId, name: 't', status: 'active', createdAt: now.toISOString() },
    admin.record,
  );
  return {
    instanceA,
    instanceB,
    audit,
    tenantId,
    admin,
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}

describe('authenticate', () => {
  it('applies a revocation at once where it happens and within the cache TTL everywhere else', async () => {
    const { instanceA, instanceB, admin, advance } = await setup();
    await authenticate(eventWith(admin.token), instanceA, 'tenant');
    await authenticate(eventWith(admin.token), instanceB, 'tenant');
    const current = (await instanceA.getCredential(admin.record.credentialId))!;
    await instanceA.updateCredential({ ...current, revokedAt: '2026-01-01T00:00:01Z' }, 1);
    invalidateCredential(instanceA, admin.record.credentialId);
    await expect(authenticate(eventWith(admin.token), instanceA, 'tenant')).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    // The other instance still has the decision cached: the documented bound.
    await expect(authenticate(eventWith(admin.token), instanceB, 'tenant')).resolves.toBeDefined();
    advance(10_001);
    await expect(authenticate(eventWith(admin.token), instanceB, 'tenant')).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('never answers a wrong secret from the cache', async () => {
    const { instanceA, admin } = await setup();
    await authenticate(eventWith(admin.token), instanceA, 'tenant');
    const forged = `${admin.token.slice(0, -4)}abcd`;
    await expect(authenticate(eventWith(forged), instanceA, 'tenant')).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
  });

  it('gives a token with a swapped kind prefix the same answer warm and cold', async () => {
    const { instanceA, instanceB, tenantId, admin, advance } = await setup();
    const ingest = issueCredential('ingest', tenantId, new Date('2026-01-01T00:00:00Z'));
    await instanceA.createCredential(ingest.record);
    const swapped = (token: string, to: 'tenant' | 'ingest') =>
      token.replace(/^obs_(tenant|ingest)_/, `obs_${to}_`);
    const tenantAsIngest = swapped(admin.token, 'ingest');
    const ingestAsTenant = swapped(ingest.token, 'tenant');
    // Cold (instance B has never seen either credential): a kind mismatch is 401.
    await expect(authenticate(eventWith(tenantAsIngest), instanceB, 'ingest')).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    await expect(authenticate(eventWith(ingestAsTenant), instanceB, 'tenant')).rejects.toBeInstanceOf(
      UnauthorizedError,
    );
    // Warm (instance A has cached both genuine tokens): the same strings get the same answer.
    advance(1);
    await authenticate(eventWith(admin.token), instanceA, 'tenant');
    await authenticate(eventWith(ingest.token), instanceA, 'ingest');
    for (const [token, kind] of [
      [tenantAsIngest, 'ingest'],
      [tenantAsIngest, 'tenant'],
      [ingestAsTenant, 'tenant'],
      [ingestAsTenant, 'ingest'],
    ] as const)
      await expect(authenticate(eventWith(token), instanceA, kind)).rejects.toBeInstanceOf(UnauthorizedError);
    // The genuine tokens still pass warm.
    await expect(authenticate(eventWith(admin.token), instanceA, 'tenant')).resolves.toBeDefined();
    await expect(authenticate(eventWith(ingest.token), instanceA, 'ingest')).resolves.toBeDefined();
  });

  it('records a success once per TTL, every failure, and counts unknown credentials per source and minute', async () => {
    const { instanceA, audit, tenantId, admin, advance } = await setup();
    await authenticate(eventWith(admin.token), instanceA, 'tenant');
    await authenticate(eventWith(admin.token), instanceA, 'tenant');
    const forged = `${admin.token.slice(0, -4)}abcd`;
    for (let i = 0; i < 2; i++)
      await expect(authenticate(eventWith(forged), instanceA, 'tenant')).rejects.toThrow();
    await expect(authenticate(eventWith(admin.token), instanceA, 'ingest')).rejects.toBeInstanceOf(
      ForbiddenError,
    );
    advance(10_001);
    await authenticate(eventWith(admin.token), instanceA, 'tenant');
    const events = (await audit.query(tenantId, {}, { limit: 50 })).items.reverse();
    expect(events.map((e) => [e.action, e.reason ?? ''])).toEqual([
      ['auth.success', ''],
      ['auth.failure', 'secret mismatch'],
      ['auth.failure', 'secret mismatch'],
      ['auth.failure', 'a tenant credential where ingest is needed'],
      ['auth.success', ''],
    ]);
    for (const e of events) {
      expect(e).toMatchObject({
        actor: admin.record.credentialId,
        sourceIp: '192.0.2.1',
        target: 'GET /v1/resources',
      });
      expect(JSON.stringify(e)).not.toContain(admin.token.split('_').slice(3).join('_'));
    }
    await expect(
      authenticate(eventWith(`obs_tenant_${newId()}_${'x'.repeat(43)}`), instanceA, 'tenant'),
    ).rejects.toBeInstanceOf(UnauthorizedError);
    // Anyone can present an unknown credential: counted apart, never an event in the provider's partition.
    expect((await audit.query(PROVIDER_AUDIT_PARTITION, {}, { limit: 50 })).items).toEqual([]);
    expect(await audit.authFailures('2026-01-01T00:00', '2026-01-01T00:01')).toEqual([
      expect.objectContaining({
        reason: 'unknown credential',
        sourceIp: '192.0.2.1',
        target: 'GET /v1/resources',
        count: 1,
      }),
    ]);
  });

  it('fails closed with 503 when the decision cannot be recorded', async () => {
    const { instanceA, admin } = await setup();
    configureAuth(instanceA, {
      audit: {
        append: async () => {
          throw new Error('audit table down');
        },
      },
    });
    await expect(authenticate(eventWith(admin.token), instanceA, 'tenant')).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });
});

describe('roles', () => {
  const principal = (
    role: 'admin' | 'operator' | 'read-only',
    kind: 'tenant' | 'ingest' = 'tenant',
  ): Principal => ({
    tenantId: 't',
    credential: { ...issueCredential(kind, 't', new Date(), { role }).record },
  });

  it('orders admin over operator over read-only', () => {
    expect(() => requireRole(principal('admin'), 'operator')).not.toThrow();
    expect(() => requireRole(principal('operator'), 'operator')).not.toThrow();
    expect(() => requireRole(principal('read-only'), 'operator')).toThrow(ForbiddenError);
    expect(() => requireRole(principal('operator'), 'admin')).toThrow(ForbiddenError);
    expect(() => requireRole(principal('admin', 'ingest'), 'read-only')).toThrow(ForbiddenError);
  });

  it('gives read-only no write, operator no people/tokens/audit, admin everything', () => {
    expect([...ROLE_PERMISSIONS['read-only']].every((p) => p.endsWith(':read'))).toBe(true);
    expect(() => requirePermission(principal('read-only'), 'resources:write')).toThrow(ForbiddenError);
    for (const p of ['tokens:manage', 'audit:read', 'users:write', 'users:read'] as const)
      expect(() => requirePermission(principal('operator'), p)).toThrow(ForbiddenError);
    expect(() => requirePermission(principal('operator'), 'alerts:write')).not.toThrow();
    expect(() => requirePermission(principal('admin'), 'audit:read')).not.toThrow();
  });
});
