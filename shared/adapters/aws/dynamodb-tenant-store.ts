import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { CredentialRecord } from '../../domain/credentials';
import { ConflictError } from '../../domain/errors';
import type { Collector, Tenant } from '../../domain/tenant';
import type { TenantStore } from '../../ports/tenant-store';

/**
 * Tenant metadata in one DynamoDB table (single-table design):
 *
 * | entity      | pk                 | sk                     |
 * |-------------|--------------------|------------------------|
 * | tenant      | TENANT#<tenantId>  | META                   |
 * | collector   | TENANT#<tenantId>  | COLLECTOR#<collectorId>|
 * | credential  | CRED#<credentialId>| CRED                   |
 *
 * Access patterns: get tenant; list a tenant's collectors (Query pk, begins_with sk); find a
 * credential by the id embedded in its bearer token (Get).
 */
export class DynamoDbTenantStore implements TenantStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void> {
    await this.insertAll([
      { pk: `TENANT#${tenant.tenantId}`, sk: 'META', ...tenant },
      { pk: `CRED#${adminCredential.credentialId}`, sk: 'CRED', ...adminCredential },
    ]);
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.get<Tenant>(`TENANT#${tenantId}`, 'META');
  }

  async createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void> {
    await this.insertAll([
      { pk: `TENANT#${collector.tenantId}`, sk: `COLLECTOR#${collector.collectorId}`, ...collector },
      { pk: `CRED#${ingestKey.credentialId}`, sk: 'CRED', ...ingestKey },
    ]);
  }

  async listCollectors(tenantId: string): Promise<Collector[]> {
    const items: Collector[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': 'COLLECTOR#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) items.push(stripKeys<Collector>(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  async getCredential(credentialId: string): Promise<CredentialRecord | undefined> {
    return this.get<CredentialRecord>(`CRED#${credentialId}`, 'CRED');
  }

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return Item ? stripKeys<T>(Item) : undefined;
  }

  /** Puts items atomically, each only if its key is new. */
  private async insertAll(items: Record<string, unknown>[]): Promise<void> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: items.map((Item) => ({
            Put: { TableName: this.tableName, Item, ConditionExpression: 'attribute_not_exists(pk)' },
          })),
        }),
      );
    } catch (error) {
      if (error instanceof TransactionCanceledException) throw new ConflictError('item already exists');
      throw error;
    }
  }
}

/** The entity without its table keys. */
function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}
