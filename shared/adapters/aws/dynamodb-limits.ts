import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ConflictError } from '#domain/errors';
import type { StoredLimitOverrides, TenantLimitOverrides } from '#domain/guardrails/limits';
import type { TenantLimitsStore } from '#ports/tenant-limits';
import { DynamoDbTenantItems, tenantPk } from './dynamodb-ingest-state';

export const LIMITS_SK = 'LIMITS';

/**
 * A tenant's limit overrides in the metadata table, beside the tenant: pk TENANT#<id>, sk LIMITS,
 * attributes `overrides` (map), `version`, `updatedAt`. Written with a version condition.
 */
export class DynamoDbTenantLimitsStore extends DynamoDbTenantItems implements TenantLimitsStore {
  readonly dataName = 'limits';
  protected readonly prefixes = [LIMITS_SK];

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName);
  }

  async get(tenantId: string): Promise<StoredLimitOverrides | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: tenantPk(tenantId), sk: LIMITS_SK },
        ConsistentRead: true,
      }),
    );
    return (
      Item && {
        tenantId,
        overrides: Item.overrides as TenantLimitOverrides,
        version: Number(Item.version),
        updatedAt: Item.updatedAt as string,
      }
    );
  }

  async put(
    tenantId: string,
    overrides: TenantLimitOverrides,
    expectedVersion: number,
    updatedAt: string,
  ): Promise<StoredLimitOverrides> {
    const version = expectedVersion + 1;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: tenantPk(tenantId), sk: LIMITS_SK, overrides, version, updatedAt },
          ConditionExpression: expectedVersion === 0 ? 'attribute_not_exists(pk)' : 'version = :expected',
          ExpressionAttributeValues: expectedVersion === 0 ? undefined : { ':expected': expectedVersion },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError(`limits changed since version ${expectedVersion}`, 'if-match');
      throw error;
    }
    return { tenantId, overrides, version, updatedAt };
  }
}
