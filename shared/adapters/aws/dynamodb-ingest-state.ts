/**
 * The ingest-state table (regional, not the global metadata table: atomic counters and conditional
 * elections must not be replicated last-writer-wins across regions). Single-table layout, all
 * items of a tenant in its partition so offboarding can find them:
 *
 * | item                        | pk                | sk                                   |
 * |-----------------------------|-------------------|--------------------------------------|
 * | token bucket (TAT)          | TENANT#<tenantId> | RATE#<samples|requests>              |
 * | active series marker        | TENANT#<tenantId> | SERIES#<window>#<seriesId>           |
 * | active series count         | TENANT#<tenantId> | SERIESCOUNT#<window>                 |
 * | active series count, metric | TENANT#<tenantId> | SERIESCOUNT#<window>#M#<metric>      |
 * | HA cluster leader           | TENANT#<tenantId> | HA#<cluster>                         |
 * | idempotency record          | TENANT#<tenantId> | IDEMPOTENCY#<hash> (Powertools)      |
 * | usage counters of a minute  | TENANT#<tenantId> | USAGE#<minute epoch ms, 15 digits>   |
 * | query concurrency lease     | QUERYLEASE#<tenantId> | SLOT#<slot, 4 digits>            |
 *
 * Every item carries `expiresAt` (epoch seconds): the table's TTL attribute. Query leases have their
 * own partitions (dynamodb-query-leases.ts) so the query function's IAM grant reaches only them.
 */

import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TenantDataHolder } from '#ports/tenant-data';
import { deleteKeys, queryAll } from './dynamodb-items';

export const INGEST_STATE_TTL_ATTRIBUTE = 'expiresAt';
/** The environment variable naming the table (set by the CDK's bindTable). */
export const INGEST_STATE_TABLE_ENV = 'INGEST_STATE_TABLE';
export const tenantPk = (tenantId: string): string => `TENANT#${tenantId}`;
export const SK_PREFIX = {
  rate: 'RATE#',
  series: 'SERIES#',
  seriesCount: 'SERIESCOUNT#',
  ha: 'HA#',
  idempotency: 'IDEMPOTENCY#',
  usage: 'USAGE#',
} as const;

/** Window numbers and minutes as fixed-width strings, so sort keys order as numbers. */
export const pad = (n: number, width = 12): string => String(n).padStart(width, '0');

export async function* queryPrefix(
  client: DynamoDBDocumentClient,
  tableName: string,
  pk: string,
  prefix: string,
  range?: { from: string; to: string },
): AsyncIterable<Record<string, unknown>> {
  yield* queryAll(client, {
    TableName: tableName,
    KeyConditionExpression: range
      ? 'pk = :pk AND sk BETWEEN :from AND :to'
      : 'pk = :pk AND begins_with(sk, :prefix)',
    ExpressionAttributeValues: range
      ? { ':pk': pk, ':from': range.from, ':to': range.to }
      : { ':pk': pk, ':prefix': prefix },
    ConsistentRead: true,
  });
}

/** A TenantDataHolder over the items of some sort-key prefixes in a tenant's partition. */
export abstract class DynamoDbTenantItems implements TenantDataHolder {
  abstract readonly dataName: string;
  protected abstract readonly prefixes: readonly string[];

  constructor(
    protected readonly client: DynamoDBDocumentClient,
    protected readonly tableName: string,
  ) {}

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    for (const prefix of this.prefixes)
      yield* queryPrefix(this.client, this.tableName, tenantPk(tenantId), prefix);
  }

  async deleteTenant(tenantId: string): Promise<number> {
    let deleted = 0;
    for (const prefix of this.prefixes) {
      let batch: { pk: string; sk: string }[] = [];
      const flush = async () => {
        deleted += await deleteKeys(this.client, this.tableName, batch, 'guardrail state deletes');
        batch = [];
      };
      for await (const item of queryPrefix(this.client, this.tableName, tenantPk(tenantId), prefix)) {
        batch.push({ pk: item.pk as string, sk: item.sk as string });
        if (batch.length === 25) await flush();
      }
      if (batch.length > 0) await flush();
    }
    return deleted;
  }
}
