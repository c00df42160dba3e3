/**
 * The notice store's contract, on SQLite (the local twin) and DynamoDB Local (the AWS adapter), and
 * the fan-out's bounds on real local stores: a page of tenants at a time, where it stopped kept on the
 * incident, and a run after it is done sending nothing twice.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbNoticeStore } from '#adapters/aws/dynamodb-notice-store';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { SqliteNoticeStore } from '#adapters/local/sqlite-notice-store';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { LocalNoticeSender } from '#adapters/webhook/notice-sender';
import { WebhookNotifier } from '#adapters/webhook/webhook-notifier';
import { newId } from '#domain/credentials';
import { newIncident, noticeWithUpdate, type TenantNotice } from '#domain/notices';
import type { NoticeStore } from '#ports/notice-store';
import { fanOut } from '../../functions/admin/notices';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { tenantsWithNoticeEmail } from './support/tenants';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const tempDir = () => mkdtempSync(join(tmpdir(), 'notices-'));
const AT = '2026-12-06T12:00:00.000Z';
const incidentInput = {
  title: 'Key exposure',
  text: 'Rotate keys.',
  severity: 'critical' as const,
  status: 'investigating' as const,
  tenants: 'all' as const,
};

async function drain<T>(read: (cursor?: string) => Promise<{ items: T[]; nextCursor?: string }>) {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await read(cursor);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}

function noticeStoreContract(name: string, open: () => Promise<NoticeStore>) {
  describe(`notice store: ${name}`, () => {
    it('writes incidents on the version read, and lists them newest first in pages', async () => {
      const store = await open();
      const first = newIncident('000000001aaaa', incidentInput, AT);
      expect(await store.putIncident(first, 0)).toBe(true);
      expect(await store.putIncident(first, 0)).toBe(false);
      const stored = await store.getIncident('000000001aaaa');
      expect(stored).toEqual({ ...first, version: 1 });
      expect(await store.putIncident({ ...first, title: 'stale' }, 5)).toBe(false);
      expect(await store.putIncident({ ...first, title: 'renamed' }, 1)).toBe(true);
      expect((await store.getIncident('000000001aaaa'))?.title).toBe('renamed');
      for (const id of ['000000002bbbb', '000000003cccc'])
        await store.putIncident(newIncident(id, incidentInput, AT), 0);
      const listed = await drain((cursor) =>
        store.listIncidents({ limit: 2, ...(cursor ? { cursor } : {}) }),
      );
      expect(listed.map((i) => i.incidentId)).toEqual(['000000003cccc', '000000002bbbb', '000000001aaaa']);
      expect(await store.getIncident('nope')).toBeUndefined();
    });

    it("keeps each tenant's notices and channels apart, and erases them with the tenant", async () => {
      const store = await open();
      const [t1, t2] = [newId(), newId()];
      const incident = newIncident('000000001aaaa', incidentInput, AT);
      const notice = noticeWithUpdate(undefined, t1, incident, incident.updates[0]!, AT);
      expect(await store.putNotice(notice, 0)).toBe(true);
      expect(await store.putNotice(notice, 0)).toBe(false);
      const acked: TenantNotice = { ...notice, acknowledgedSeq: 0, acknowledgedAt: AT };
      expect(await store.putNotice(acked, 1)).toBe(true);
      expect(await store.getNotice(t1, '000000001aaaa')).toEqual({ ...acked, version: 2 });
      expect(await store.getNotice(t2, '000000001aaaa')).toBeUndefined();
      await store.putChannels({
        tenantId: t1,
        recipients: [{ type: 'email', address: 'a@b.example' }],
        updatedAt: AT,
      });
      expect((await store.getChannels(t1))?.recipients).toEqual([{ type: 'email', address: 'a@b.example' }]);
      expect(await store.getChannels(t2)).toBeUndefined();
      expect((await store.listNotices(t1, { limit: 10 })).items).toHaveLength(1);
      expect((await store.listNotices(t2, { limit: 10 })).items).toEqual([]);
      const exported = [];
      for await (const item of store.exportTenant(t1)) exported.push(item);
      expect(exported).toHaveLength(2);
      expect(await store.deleteTenant(t1)).toBe(2);
      expect(await store.getNotice(t1, '000000001aaaa')).toBeUndefined();
      expect(await store.getChannels(t1)).toBeUndefined();
      // The provider's incident is not the tenant's data: it stays.
      await store.putIncident(incident, 0);
      await store.deleteTenant(t1);
      expect(await store.getIncident('000000001aaaa')).toBeDefined();
    });
  });
}

noticeStoreContract('SQLite (local)', async () => new SqliteNoticeStore(join(tempDir(), 'notices.sqlite')));
noticeStoreContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbNoticeStore(ddb.documentClient, await ddb.createTable()),
);

describe('fan-out bounds', () => {
  it('delivers a page of tenants at a time, goes on from where it stopped, and never sends twice', async () => {
    const dir = tempDir();
    const tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
    const store = new SqliteNoticeStore(join(dir, 'notices.sqlite'));
    const outbox = join(dir, 'outbox.jsonl');
    const now = new Date(AT);
    const ids = await tenantsWithNoticeEmail(tenants, store, 5, AT);
    const ctx = {
      store,
      tenants,
      audit: new SqliteAuditLog(join(dir, 'audit.sqlite')),
      clock: { now: () => now },
      ledger: new SqliteNotificationLedger(join(dir, 'alerts.sqlite')),
      sender: new LocalNoticeSender(new WebhookNotifier(), outbox),
      fanoutLimits: { pageSize: 2, pages: 1 },
    };
    const mails = () => readFileSync(outbox, 'utf8').trim().split('\n').length;
    await store.putIncident(newIncident('000000001aaaa', incidentInput, AT), 0);

    const first = await fanOut(ctx, '000000001aaaa');
    expect(first.fanout).toMatchObject({ done: false, tenants: 2, sent: 2 });
    expect(mails()).toBe(2);
    const second = await fanOut(ctx, '000000001aaaa');
    expect(second.fanout).toMatchObject({ done: false, tenants: 4, sent: 4 });
    const third = await fanOut(ctx, '000000001aaaa');
    expect(third.fanout).toMatchObject({ done: true, tenants: 5, sent: 5 });
    expect(mails()).toBe(5);
    // Every tenant has its copy once; a run after done reaches them again and sends nothing.
    for (const tenantId of ids)
      expect((await store.getNotice(tenantId, '000000001aaaa'))?.updates).toHaveLength(1);
    for (let i = 0; i < 3; i++) await fanOut(ctx, '000000001aaaa');
    expect(mails()).toBe(5);
    const recipients = readFileSync(outbox, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { to: { address: string } }).to.address)
      .sort();
    expect(recipients).toEqual([0, 1, 2, 3, 4].map((i) => `sec${i}@t.example`));
  });
});
