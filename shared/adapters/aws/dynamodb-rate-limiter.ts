import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type BucketSpec, takeTokens, toleranceMs, unitCostMs } from '#domain/guardrails/token-bucket';
import type { BucketName, RateLimiter } from '#ports/rate-limiter';
import { DynamoDbTenantItems, SK_PREFIX, tenantPk } from './dynamodb-ingest-state';

/**
 * Token buckets in DynamoDB, global across Lambda instances, without a read before the write:
 * the bucket is one number (the GCRA theoretical arrival time, see token-bucket.ts), advanced by
 * a conditional UpdateItem that succeeds only if the bucket still has room. Two writes at most:
 * "advance a busy bucket" and, when it had gone idle (TAT in the past), "restart it from now".
 */
export class DynamoDbRateLimiter extends DynamoDbTenantItems implements RateLimiter {
  readonly dataName = 'rate-limits';
  protected readonly prefixes = [SK_PREFIX.rate];

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName);
  }

  async take(tenantId: string, bucket: BucketName, cost: number, spec: BucketSpec, nowMs: number) {
    if (spec.ratePerSecond <= 0) return takeTokens(undefined, nowMs, cost, spec);
    const key = { pk: tenantPk(tenantId), sk: `${SK_PREFIX.rate}${bucket}` };
    const increment = cost * unitCostMs(spec);
    const latestStart = nowMs + toleranceMs(spec) - increment;
    const expiresAt = Math.ceil((nowMs + toleranceMs(spec)) / 1000) + 3600;
    for (let attempt = 0; attempt < 4; attempt++) {
      let stored: number | undefined;
      try {
        // Busy bucket: TAT in [now, latestStart] → TAT += cost.
        const result = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET tat = tat + :inc, expiresAt = :exp',
            ConditionExpression: 'tat >= :now AND tat <= :latest',
            ExpressionAttributeValues: {
              ':inc': increment,
              ':now': nowMs,
              ':latest': latestStart,
              ':exp': expiresAt,
            },
            ReturnValues: 'ALL_NEW',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        const tat = result.Attributes?.tat as number;
        return takeTokens(tat - increment, nowMs, cost, spec);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        stored = error.Item?.tat ? Number((error.Item.tat as { N?: string }).N) : undefined;
      }
      if (stored !== undefined && stored >= nowMs) {
        // Busy and full: refused; the domain says for how long.
        return takeTokens(stored, nowMs, cost, spec);
      }
      if (increment - toleranceMs(spec) > 0) return takeTokens(stored, nowMs, cost, spec);
      try {
        // Idle bucket (absent or TAT in the past): restart from now.
        await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: key,
            UpdateExpression: 'SET tat = :tat, expiresAt = :exp',
            ConditionExpression: 'attribute_not_exists(tat) OR tat < :now',
            ExpressionAttributeValues: { ':tat': nowMs + increment, ':now': nowMs, ':exp': expiresAt },
          }),
        );
        return takeTokens(undefined, nowMs, cost, spec);
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another instance restarted it first: try the busy path again.
      }
    }
    // Still contended after four rounds: treat as refused for a moment rather than guess.
    return { allowed: false, tatMs: nowMs, retryAfterMs: Math.ceil(unitCostMs(spec) * cost), remaining: 0 };
  }

  async peek(tenantId: string, bucket: BucketName): Promise<number | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: tenantPk(tenantId), sk: `${SK_PREFIX.rate}${bucket}` },
        ConsistentRead: true,
      }),
    );
    return Item?.tat as number | undefined;
  }
}
