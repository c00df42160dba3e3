/**
 * AWS wiring of the ingest guardrails: the regional ingest-state table (INGEST_STATE_TABLE: token
 * buckets, active series, HA leaders, idempotency records, usage counters; TTL attribute
 * `expiresAt`) and the tenant limits beside the tenant in the metadata table (TABLE_NAME).
 */
import type { Observability } from '#http/handler';
import { createIngestGuard, type IngestGuard, type IngestGuardDeps } from '#ingest/guard';
import type { Clock } from '#ports/clock';
import { DynamoDbHaTracker } from './dynamodb-ha-tracker';
import { DynamoDbIdempotencyStore } from './dynamodb-idempotency';
import { INGEST_STATE_TABLE_ENV } from './dynamodb-ingest-state';
import { DynamoDbTenantLimitsStore } from './dynamodb-limits';
import { DynamoDbRateLimiter } from './dynamodb-rate-limiter';
import { DynamoDbSeriesRegistry } from './dynamodb-series-registry';
import { DynamoDbUsageLedger } from './dynamodb-usage-ledger';
import { awsQueryLeases, documentClient, dynamoDbClient, ENV, requiredEnv } from './wiring';

export { INGEST_STATE_TABLE_ENV };

export function awsGuardrailStores() {
  // The SDK's own retries (3 attempts, jittered) suit these small conditional writes.
  const client = dynamoDbClient();
  const documents = documentClient();
  const stateTable = requiredEnv(INGEST_STATE_TABLE_ENV);
  return {
    limits: new DynamoDbTenantLimitsStore(documents, requiredEnv(ENV.tableName)),
    rate: new DynamoDbRateLimiter(documents, stateTable),
    series: new DynamoDbSeriesRegistry(documents, stateTable),
    ha: new DynamoDbHaTracker(documents, stateTable),
    idempotency: new DynamoDbIdempotencyStore(client, documents, stateTable),
    usage: new DynamoDbUsageLedger(documents, stateTable),
    /** The query API's concurrency leases (same table): listed so offboarding erases them too. */
    queryLeases: awsQueryLeases(),
  };
}

export function awsIngestGuard(
  observability: Observability,
  clock: Clock,
  hooks: Pick<IngestGuardDeps, 'onLimitUsage' | 'onLimitWarning'> = {},
): IngestGuard {
  return createIngestGuard({ ...awsGuardrailStores(), observability, clock, ...hooks });
}
