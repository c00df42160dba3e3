/**
 * AWS wiring of the ingest guardrails: the regional ingest-state table (INGEST_STATE_TABLE: token
 * buckets, active series, HA leaders, idempotency records, usage counters; TTL attribute
 * `expiresAt`) and the tenant limits beside the tenant in the metadata table (TABLE_NAME).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Observability } from '../../http/handler';
import { createIngestGuard, type IngestGuard, type IngestGuardDeps } from '../../ingest/guard';
import type { Clock } from '../../ports/clock';
import { DynamoDbHaTracker } from './dynamodb-ha-tracker';
import { DynamoDbIdempotencyStore } from './dynamodb-idempotency';
import { DynamoDbTenantLimitsStore } from './dynamodb-limits';
import { DynamoDbRateLimiter } from './dynamodb-rate-limiter';
import { DynamoDbSeriesRegistry } from './dynamodb-series-registry';
import { DynamoDbUsageLedger } from './dynamodb-usage-ledger';
import { ENV, requiredEnv } from './wiring';

export const INGEST_STATE_TABLE_ENV = 'INGEST_STATE_TABLE';

export function awsGuardrailStores() {
  // The SDK's own retries (3 attempts, jittered) suit these small conditional writes.
  const client = new DynamoDBClient({});
  const documentClient = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const stateTable = requiredEnv(INGEST_STATE_TABLE_ENV);
  return {
    limits: new DynamoDbTenantLimitsStore(documentClient, requiredEnv(ENV.tableName)),
    rate: new DynamoDbRateLimiter(documentClient, stateTable),
    series: new DynamoDbSeriesRegistry(documentClient, stateTable),
    ha: new DynamoDbHaTracker(documentClient, stateTable),
    idempotency: new DynamoDbIdempotencyStore(client, documentClient, stateTable),
    usage: new DynamoDbUsageLedger(documentClient, stateTable),
  };
}

export function awsIngestGuard(
  observability: Observability,
  clock: Clock,
  hooks: Pick<IngestGuardDeps, 'onLimitUsage' | 'onLimitWarning'> = {},
): IngestGuard {
  return createIngestGuard({ ...awsGuardrailStores(), observability, clock, ...hooks });
}
