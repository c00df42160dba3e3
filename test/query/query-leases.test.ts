import { afterAll, beforeAll } from 'vitest';
import { DynamoDbQueryLeases } from '#adapters/aws/dynamodb-query-leases';
import { SqliteQueryLeases } from '#adapters/local/sqlite-query-leases';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { queryLeasesContract } from './query-leases.contract';

let dynamo: DynamoDbLocal;
let table: string;
beforeAll(async () => {
  dynamo = await startDynamoDbLocal();
  table = await dynamo.createTable();
}, 90_000);
afterAll(async () => {
  await dynamo?.stop();
});

queryLeasesContract('SQLite (two connections on one file)', async () => {
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const path = join(mkdtempSync(join(tmpdir(), 'leases-')), 'guardrails.sqlite');
  return [new SqliteQueryLeases(path), new SqliteQueryLeases(path)];
});

queryLeasesContract('DynamoDB Local (two clients on one table)', async () => [
  new DynamoDbQueryLeases(dynamo.documentClient, table),
  new DynamoDbQueryLeases(dynamo.documentClient, table),
]);
