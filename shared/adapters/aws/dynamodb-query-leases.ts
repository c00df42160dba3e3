import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { freeSlots, heldLeases, type LeaseSlot } from '#domain/query-leases';
import type { LeaseDecision, QueryLease, QueryLeases } from '#ports/query-leases';
import type { TenantDataHolder } from '#ports/tenant-data';
import { INGEST_STATE_TTL_ATTRIBUTE, pad, queryPrefix } from './dynamodb-ingest-state';
import { deleteKeys } from './dynamodb-items';

/** Lease items live in their own partitions, so IAM can grant the query function these items only. */
export const QUERY_LEASE_PK_PREFIX = 'QUERYLEASE#';
const leasePk = (tenantId: string) => `${QUERY_LEASE_PK_PREFIX}${tenantId}`;
const slotSk = (slot: number) => `SLOT#${pad(slot, 4)}`;
/** The TTL attribute outlives the lease by an hour: DynamoDB deletes expired items lazily anyway. */
const CLEANUP_AFTER_S = 3600;

/**
 * Query leases in the regional ingest-state table: one item per slot of a tenant
 * (`QUERYLEASE#<tenant>` / `SLOT#<n>`), holding the holder's id and the lease's expiry.
 *
 * Acquire reads the tenant's slots (one strongly consistent Query), then takes a free or expired slot
 * with a conditional Put (`attribute_not_exists(pk) OR leaseExpiresAtMs <= now`): of two instances
 * racing for one slot exactly one write succeeds, and the loser tries the next free slot. A tenant
 * at its limit is refused after the read alone (no write). Release is a Delete conditioned on the
 * holder, so a query that outlived its lease never frees the slot another query took since.
 *
 * Expiry is judged on the acquiring instance's clock against the expiry the holder wrote with its
 * own: a clock s ahead could take a slot s early. Lambda clocks are NTP-synchronised (milliseconds
 * apart), and the TTL callers pass exceeds the longest a query can run by a margin far above that.
 * DynamoDB's own TTL deletion (`expiresAt`) is only cleanup: it may lag by days, so expiry is
 * always read from `leaseExpiresAtMs`.
 */
export class DynamoDbQueryLeases implements QueryLeases, TenantDataHolder {
  readonly dataName = 'query-leases';

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async acquire(tenantId: string, limit: number, ttlMs: number, nowMs: number): Promise<LeaseDecision> {
    const stored = await this.slots(tenantId);
    const holder = randomUUID();
    const expiresAtMs = nowMs + ttlMs;
    for (const slot of freeSlots(stored, limit, nowMs, Math.floor(Math.random() * limit))) {
      try {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: {
              pk: leasePk(tenantId),
              sk: slotSk(slot),
              slot,
              holder,
              leaseExpiresAtMs: expiresAtMs,
              [INGEST_STATE_TTL_ATTRIBUTE]: Math.ceil(expiresAtMs / 1000) + CLEANUP_AFTER_S,
            },
            ConditionExpression: 'attribute_not_exists(pk) OR leaseExpiresAtMs <= :now',
            ExpressionAttributeValues: { ':now': nowMs },
          }),
        );
        return { granted: true, lease: { tenantId, slot, holder, expiresAtMs } };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another instance took this slot since the read: try the next free one.
      }
    }
    return { granted: false, ...heldLeases(await this.slots(tenantId), nowMs) };
  }

  async release(lease: QueryLease): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: leasePk(lease.tenantId), sk: slotSk(lease.slot) },
          ConditionExpression: '#holder = :holder',
          ExpressionAttributeNames: { '#holder': 'holder' },
          ExpressionAttributeValues: { ':holder': lease.holder },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // The lease had expired and the slot is another query's now: nothing of ours to give back.
    }
  }

  /** Offboarding: the tenant's lease items (they hold no data beyond the tenant id and slot). */
  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    yield* queryPrefix(this.client, this.tableName, leasePk(tenantId), 'SLOT#');
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.exportTenant(tenantId) as AsyncIterable<{ pk: string; sk: string }>)
      keys.push({ pk: item.pk, sk: item.sk });
    let deleted = 0;
    for (let i = 0; i < keys.length; i += 25)
      deleted += await deleteKeys(this.client, this.tableName, keys.slice(i, i + 25), 'query lease deletes');
    return deleted;
  }

  private async slots(tenantId: string): Promise<LeaseSlot[]> {
    const out: LeaseSlot[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': leasePk(tenantId) },
          // Names mapped: DynamoDB reserves many plain words.
          ProjectionExpression: '#slot, #holder, #expires',
          ExpressionAttributeNames: { '#slot': 'slot', '#holder': 'holder', '#expires': 'leaseExpiresAtMs' },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? [])
        out.push({
          slot: item.slot as number,
          holder: item.holder as string,
          expiresAtMs: item.leaseExpiresAtMs as number,
        });
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }
}
