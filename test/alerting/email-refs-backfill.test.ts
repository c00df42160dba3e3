/**
 * The one-time backfill of email-recipient references (issue #22 item 2, existing subscriptions):
 * chains stored before references existed get them, on DynamoDB Local (the real engine, through the
 * same adapters the script uses), idempotently; afterwards one tenant dropping a shared address does
 * not release it while another tenant's chain still names it.
 */
import { createHash } from 'node:crypto';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAlertStore } from '#adapters/aws/dynamodb-alert-store';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import type { Recipient } from '#domain/alerting/escalation';
import { issueCredential } from '#domain/credentials';
import { backfillEmailReferences } from '../../functions/alerts/backfill-email-refs';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { onCallChain } from './support/notifications';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const email = (address: string): Recipient => ({ type: 'email', address });

describe('backfill:email-refs', () => {
  it('references every email recipient of every tenant once, idempotently, so a shared address outlives one tenant', async () => {
    const table = await ddb.createTable();
    const tenants = new DynamoDbTenantStore(ddb.documentClient, table);
    const store = new DynamoDbAlertStore(ddb.documentClient, table);
    const now = new Date('2026-01-01T00:00:00Z');
    for (const tenantId of ['t1', 't2', 't3'])
      await tenants.createTenant(
        { tenantId, name: tenantId, status: 'active', createdAt: now.toISOString() },
        issueCredential('tenant', tenantId, now, { role: 'admin' }).record,
      );
    // Chains as they were stored before references existed: no EMAILREF items.
    await store.putChain({
      ...onCallChain(email('ops@example.com'), email('a@example.com')),
      tenantId: 't1',
    });
    await store.putChain({
      ...onCallChain(email('ops@example.com'), { type: 'webhook', address: 'https://hooks.example.com/x' }),
      tenantId: 't2',
      chainId: 'c2',
    });
    await store.putChain({ ...onCallChain(email('ops@example.com')), tenantId: 't2', chainId: 'c3' });
    const refItems = async () => {
      const items = [];
      for (const address of ['ops@example.com', 'a@example.com']) {
        const { Items } = await ddb.documentClient.send(
          new QueryCommand({
            TableName: table,
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': `EMAILREF#${hashOf(address)}` },
          }),
        );
        items.push(...(Items ?? []).map((i) => ({ address, sk: i['sk'] })));
      }
      return items;
    };
    expect(await refItems()).toEqual([]);

    const first = await backfillEmailReferences({ tenants, store });
    expect(first).toEqual({ tenants: 3, chains: 3, references: 3 });
    const after = await refItems();
    expect(after.sort((a, b) => `${a.address}${a.sk}`.localeCompare(`${b.address}${b.sk}`))).toEqual([
      { address: 'a@example.com', sk: 'TENANT#t1' },
      { address: 'ops@example.com', sk: 'TENANT#t1' },
      { address: 'ops@example.com', sk: 'TENANT#t2' },
    ]);
    // Again: the same items, nothing more.
    expect(await backfillEmailReferences({ tenants, store })).toEqual(first);
    expect(await refItems()).toHaveLength(3);

    // t1 drops ops@: t2 still references it, so the subscription stays; t2 drops it: the last one goes.
    expect(await store.releaseEmailRecipient('t1', 'ops@example.com')).toBe(false);
    expect(await store.releaseEmailRecipient('t2', 'ops@example.com')).toBe(true);
  });
});

/** The address hash in the reference item's key (the address itself is never stored). */
const hashOf = (address: string) => createHash('sha256').update(address).digest('base64url').slice(0, 22);
