import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Incident, NoticeChannels, TenantNotice } from '#domain/notices';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '#domain/pagination';
import type { NoticeStore } from '#ports/notice-store';
import { deleteKeys, queryAll } from './dynamodb-items';

/** The provider's incidents, in one partition of their own (never erased with a tenant). */
export const INCIDENT_PK = 'INCIDENTS';
/** A tenant's notices and notice channels: a prefix of their own, so IAM can name exactly these items. */
export const NOTICE_PK_PREFIX = 'NOTICES#';
const CHANNELS_SK = 'CHANNELS';
const NOTICE_SK_PREFIX = 'NOTICE#';
const INCIDENT_SK_PREFIX = 'INCIDENT#';

/**
 * Notices in the metadata table: each item `{pk, sk, version, body}` with the object as JSON in
 * `body` (the SQLite twin stores the same), written on the condition that the version is the one read.
 */
export class DynamoDbNoticeStore implements NoticeStore {
  readonly dataName = 'notices';

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return Item ? (JSON.parse(Item['body'] as string) as T) : undefined;
  }

  private async putIfVersion(pk: string, sk: string, body: { version: number }, expected: number) {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk, sk, version: body.version, body: JSON.stringify(body) },
          ...(expected === 0
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : {
                ConditionExpression: 'version = :expected',
                ExpressionAttributeValues: { ':expected': expected },
              }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Newest first: descending sort key under `prefix`. */
  private async page<T>(pk: string, prefix: string, page: PageRequest): Promise<Page<T>> {
    const { Items = [], LastEvaluatedKey } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
        ScanIndexForward: false,
        Limit: page.limit,
        ConsistentRead: true,
        ...(page.cursor ? { ExclusiveStartKey: { pk, sk: decodeCursor(page.cursor, prefix) } } : {}),
      }),
    );
    return {
      items: Items.map((i) => JSON.parse(i['body'] as string) as T),
      ...(LastEvaluatedKey ? { nextCursor: encodeCursor(LastEvaluatedKey['sk'] as string) } : {}),
    };
  }

  getIncident(incidentId: string): Promise<Incident | undefined> {
    return this.get(INCIDENT_PK, INCIDENT_SK_PREFIX + incidentId);
  }

  listIncidents(page: PageRequest): Promise<Page<Incident>> {
    return this.page(INCIDENT_PK, INCIDENT_SK_PREFIX, page);
  }

  putIncident(incident: Incident, expectedVersion: number): Promise<boolean> {
    return this.putIfVersion(
      INCIDENT_PK,
      INCIDENT_SK_PREFIX + incident.incidentId,
      { ...incident, version: expectedVersion + 1 },
      expectedVersion,
    );
  }

  getNotice(tenantId: string, incidentId: string): Promise<TenantNotice | undefined> {
    return this.get(NOTICE_PK_PREFIX + tenantId, NOTICE_SK_PREFIX + incidentId);
  }

  listNotices(tenantId: string, page: PageRequest): Promise<Page<TenantNotice>> {
    return this.page(NOTICE_PK_PREFIX + tenantId, NOTICE_SK_PREFIX, page);
  }

  putNotice(notice: TenantNotice, expectedVersion: number): Promise<boolean> {
    return this.putIfVersion(
      NOTICE_PK_PREFIX + notice.tenantId,
      NOTICE_SK_PREFIX + notice.incidentId,
      { ...notice, version: expectedVersion + 1 },
      expectedVersion,
    );
  }

  getChannels(tenantId: string): Promise<NoticeChannels | undefined> {
    return this.get(NOTICE_PK_PREFIX + tenantId, CHANNELS_SK);
  }

  async putChannels(channels: NoticeChannels): Promise<void> {
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: NOTICE_PK_PREFIX + channels.tenantId,
          sk: CHANNELS_SK,
          version: 1,
          body: JSON.stringify(channels),
        },
      }),
    );
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for await (const item of this.itemsOf(tenantId)) yield JSON.parse(item['body'] as string);
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const keys: Record<string, unknown>[] = [];
    for await (const item of this.itemsOf(tenantId)) keys.push({ pk: item['pk'], sk: item['sk'] });
    return deleteKeys(this.client, this.tableName, keys, 'notices');
  }

  private itemsOf(tenantId: string): AsyncIterable<Record<string, unknown>> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': NOTICE_PK_PREFIX + tenantId },
      ConsistentRead: true,
    });
  }
}
