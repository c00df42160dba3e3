import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageCounts, UsageLedger, UsageMinute } from '#ports/usage-ledger';
import { DynamoDbTenantItems, pad, queryPrefix, SK_PREFIX, tenantPk } from './dynamodb-ingest-state';

/** Per-minute usage counters: one UpdateItem of atomic ADDs per request, kept two days (TTL). */
export class DynamoDbUsageLedger extends DynamoDbTenantItems implements UsageLedger {
  readonly dataName = 'usage';
  protected readonly prefixes = [SK_PREFIX.usage];

  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(client, tableName);
  }

  async add(tenantId: string, minuteMs: number, counts: UsageCounts): Promise<void> {
    const entries = Object.entries(counts).filter(([, n]) => n !== 0);
    if (entries.length === 0) return;
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':exp': Math.ceil(minuteMs / 1000) + 2 * 86_400 };
    const adds = entries.map(([counter, n], i) => {
      names[`#c${i}`] = `c_${counter}`;
      values[`:c${i}`] = n;
      return `#c${i} :c${i}`;
    });
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: tenantPk(tenantId), sk: minuteSk(minuteMs) },
        UpdateExpression: `ADD ${adds.join(', ')} SET expiresAt = :exp`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }

  async read(tenantId: string, fromMinuteMs: number, toMinuteMs: number): Promise<UsageMinute[]> {
    const minutes: UsageMinute[] = [];
    const range = { from: minuteSk(fromMinuteMs), to: minuteSk(toMinuteMs) };
    for await (const item of queryPrefix(
      this.client,
      this.tableName,
      tenantPk(tenantId),
      SK_PREFIX.usage,
      range,
    )) {
      const counts: Record<string, number> = {};
      for (const [name, value] of Object.entries(item)) {
        if (name.startsWith('c_')) counts[name.slice(2)] = Number(value);
      }
      minutes.push({ minuteMs: Number((item.sk as string).slice(SK_PREFIX.usage.length)), counts });
    }
    return minutes;
  }
}

const minuteSk = (minuteMs: number): string => `${SK_PREFIX.usage}${pad(minuteMs, 15)}`;
