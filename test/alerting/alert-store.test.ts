import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbAlertStore } from '#adapters/aws/dynamodb-alert-store';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { alertStoreContract } from './alert-store.contract';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

alertStoreContract(
  'SQLite (local)',
  async () => new SqliteAlertStore(join(mkdtempSync(join(tmpdir(), 'as-')), 'alerts.sqlite')),
);
alertStoreContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbAlertStore(ddb.documentClient, await ddb.createTable()),
);
