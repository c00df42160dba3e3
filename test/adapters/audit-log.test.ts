import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAuditLog } from '#adapters/aws/dynamodb-audit-log';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { newId } from '#domain/credentials';
import {
  AUTH_FAILURE_TTL_DAYS,
  type AuditLog,
  type AuditLogReader,
  type AuthFailureLog,
  type StoredAuditEvent,
} from '#ports/audit-log';
import type { TenantDataHolder } from '#ports/tenant-data';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';

type Log = AuditLog & AuditLogReader & AuthFailureLog & TenantDataHolder;

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

function auditLogContract(name: string, make: () => Promise<Log>): void {
  describe(`AuditLog contract: ${name}`, () => {
    const event = (tenantId: string, at: string, action: string) => ({
      tenantId,
      at,
      action,
      actor: 'cred-1',
      outcome: 'success' as const,
      sourceIp: '203.0.113.9',
    });

    it('answers a tenant’s events newest first, only that tenant’s, in pages', async () => {
      const log = await make();
      const a = newId();
      const b = newId();
      for (let i = 0; i < 5; i++)
        await log.append(event(a, `2026-01-01T00:00:0${i}.000Z`, 'resource.create'));
      await log.append(event(b, '2026-01-01T00:00:03.000Z', 'resource.create'));
      const seen: StoredAuditEvent[] = [];
      let cursor: string | undefined;
      do {
        const page = await log.query(a, {}, { limit: 2, cursor });
        seen.push(...page.items);
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen.map((e) => e.at)).toEqual([4, 3, 2, 1, 0].map((i) => `2026-01-01T00:00:0${i}.000Z`));
      for (const e of seen) {
        expect(e.tenantId).toBe(a);
        expect(e.eventId).toMatch(/^[a-f0-9]{32}$/);
      }
    });

    it('filters by time range and action (exact or prefix ending in a dot)', async () => {
      const log = await make();
      const t = newId();
      await log.append(event(t, '2026-01-01T00:00:00.000Z', 'auth.success'));
      await log.append(event(t, '2026-01-02T00:00:00.000Z', 'auth.failure'));
      await log.append(event(t, '2026-01-03T00:00:00.000Z', 'resource.update'));
      const all = { limit: 50 };
      expect((await log.query(t, { action: 'auth.' }, all)).items.map((e) => e.action)).toEqual([
        'auth.failure',
        'auth.success',
      ]);
      expect((await log.query(t, { action: 'auth.success' }, all)).items).toHaveLength(1);
      const ranged = await log.query(
        t,
        { from: '2026-01-02T00:00:00.000Z', to: '2026-01-02T23:59:59.999Z' },
        all,
      );
      expect(ranged.items.map((e) => e.action)).toEqual(['auth.failure']);
    });

    it('keeps two events of the same instant (append never overwrites)', async () => {
      const log = await make();
      const t = newId();
      await log.append(event(t, '2026-01-01T00:00:00.000Z', 'a'));
      await log.append(event(t, '2026-01-01T00:00:00.000Z', 'b'));
      expect((await log.query(t, {}, { limit: 50 })).items).toHaveLength(2);
    });

    it('counts failed authentications per source, reason, target and minute, each row with a TTL', async () => {
      const log = await make();
      const failure = (at: string, sourceIp: string, reason = 'no token') => ({
        at,
        sourceIp,
        reason,
        target: 'GET /v1/resources',
      });
      for (let i = 0; i < 5; i++)
        await log.countAuthFailure(failure('2026-03-01T10:00:0' + i + '.000Z', '203.0.113.9'));
      await log.countAuthFailure(failure('2026-03-01T10:00:30.000Z', '203.0.113.9', 'malformed token'));
      await log.countAuthFailure(failure('2026-03-01T10:00:40.000Z', '198.51.100.1'));
      await log.countAuthFailure(failure('2026-03-01T10:01:00.000Z', '203.0.113.9'));
      const counts = await log.authFailures('2026-03-01T10:00', '2026-03-01T10:01');
      const key = (c: { minute: string; sourceIp: string; reason: string }) =>
        `${c.minute} ${c.sourceIp} ${c.reason}`;
      expect(Object.fromEntries(counts.map((c) => [key(c), c.count]))).toEqual({
        '2026-03-01T10:00 203.0.113.9 no token': 5,
        '2026-03-01T10:00 203.0.113.9 malformed token': 1,
        '2026-03-01T10:00 198.51.100.1 no token': 1,
        '2026-03-01T10:01 203.0.113.9 no token': 1,
      });
      for (const c of counts)
        expect(c.expiresAt).toBeGreaterThanOrEqual(
          Date.parse('2026-03-01T10:00:00Z') / 1000 + AUTH_FAILURE_TTL_DAYS * 86_400,
        );
      // Nothing of it in any tenant's or the provider's event trail.
      expect((await log.query('provider', {}, { limit: 10 })).items).toEqual([]);
    });

    it('exports and deletes one tenant’s events for offboarding', async () => {
      const log = await make();
      const a = newId();
      const b = newId();
      await log.append(event(a, '2026-01-01T00:00:00.000Z', 'x'));
      await log.append(event(b, '2026-01-01T00:00:00.000Z', 'y'));
      const exported: unknown[] = [];
      for await (const e of log.exportTenant(a)) exported.push(e);
      expect(exported).toHaveLength(1);
      expect(await log.deleteTenant(a)).toBe(1);
      expect((await log.query(a, {}, { limit: 50 })).items).toEqual([]);
      expect((await log.query(b, {}, { limit: 50 })).items).toHaveLength(1);
    });
  });
}

auditLogContract(
  'SQLite (local)',
  async () => new SqliteAuditLog(join(mkdtempSync(join(tmpdir(), 'al-')), 'a.sqlite')),
);
auditLogContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbAuditLog(ddb.documentClient, await ddb.createTable()),
);

describe('SqliteAuditLog append-only', () => {
  it('refuses to change a recorded event', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'al-')), 'a.sqlite');
    const log = new SqliteAuditLog(path);
    await log.append({
      tenantId: 't',
      at: '2026-01-01T00:00:00.000Z',
      action: 'a',
      actor: 'x',
      outcome: 'success',
    });
    const db = (log as unknown as { db: { exec(sql: string): void } }).db;
    expect(() => db.exec("UPDATE audit_events SET action = 'forged'")).toThrow(/append-only/);
  });
});
