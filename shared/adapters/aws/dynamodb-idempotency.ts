import { DynamoDBPersistenceLayer } from '@aws-lambda-powertools/idempotency/dynamodb';
import type { BasePersistenceLayer } from '@aws-lambda-powertools/idempotency/persistence';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { IdempotencyStore } from '#ports/idempotency-store';
import {
  DynamoDbTenantItems,
  INGEST_STATE_TTL_ATTRIBUTE,
  SK_PREFIX,
  tenantPk,
} from './dynamodb-ingest-state';

/**
 * Powertools' DynamoDBPersistenceLayer on the ingest-state table, one layer per tenant: the static
 * partition value is the tenant's partition (pk TENANT#<id>), the sort key the idempotency key
 * (`IDEMPOTENCY#<hash>`, the prefix being the handler's keyPrefix), the expiry the table's TTL
 * attribute.
 */
export class DynamoDbIdempotencyStore extends DynamoDbTenantItems implements IdempotencyStore {
  readonly dataName = 'idempotency';
  protected readonly prefixes = [SK_PREFIX.idempotency];
  private readonly layers = new Map<string, DynamoDBPersistenceLayer>();

  constructor(
    private readonly sdkClient: DynamoDBClient,
    documentClient: DynamoDBDocumentClient,
    tableName: string,
  ) {
    super(documentClient, tableName);
  }

  persistenceFor(tenantId: string): BasePersistenceLayer {
    let layer = this.layers.get(tenantId);
    if (!layer) {
      if (this.layers.size >= 1000) this.layers.clear();
      layer = new DynamoDBPersistenceLayer({
        tableName: this.tableName,
        awsSdkV3Client: this.sdkClient,
        keyAttr: 'pk',
        sortKeyAttr: 'sk',
        staticPkValue: tenantPk(tenantId),
        expiryAttr: INGEST_STATE_TTL_ATTRIBUTE,
      });
      this.layers.set(tenantId, layer);
    }
    return layer;
  }
}
