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
import type { CredentialRecord } from '#domain/credentials';
import { ConflictError, NotFoundError, UnavailableError } from '#domain/errors';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '#domain/pagination';
import type { Collector, Tenant } from '#domain/tenant';
import type { TenantDataHolder } from '#ports/tenant-data';
import {
  ENTITY_ID_FIELD,
  ENTITY_KEY_PREFIX,
  type EntityKind,
  type EntityTypes,
  type ListFilter,
  type TenantStore,
} from '#ports/tenant-store';
import { entityKeys, TABLE_KEYS, type TableKeys, withVersion } from '../items/tenant-store-items';
import { deleteKeys, queryAll } from './dynamodb-items';

/**
 * Tenant metadata in one DynamoDB table (single-table design). The table is encrypted at rest with a
 * customer-managed KMS key (CDK); customer-confidential fields are in addition envelope-encrypted per
 * tenant before they get here (shared/domain/classification.ts), so this adapter only sees ciphertext.
 *
 * | entity            | pk                  | sk                   | gsi1pk           | gsi1sk           |
 * |-------------------|---------------------|----------------------|------------------|------------------|
 * | tenant            | TENANT#<tenantId>   | META                 | TENANTS          | TENANT#<tenantId>|
 * | collector         | TENANT#<tenantId>   | COLLECTOR#<id>       |                  |                  |
 * | resource          | TENANT#<tenantId>   | RESOURCE#<id>        |                  |                  |
 * | device credential | TENANT#<tenantId>   | DEVCRED#<id>         |                  |                  |
 * | user              | TENANT#<tenantId>   | USER#<id>            |                  |                  |
 * | API token / ingest key (hash only) | CRED#<credentialId> | CRED | TENANT#<tenantId> | CRED#<credentialId> |
 * | audit event (dynamodb-audit-log.ts) | AUDIT#<tenantId> | <at ISO>#<eventId> |          |                  |
 *
 * Roles are not items: they are fixed in code (shared/domain/roles.ts) and carried by tokens and users.
 * Alert rules, escalation chains and downtime live in the alerting store (functions/alerts).
 *
 * Access patterns:
 * - authenticate a bearer token: GetItem CRED#<id> (the id is inside the token), strongly consistent;
 * - get/list one kind of a tenant's entities: GetItem / Query pk + begins_with(sk, KIND#), paginated;
 *   resources of a group: the same Query with a FilterExpression on `groups`;
 * - list a tenant's tokens and keys: Query gsi1 (gsi1pk = TENANT#<id>, gsi1sk > CRED#…);
 * - list tenants (provider): Query gsi1 (gsi1pk = TENANTS);
 * - export / delete everything of a tenant (offboarding): Query pk = TENANT#<id> and gsi1 TENANT#<id>;
 * - audit query: Query AUDIT#<tenantId> with sk between two instants, newest first.
 * gsi1 is eventually consistent: a token listed right after creation may be missing for a moment;
 * authentication never uses it.
 *
 * Concurrency: every item carries `version`; updates are Puts conditioned on `version = :expected`
 * (ConditionalCheckFailed → 409, with ReturnValuesOnConditionCheckFailure telling 404 from 409);
 * creates are conditioned on attribute_not_exists(pk).
 */
export class DynamoDbTenantStore implements TenantStore, TenantDataHolder {
  readonly dataName = 'metadata';

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void> {
    await this.insertAll([
      { ...TABLE_KEYS.tenant(tenant.tenantId), ...withVersion(tenant) },
      { ...TABLE_KEYS.credential(adminCredential), ...withVersion(adminCredential) },
    ]);
  }

  async getTenant(tenantId: string): Promise<Tenant | undefined> {
    return this.get<Tenant>(TABLE_KEYS.tenant(tenantId));
  }

  async listTenants(page: PageRequest): Promise<Page<Tenant>> {
    return this.pageByIndex<Tenant>('TENANTS', 'TENANT#', page);
  }

  async updateTenant(tenant: Tenant, expectedVersion: number): Promise<Tenant> {
    return this.update(TABLE_KEYS.tenant(tenant.tenantId), tenant, expectedVersion);
  }

