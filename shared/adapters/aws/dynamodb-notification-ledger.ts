import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isRetryable } from '#ports/dependency-failure';
import type { ClaimOutcome, NotificationLedger } from '#ports/notification-ledger';
import { deleteKeys, queryAll } from './dynamodb-items';
import { type BackoffPolicy, backoffDelayMs, sleep } from './retry';

/**
 * The metadata table's TTL attribute (epoch seconds). Only notification claims carry it: the table's
 * other items never expire.
 */
export const METADATA_TTL_ATTRIBUTE = 'expiresAt';
/** Claims have a partition prefix of their own, so IAM can let the notifier write these items only. */
export const NOTIFICATION_CLAIM_PK_PREFIX = 'NOTIFIED#';
export const notificationClaimKey = (tenantId: string, deliveryId: string) => ({
  pk: `${NOTIFICATION_CLAIM_PK_PREFIX}${tenantId}`,
  sk: deliveryId,
});
/** Epoch seconds, rounded up: a claim never expires before the millisecond it was given. */
export const toEpochSeconds = (ms: number) => Math.ceil(ms / 1000);

/**
 * Retries of a confirm that DynamoDB throttled or failed (each on top of the SDK's own 3 attempts):
 * at most about 11 s of waiting, well inside the 2-minute sending lease, since a throttled partition
 * usually recovers within seconds and the delivery is already sent.
 */
export const CONFIRM_BACKOFF: BackoffPolicy = { maxAttempts: 8, baseDelayMs: 100, maxDelayMs: 5_000 };

export interface DynamoDbNotificationLedgerOptions {
  readonly confirmBackoff?: BackoffPolicy;
  /** Waits between confirm attempts (tests record them). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Notification claims in the metadata table: pk `NOTIFIED#<tenant>`, sk the delivery id, `state`
 * ('sending' | 'sent') and `expiresAt`. A claim is a conditional put (absent, or expired but not yet
 * removed by TTL, which lags by up to days).
 */
export class DynamoDbNotificationLedger implements NotificationLedger {
  private readonly confirmBackoff: BackoffPolicy;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    options: DynamoDbNotificationLedgerOptions = {},
  ) {
    this.confirmBackoff = options.confirmBackoff ?? CONFIRM_BACKOFF;
    this.sleep = options.sleep ?? sleep;
  }

  async claim(
    tenantId: string,
    deliveryId: string,
    expiresAtMs: number,
    nowMs: number,
  ): Promise<ClaimOutcome> {
    const key = notificationClaimKey(tenantId, deliveryId);
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, state: 'sending', [METADATA_TTL_ATTRIBUTE]: toEpochSeconds(expiresAtMs) },
          ConditionExpression: 'attribute_not_exists(pk) OR #exp <= :now',
          ExpressionAttributeNames: { '#exp': METADATA_TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':now': Math.floor(nowMs / 1000) },
        }),
      );
      return 'claimed';
    } catch (e) {
      if (!(e instanceof ConditionalCheckFailedException)) throw e;
    }
    const existing = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    // Released between the put and the read: the copy holding it failed, and its retry will send.
    return existing.Item?.['state'] === 'sent' ? 'sent' : 'sending';
  }

  /**
   * An unconditional put, so sending it again is harmless: transient faults (throttling, 5xx) are
   * retried with jittered backoff (CONFIRM_BACKOFF), other errors and the last failure thrown.
   */
  async confirm(tenantId: string, deliveryId: string, expiresAtMs: number): Promise<void> {
    const item = {
      ...notificationClaimKey(tenantId, deliveryId),
      state: 'sent',
      [METADATA_TTL_ATTRIBUTE]: toEpochSeconds(expiresAtMs),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        await this.client.send(new PutCommand({ TableName: this.tableName, Item: item }));
        return;
      } catch (error) {
        if (!isRetryable(error) || attempt + 1 >= this.confirmBackoff.maxAttempts) throw error;
        await this.sleep(backoffDelayMs(attempt, this.confirmBackoff));
      }
    }
  }

  async release(tenantId: string, deliveryId: string): Promise<void> {
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: notificationClaimKey(tenantId, deliveryId) }),
    );
  }

  /** Offboarding: the archive section name, see TenantDataHolder. */
  readonly dataName = 'notification-claims';

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for await (const item of this.claimsOf(tenantId))
      yield { deliveryId: item.sk, state: item.state, expiresAt: item[METADATA_TTL_ATTRIBUTE] };
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const keys: Record<string, unknown>[] = [];
    for await (const item of this.claimsOf(tenantId)) keys.push({ pk: item.pk, sk: item.sk });
    return deleteKeys(this.client, this.tableName, keys, 'notification claims');
  }

  private claimsOf(tenantId: string): AsyncIterable<Record<string, unknown>> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${NOTIFICATION_CLAIM_PK_PREFIX}${tenantId}` },
      ConsistentRead: true,
    });
  }
}
