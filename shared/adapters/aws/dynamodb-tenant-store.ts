import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ActiveCredential,
  type IndexQuery,
  type ItemKey,
  ItemTenantStore,
  type PartitionQuery,
  type Refusal,
  type TenantItem,
  type TenantItemTable,
} from '#adapters/items/tenant-store-items';
import { UnavailableError } from '#domain/errors';
import { deleteKeys, queryAll } from './dynamodb-items';

/**
 * The TenantItemTable operations on DynamoDB (the model, its layout and access patterns:
 * shared/adapters/items/tenant-store-items.ts). Items are stored flat: keys and attributes side by side.
 * Conditional writes: Puts conditioned on `version = :expected` (ConditionalCheckFailed, with
 * ReturnValuesOnConditionCheckFailure telling a missing item from a moved version); creates are
 * conditioned on attribute_not_exists(pk).
 */
export class DynamoDbTenantItemTable implements TenantItemTable {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(key: ItemKey): Promise<TenantItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: key.pk, sk: key.sk }, ConsistentRead: true }),
    );
    return Item as TenantItem | undefined;
  }

  async insertAll(items: readonly TenantItem[]): Promise<boolean> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: items.map((Item) => ({
            Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
          })),
        }),
      );
      return true;
    } catch (error) {
      return failedCondition(error);
    }
  }

  async replaceIfVersion(item: TenantItem, expectedVersion: number): Promise<Refusal | undefined> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: `attribute_exists(pk) AND ${VERSION_IS}`,
          ExpressionAttributeValues: versionValues(expectedVersion),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return undefined;
    } catch (error) {
      return refusal(error);
    }
  }

  async replaceIfVersionWhileActive(
    item: TenantItem,
    expectedVersion: number,
    active: ActiveCredential,
  ): Promise<boolean> {
    // One transaction: the write and a strongly consistent check of the other credential.
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: item,
                ConditionExpression: `attribute_exists(pk) AND ${VERSION_IS}`,
                ExpressionAttributeValues: versionValues(expectedVersion),
              },
            },
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: active.key.pk, sk: active.key.sk },
                ConditionExpression:
                  'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND tenantId = :tenant',
                ExpressionAttributeValues: { ':tenant': active.tenantId },
              },
            },
          ],
        }),
      );
      return true;
    } catch (error) {
      return failedCondition(error);
    }
  }

  async deleteIfVersion(key: ItemKey, expectedVersion: number | undefined): Promise<TenantItem | Refusal> {
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: key.pk, sk: key.sk },
          ConditionExpression:
            expectedVersion === undefined ? 'attribute_exists(pk)' : `attribute_exists(pk) AND ${VERSION_IS}`,
          ...(expectedVersion === undefined
            ? {}
            : { ExpressionAttributeValues: versionValues(expectedVersion) }),
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return (result.Attributes ?? { pk: key.pk, sk: key.sk }) as TenantItem;
    } catch (error) {
      return refusal(error);
    }
  }

  async query(pk: string, options: PartitionQuery): Promise<{ items: TenantItem[]; lastSk?: string }> {
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': options.prefix },
      Limit: options.limit,
      ConsistentRead: true,
    };
    if (options.afterSk !== undefined) input.ExclusiveStartKey = { pk, sk: options.afterSk };
    if (options.inGroup !== undefined) {
      input.FilterExpression = 'contains(#groups, :group)';
      input.ExpressionAttributeNames = { '#groups': 'groups' };
      input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':group': options.inGroup };
    }
    const result = await this.client.send(new QueryCommand(input));
    const lastSk = result.LastEvaluatedKey?.sk as string | undefined;
    return { items: (result.Items ?? []) as TenantItem[], ...(lastSk ? { lastSk } : {}) };
  }

  async queryIndex(
    gsi1pk: string,
    options: IndexQuery,
  ): Promise<{ items: TenantItem[]; lastGsi1sk?: string }> {
    // Each gsi1 partition holds one key family (TENANTS: TENANT#…, TENANT#<id>: CRED#…), so
    // "after the prefix" bounds the family without begins_with.
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :after',
        ExpressionAttributeValues: { ':pk': gsi1pk, ':after': options.after ?? options.prefix },
        Limit: options.limit,
      }),
    );
    const lastGsi1sk = result.LastEvaluatedKey?.gsi1sk as string | undefined;
    return { items: (result.Items ?? []) as TenantItem[], ...(lastGsi1sk ? { lastGsi1sk } : {}) };
  }

  project(pk: string, prefix: string, attributes: readonly string[]): AsyncIterable<Record<string, unknown>> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ProjectionExpression: attributes.join(', '),
    });
  }

  async *itemsUnder(key: string): AsyncIterable<TenantItem> {
    yield* queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': key },
      ConsistentRead: true,
    }) as AsyncIterable<TenantItem>;
    yield* queryAll(this.client, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': key },
    }) as AsyncIterable<TenantItem>;
  }

  deleteAll(keys: readonly ItemKey[]): Promise<number> {
    return deleteKeys(
      this.client,
      this.tableName,
      keys.map(({ pk, sk }) => ({ pk, sk })),
      'tenant items',
    );
  }
}

/** Tenant metadata in one DynamoDB table (single-table design), on the shared item model. */
export class DynamoDbTenantStore extends ItemTenantStore {
  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(new DynamoDbTenantItemTable(client, tableName));
  }
}

/** Items written before versioning count as version 1. */
const VERSION_IS = '(version = :expected OR (attribute_not_exists(version) AND :expected = :one))';
const versionValues = (expected: number) => ({ ':expected': expected, ':one': 1 });

/** Cancellation reasons DynamoDB gives when the transaction may succeed if sent again. */
const RETRYABLE_CANCELLATIONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/**
 * What a cancelled transaction means, read from its CancellationReasons: a failed condition is false
 * (the model answers 409); a concurrent transaction or throttling is a retryable 503; anything else
 * is thrown as it came.
 */
function failedCondition(error: unknown): false {
  if (!(error instanceof TransactionCanceledException)) throw error;
  const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  if (codes.includes('ConditionalCheckFailed')) return false;
  if (codes.some((c) => RETRYABLE_CANCELLATIONS.has(c)))
    throw new UnavailableError('the change met a concurrent change or throttling; retry', 1, {
      cause: error,
    });
  throw error;
}

/** A failed condition on one item: `missing` when DynamoDB returned no old item, else `conflict`. */
function refusal(error: unknown): Refusal {
  if (!(error instanceof ConditionalCheckFailedException)) throw error;
  return error.Item ? 'conflict' : 'missing';
}
