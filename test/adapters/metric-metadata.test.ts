import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { DynamoDbMetricMetadata } from '#adapters/aws/dynamodb-metric-metadata';
import { SqliteMetricMetadata } from '#adapters/local/sqlite-metric-metadata';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { metricMetadataContract } from './metric-metadata.contract';

let ddb: DynamoDbLocal;
let table: string;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  table = await ddb.createTable();
});
afterAll(async () => {
  await ddb?.stop();
});

metricMetadataContract(
  'SQLite (local)',
  async () =>
    new SqliteMetricMetadata(join(mkdtempSync(join(tmpdir(), 'metadata-')), 'metric-metadata.sqlite')),
);

metricMetadataContract(
  'DynamoDB (DynamoDB Local)',
  async () => new DynamoDbMetricMetadata(ddb.documentClient, table),
);