  async createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void> {
    await this.insertAll([
      { ...entityKeys('collector', collector), ...withVersion(collector) },
      { ...TABLE_KEYS.credential(ingestKey), ...withVersion(ingestKey) },
    ]);
  }

  async listCollectors(tenantId: string): Promise<Collector[]> {
    const items: Collector[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.listEntities('collector', tenantId, { limit: 100, cursor });
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  }

  async getCredential(credentialId: string): Promise<CredentialRecord | undefined> {
    return this.get<CredentialRecord>(TABLE_KEYS.credential({ credentialId }));
  }

  async createCredential(record: CredentialRecord): Promise<void> {
    await this.insertAll([{ ...TABLE_KEYS.credential(record), ...withVersion(record) }]);
  }

  async updateCredential(
    record: CredentialRecord,
    expectedVersion: number,
    options: { readonly whileActive?: string } = {},
  ): Promise<CredentialRecord> {
    if (!options.whileActive) return this.update(TABLE_KEYS.credential(record), record, expectedVersion);
    // One transaction: the write and a strongly consistent check of the other credential, so two
    // crossed revocations (A while B, B while A) cannot both succeed.
    const keys = TABLE_KEYS.credential(record);
    const stored = { ...record, version: expectedVersion + 1 };
    const other = TABLE_KEYS.credential({ credentialId: options.whileActive });
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { ...keys, ...stored },
                ConditionExpression: `attribute_exists(pk) AND ${VERSION_IS}`,
                ExpressionAttributeValues: versionValues(expectedVersion),
              },
            },
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: other.pk, sk: other.sk },
                ConditionExpression:
                  'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND tenantId = :tenant',
                ExpressionAttributeValues: { ':tenant': record.tenantId },
              },
            },
          ],
        }),
      );
      return stored;
    } catch (error) {
      throw cancellationError(
        error,
        `${keys.sk} changed since version ${expectedVersion}, or ${options.whileActive} is no longer active`,
      );
    }
  }

  async listCredentials(tenantId: string, page: PageRequest): Promise<Page<CredentialRecord>> {
    return this.pageByIndex<CredentialRecord>(`TENANT#${tenantId}`, 'CRED#', page);
  }

  async createEntity<K extends EntityKind>(kind: K, entity: EntityTypes[K]): Promise<EntityTypes[K]> {
    const stored = withVersion(entity);
    await this.insertAll([{ ...entityKeys(kind, entity), ...stored }]);
    return stored;
  }

  async getEntity<K extends EntityKind>(
    kind: K,
    tenantId: string,
    id: string,
  ): Promise<EntityTypes[K] | undefined> {
    return this.get<EntityTypes[K]>(entityKeys(kind, { tenantId, [ENTITY_ID_FIELD[kind]]: id }));
  }

  async listEntities<K extends EntityKind>(
    kind: K,
    tenantId: string,
    page: PageRequest,
    filter: ListFilter = {},
  ): Promise<Page<EntityTypes[K]>> {
    const prefix = ENTITY_KEY_PREFIX[kind];
    const pk = `TENANT#${tenantId}`;
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      Limit: page.limit,
      ConsistentRead: true,
    };
    if (page.cursor) input.ExclusiveStartKey = { pk, sk: decodeCursor(page.cursor, prefix) };
    if (filter.group) {
      input.FilterExpression = 'contains(#groups, :group)';
      input.ExpressionAttributeNames = { '#groups': 'groups' };
      input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':group': filter.group };
    }
    const result = await this.client.send(new QueryCommand(input));
    const items = (result.Items ?? []).map((i) => stripKeys<EntityTypes[K]>(i));
    const lastSk = result.LastEvaluatedKey?.sk as string | undefined;
    return lastSk ? { items, nextCursor: encodeCursor(lastSk) } : { items };
  }

  async updateEntity<K extends EntityKind>(
    kind: K,
    entity: EntityTypes[K],
    expectedVersion: number,
  ): Promise<EntityTypes[K]> {
    return this.update(entityKeys(kind, entity), entity, expectedVersion);
  }

  async deleteEntity<K extends EntityKind>(
    kind: K,
    tenantId: string,
    id: string,
    expectedVersion?: number,
  ): Promise<EntityTypes[K]> {
    const { pk, sk } = entityKeys(kind, { tenantId, [ENTITY_ID_FIELD[kind]]: id });
    try {
      const result = await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk, sk },
          ConditionExpression:
            expectedVersion === undefined ? 'attribute_exists(pk)' : `attribute_exists(pk) AND ${VERSION_IS}`,
          ...(expectedVersion === undefined
            ? {}
            : { ExpressionAttributeValues: versionValues(expectedVersion) }),
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return stripKeys<EntityTypes[K]>(result.Attributes ?? {});
    } catch (error) {
      throw conditionError(error, `${kind} ${id}`, expectedVersion);
    }
  }

  async resourceDependencies(tenantId: string): Promise<Record<string, string[]>> {
    const out: Record<string, string[]> = {};
    for await (const item of queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}`, ':prefix': ENTITY_KEY_PREFIX.resource },
      ProjectionExpression: 'resourceId, dependsOn',
    })) {
      out[item.resourceId as string] = (item.dependsOn as string[] | undefined) ?? [];
    }
    return out;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for await (const item of this.tenantItems(tenantId)) yield item;
  }

  /** Removes everything of the tenant except its META item (kept as the offboarding tombstone). */
  async deleteTenant(tenantId: string): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.tenantItems(tenantId)) {
      if (item.sk !== 'META') keys.push({ pk: item.pk as string, sk: item.sk as string });
    }
    return deleteKeys(this.client, this.tableName, keys, 'tenant items');
  }

  private async *tenantItems(tenantId: string): AsyncIterable<Record<string, unknown>> {
    yield* queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
      ConsistentRead: true,
    });
    yield* queryAll(this.client, {
      TableName: this.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: 'gsi1pk = :pk',
      ExpressionAttributeValues: { ':pk': `TENANT#${tenantId}` },
    });
  }

  private async pageByIndex<T>(gsi1pk: string, prefix: string, page: PageRequest): Promise<Page<T>> {
    const after = page.cursor ? decodeCursor(page.cursor, prefix) : prefix;
    const result = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk AND gsi1sk > :after',
        ExpressionAttributeValues: { ':pk': gsi1pk, ':after': after },
        Limit: page.limit,
      }),
    );
    const items = (result.Items ?? []).map((i) => stripKeys<T>(i));
    const last = result.LastEvaluatedKey?.gsi1sk as string | undefined;
    return last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  private async get<T>(keys: TableKeys): Promise<T | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: keys.pk, sk: keys.sk }, ConsistentRead: true }),
    );
    return Item ? stripKeys<T>(Item) : undefined;
  }

  /** The conditional write: a Put only if the stored version is `expectedVersion`. */
  private async update<T extends object>(keys: TableKeys, item: T, expectedVersion: number): Promise<T> {
    const stored = { ...item, version: expectedVersion + 1 } as T;
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys, ...stored },
          ConditionExpression: `attribute_exists(pk) AND ${VERSION_IS}`,
          ExpressionAttributeValues: versionValues(expectedVersion),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return stored;
    } catch (error) {
      throw conditionError(error, keys.sk, expectedVersion);
    }
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
      throw cancellationError(error, 'item already exists');
    }
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
 * What a cancelled transaction means, read from its CancellationReasons: a failed condition is a
 * conflict (409, `conflictMessage`); a concurrent transaction or throttling is a retryable 503.
 */
function cancellationError(error: unknown, conflictMessage: string): unknown {
  if (!(error instanceof TransactionCanceledException)) return error;
  const codes = (error.CancellationReasons ?? []).map((r) => r.Code ?? 'None');
  if (codes.includes('ConditionalCheckFailed')) return new ConflictError(conflictMessage);
  if (codes.some((c) => RETRYABLE_CANCELLATIONS.has(c)))
    return new UnavailableError('the change met a concurrent change or throttling; retry', 1, {
      cause: error,
    });
  return error;
}

function conditionError(error: unknown, what: string, expectedVersion: number | undefined): unknown {
  if (!(error instanceof ConditionalCheckFailedException)) return error;
  if (!error.Item) return new NotFoundError(`${what} does not exist`);
  return new ConflictError(`${what} changed since version ${expectedVersion}; read it again`, 'if-match');
}

/** The entity without its table keys. */
function stripKeys<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, gsi1pk: _g, gsi1sk: _s, ...rest } = item;
  return rest as T;
}
