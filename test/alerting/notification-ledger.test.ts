import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DynamoDbNotificationLedger,
  METADATA_TTL_ATTRIBUTE,
  notificationClaimKey,
} from '#adapters/aws/dynamodb-notification-ledger';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { notificationLedgerContract } from './notification-ledger.contract';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const sqlitePath = () => join(mkdtempSync(join(tmpdir(), 'nl-')), 'alerts.sqlite');

notificationLedgerContract('SQLite (local)', async () => new SqliteNotificationLedger(sqlitePath()));
notificationLedgerContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbNotificationLedger(ddb.documentClient, await ddb.createTable()),
);

describe('notification claims do not pile up', () => {
  it('DynamoDB: a claim carries its expiry in epoch seconds in the TTL attribute, in its own partition', async () => {
    const table = await ddb.createTable();
    const ledger = new DynamoDbNotificationLedger(ddb.documentClient, table);
    await ledger.claim('t1', 'd1', 1_800_000_120_500, 1_800_000_000_000);
    const key = notificationClaimKey('t1', 'd1');
    expect(key.pk).toBe('NOTIFIED#t1');
    const sending = await ddb.documentClient.send(new GetCommand({ TableName: table, Key: key }));
    expect(sending.Item).toEqual({ ...key, state: 'sending', [METADATA_TTL_ATTRIBUTE]: 1_800_000_121 });
    await ledger.confirm('t1', 'd1', 1_800_604_800_000);
    const sent = await ddb.documentClient.send(new GetCommand({ TableName: table, Key: key }));
    expect(sent.Item).toEqual({ ...key, state: 'sent', [METADATA_TTL_ATTRIBUTE]: 1_800_604_800 });
  });

  it('SQLite: expired claims are swept as new ones are made', async () => {
    const ledger = new SqliteNotificationLedger(sqlitePath());
    const now = 1_800_000_000_000;
    await ledger.claim('t1', 'kept', now + 3_600_000, now);
    for (let i = 0; i < 498; i++) await ledger.claim('t1', `old-${i}`, now + 1000, now);
    expect(ledger.storedClaims()).toBe(499);
    // The 500th claim, a minute later, sweeps every expired one.
    await ledger.claim('t1', 'new', now + 3_600_000, now + 60_000);
    expect(ledger.storedClaims()).toBe(2);
    ledger.close();
  });
});
