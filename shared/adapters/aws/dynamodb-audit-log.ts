import {
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { auditEventId } from '#adapters/items/audit-event-id';
import { decodeCursor, encodeCursor, type Page, type PageRequest } from '#domain/pagination';
import {
  AUTH_FAILURE_SHARDS,
  type AuditEvent,
  type AuditLog,
  type AuditLogReader,
  type AuditQuery,
  type AuthFailure,
  type AuthFailureCount,
  type AuthFailureLog,
  authFailureExpiry,
  authFailureMinute,
  authFailurePartition,
  type StoredAuditEvent,
  UNKNOWN_SOURCE,
} from '#ports/audit-log';
import type { TenantDataHolder } from '#ports/tenant-data';
import { deleteKeys, queryAll } from './dynamodb-items';
import { METADATA_TTL_ATTRIBUTE } from './dynamodb-notification-ledger';

/**
 * The audit log in the tenant table: pk `AUDIT#<tenantId>`, sk `<at>#<eventId>` (see
 * shared/adapters/items/tenant-store-items.ts). Append-only: each event is a Put conditioned on a new key; nothing here
 * updates an event, and the functions' IAM policies deny UpdateItem/DeleteItem on `AUDIT#*` leading
 * keys to everything but offboarding (the CDK wiring list in the report says how).
 */
export class DynamoDbAuditLog implements AuditLog, AuditLogReader, AuthFailureLog, TenantDataHolder {
  readonly dataName = 'audit';

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async append(event: AuditEvent): Promise<void> {
    const eventId = auditEventId();
    await this.client.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `AUDIT#${event.tenantId}`, sk: `${event.at}#${eventId}`, eventId, ...event },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /**
   * pk `AUTHFAIL#<minute>#<shard>`, sk `<source>#<reason>#<target>`: one counter per row (ADD), with
   * the table's TTL attribute, so a flood costs one small item per source and minute.
   */
  async countAuthFailure(failure: AuthFailure): Promise<void> {
    const sourceIp = failure.sourceIp ?? UNKNOWN_SOURCE;
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: {
          pk: authFailurePartition(failure),
          sk: `${sourceIp}#${failure.reason}#${failure.target}`,
        },
        UpdateExpression:
          'ADD #count :one SET #minute = :minute, sourceIp = :source, reason = :reason, target = :target, #ttl = :ttl',
        ExpressionAttributeNames: { '#count': 'count', '#minute': 'minute', '#ttl': METADATA_TTL_ATTRIBUTE },
        ExpressionAttributeValues: {
          ':one': 1,
          ':minute': authFailureMinute(failure.at),
          ':source': sourceIp,
          ':reason': failure.reason,
          ':target': failure.target,
          ':ttl': authFailureExpiry(failure.at),
        },
      }),
    );
  }

  async authFailures(fromMinute: string, toMinute: string): Promise<AuthFailureCount[]> {
    const counts: AuthFailureCount[] = [];
    for (
      let minute = Date.parse(`${fromMinute}:00Z`);
      minute <= Date.parse(`${toMinute}:00Z`);
      minute += 60_000
    ) {
      const at = new Date(minute).toISOString();
      for (let shard = 0; shard < AUTH_FAILURE_SHARDS; shard++) {
        const pk = `AUTHFAIL#${authFailureMinute(at)}#${shard}`;
        for await (const item of queryAll(this.client, {
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
        }))
          counts.push({
            minute: item.minute as string,
            sourceIp: item.sourceIp as string,
            reason: item.reason as string,
            target: item.target as string,
            count: item.count as number,
            expiresAt: item[METADATA_TTL_ATTRIBUTE] as number,
          });
      }
    }
    return counts;
  }

  async query(tenantId: string, query: AuditQuery, page: PageRequest): Promise<Page<StoredAuditEvent>> {
    const pk = `AUDIT#${tenantId}`;
    const input: QueryCommandInput = {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ':from': query.from ?? '0', ':to': `${query.to ?? '9'}\uffff` },
      ScanIndexForward: false,
      Limit: page.limit,
      ConsistentRead: true,
    };
    if (page.cursor) input.ExclusiveStartKey = { pk, sk: decodeCursor(page.cursor, '') };
    if (query.action) {
      input.FilterExpression = query.action.endsWith('.')
        ? 'begins_with(#action, :action)'
        : '#action = :action';
      input.ExpressionAttributeNames = { '#action': 'action' };
      input.ExpressionAttributeValues = { ...input.ExpressionAttributeValues, ':action': query.action };
    }
    const result = await this.client.send(new QueryCommand(input));
    const items = (result.Items ?? []).map(({ pk: _p, sk: _s, ...event }) => event as StoredAuditEvent);
    const last = result.LastEvaluatedKey?.sk as string | undefined;
    return last ? { items, nextCursor: encodeCursor(last) } : { items };
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for await (const item of this.all(tenantId)) yield item;
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.all(tenantId)) keys.push({ pk: item.pk as string, sk: item.sk as string });
    return deleteKeys(this.client, this.tableName, keys, 'audit items');
  }

  private all(tenantId: string): AsyncIterable<Record<string, unknown>> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `AUDIT#${tenantId}` },
      ConsistentRead: true,
    });
  }
}
