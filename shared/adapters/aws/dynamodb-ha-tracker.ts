import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type HaLeader, haDecision } from '#domain/guardrails/ha';
import type { HaCheck, HaTracker } from '#ports/ha-tracker';
import { DynamoDbTenantItems, SK_PREFIX, tenantPk } from './dynamodb-ingest-state';

/**
 * HA leaders in DynamoDB. The leader record is cached per instance: while this instance saw the
 * leader's heartbeat less than the update timeout ago, a check costs no I/O. Elections and
 * heartbeats are conditional Puts on the record as read, so two replicas racing for a cluster
 * cannot both win.
 */
export class DynamoDbHaTracker extends DynamoDbTenantItems implements HaTracker {
  readonly dataName = 'ha-leaders';
  protected readonly prefixes = [SK_PREFIX.ha];
  private readonly cache = new Map<string, HaLeader>();

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName);
  }

  async check(
    tenantId: string,
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number,
  ): Promise<HaCheck> {
    const key = { pk: tenantPk(tenantId), sk: `${SK_PREFIX.ha}${cluster}` };
    const cacheKey = `${tenantId} ${cluster}`;
    // The cached record answers safely when it says "you lead, heartbeat fresh" or "another leads,
    // heartbeat within the failover timeout": the stored record can only be fresher than the cache.
    const cached = this.cache.get(cacheKey);
    if (cached) {
      const decision = haDecision(cached, replica, nowMs, failoverTimeoutMs);
      if (!decision.accept) return { accept: false, leader: decision.leader };
      if (decision.write === 'none') return { accept: true, leader: replica };
    }
    for (let attempt = 0; attempt < 3; attempt++) {
      const current = await this.read(key);
      const decision = haDecision(current, replica, nowMs, failoverTimeoutMs);
      if (!decision.accept || decision.write === 'none') {
        if (current) this.cache.set(cacheKey, current);
        return decision.accept
          ? { accept: true, leader: replica }
          : { accept: false, leader: decision.leader };
      }
      if (await this.write(key, replica, nowMs, current)) {
        this.cache.set(cacheKey, { replica, lastSeenMs: nowMs });
        return { accept: true, leader: replica };
      }
    }
    // Lost three races in a row: whoever wrote last leads.
    const final = await this.read(key);
    return final
      ? { accept: final.replica === replica, leader: final.replica }
      : { accept: true, leader: replica };
  }

  private async read(key: { pk: string; sk: string }): Promise<HaLeader | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item ? { replica: Item.replica as string, lastSeenMs: Number(Item.lastSeenMs) } : undefined;
  }

  /** Writes the heartbeat if the record is still the one read; false when another write came first. */
  private async write(
    key: { pk: string; sk: string },
    replica: string,
    nowMs: number,
    read: HaLeader | undefined,
  ): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, replica, lastSeenMs: nowMs, expiresAt: Math.ceil(nowMs / 1000) + 7 * 86_400 },
          ConditionExpression: read
            ? 'replica = :replica AND lastSeenMs = :lastSeen'
            : 'attribute_not_exists(pk)',
          ExpressionAttributeValues: read
            ? { ':replica': read.replica, ':lastSeen': read.lastSeenMs }
            : undefined,
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
