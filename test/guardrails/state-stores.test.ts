import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbHaTracker } from '#adapters/aws/dynamodb-ha-tracker';
import { DynamoDbIdempotencyStore } from '#adapters/aws/dynamodb-idempotency';
import { DynamoDbTenantLimitsStore } from '#adapters/aws/dynamodb-limits';
import { DynamoDbRateLimiter } from '#adapters/aws/dynamodb-rate-limiter';
import { DynamoDbSeriesRegistry } from '#adapters/aws/dynamodb-series-registry';
import { DynamoDbUsageLedger } from '#adapters/aws/dynamodb-usage-ledger';
import { SqliteHaTracker } from '#adapters/local/sqlite-ha-tracker';
import { SqliteIdempotencyStore } from '#adapters/local/sqlite-idempotency';
import { SqliteTenantLimitsStore } from '#adapters/local/sqlite-limits';
import { SqliteRateLimiter } from '#adapters/local/sqlite-rate-limiter';
import { SqliteSeriesRegistry } from '#adapters/local/sqlite-series-registry';
import { SqliteUsageLedger } from '#adapters/local/sqlite-usage-ledger';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { type GuardrailStores, guardrailStoresContract } from './state-stores.contract';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const sqliteStores = (path: string): GuardrailStores => ({
  rate: new SqliteRateLimiter(path),
  series: new SqliteSeriesRegistry(path),
  ha: new SqliteHaTracker(path),
  usage: new SqliteUsageLedger(path),
  limits: new SqliteTenantLimitsStore(path),
  idempotency: new SqliteIdempotencyStore(path),
});

guardrailStoresContract('SQLite (local), two connections to one file', async () => {
  const path = join(mkdtempSync(join(tmpdir(), 'guard-')), 'guardrails.sqlite');
  return [sqliteStores(path), sqliteStores(path)];
});

guardrailStoresContract('DynamoDB (DynamoDB Local), two adapter instances on one table', async () => {
  const table = await ddb.createTable();
  const stores = (): GuardrailStores => ({
    rate: new DynamoDbRateLimiter(ddb.documentClient, table),
    series: new DynamoDbSeriesRegistry(ddb.documentClient, table),
    ha: new DynamoDbHaTracker(ddb.documentClient, table),
    usage: new DynamoDbUsageLedger(ddb.documentClient, table),
    limits: new DynamoDbTenantLimitsStore(ddb.documentClient, table),
    idempotency: new DynamoDbIdempotencyStore(ddb.client, ddb.documentClient, table),
  });
  return [stores(), stores()];
});
