import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';

/**
 * Where Powertools idempotency keeps its records, one persistence layer per tenant so a tenant's
 * records live in its own partition (and offboarding can erase them). AWS: Powertools'
 * DynamoDBPersistenceLayer; local: the same BasePersistenceLayer contract over SQLite.
 */
export interface IdempotencyStore {
  persistenceFor(tenantId: string): BasePersistenceLayer;
}

/** The keyPrefix given to Powertools: records are keyed `IDEMPOTENCY#<hash>` in the tenant's partition. */
export const IDEMPOTENCY_KEY_PREFIX = 'IDEMPOTENCY';
