import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { deadLetterPayload, parseDeadLetterPayload } from '#adapters/items/dead-letter-items';
import { DEAD_LETTER_RETENTION_MS, type DeadLetter, type DeadLetterStore } from '#ports/dead-letter-store';
import { deleteKeys, queryAll } from './dynamodb-items';
import { METADATA_TTL_ATTRIBUTE, toEpochSeconds } from './dynamodb-notification-ledger';

/** Dead letters have a partition prefix of their own, so IAM can let a function write these items only. */
export const DEAD_LETTER_PK_PREFIX = 'DEADLETTER#';
/** Sort key: time first (epoch ms, fixed width), so a query lists oldest first, then a random tail. */
const sortKey = (atMs: number) => `${atMs.toString(36).padStart(9, '0')}#${randomBytes(6).toString('hex')}`;

/**
 * Dead letters in the metadata table: pk `DEADLETTER#<tenant>`, sk `<time>#<random>`, `source`,
 * `reason`, `payload` (JSON), `atMs`, and `expiresAt` (TTL) 14 days on. Per tenant, so offboarding
 * exports and erases them with the tenant's other data.
 */
export class DynamoDbDeadLetters implements DeadLetterStore {
  readonly dataName = 'dead-letters';

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async put(letters: readonly DeadLetter[]): Promise<void> {
    // One put each: letters are rare, and a conditional-free put is idempotent enough for a retry.
    for (const letter of letters)
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `${DEAD_LETTER_PK_PREFIX}${letter.tenantId}`,
            sk: sortKey(letter.atMs),
            source: letter.source,
            reason: letter.reason,
            ...deadLetterPayload(letter.payload),
            atMs: letter.atMs,
            [METADATA_TTL_ATTRIBUTE]: toEpochSeconds(letter.atMs + DEAD_LETTER_RETENTION_MS),
          },
        }),
      );
  }

  async list(tenantId: string, limit: number): Promise<DeadLetter[]> {
    const letters: DeadLetter[] = [];
    for await (const item of this.items(tenantId)) {
      if (letters.length >= limit) break;
      letters.push({
        source: item['source'] as DeadLetter['source'],
        tenantId,
        reason: item['reason'] as string,
        payload: parseDeadLetterPayload(item['payload'] as string, item['payloadTruncated'] === true),
        atMs: item['atMs'] as number,
      });
    }
    return letters;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    yield* await this.list(tenantId, Number.POSITIVE_INFINITY);
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.items(tenantId, 'pk, sk'))
      keys.push({ pk: item['pk'] as string, sk: item['sk'] as string });
    return deleteKeys(this.client, this.tableName, keys, 'dead letters');
  }

  private items(tenantId: string, projection?: string) {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `${DEAD_LETTER_PK_PREFIX}${tenantId}` },
      ...(projection ? { ProjectionExpression: projection } : {}),
    });
  }
}
