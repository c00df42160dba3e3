import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { tenantStoreContract } from './tenant-store.contract';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

tenantStoreContract(
  'SQLite (local)',
  async () => new SqliteTenantStore(join(mkdtempSync(join(tmpdir(), 'ts-')), 't.sqlite')),
);
tenantStoreContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbTenantStore(ddb.documentClient, await ddb.createTable()),
);
