import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { MetricMetadataEntry, MetricType } from '#domain/metric-metadata';
import type { MetricMetadataQuery, MetricMetadataStore } from '#ports/metric-metadata';
import type { TenantDataHolder } from '#ports/tenant-data';
import { deleteKeys, queryAll, writeInBatches } from './dynamodb-items';

/**
 * Metric metadata in the metadata table (TABLE_NAME), in a partition of its own per tenant so the
 * tenant store's partition (TENANT#<id>) stays the tenant's entities:
 *
 * | item            | pk                      | sk                | attributes              |
 * |-----------------|-------------------------|-------------------|-------------------------|
 * | metric metadata | METRICMETA#<tenantId>   | METRIC#<metric>   | metric, type, help, unit |
 *
 * record = BatchWriteItem puts (latest wins); list = Query on the partition (sort key order is the
 * metric name's); offboarding exports and deletes the partition.
 */
export const METRIC_METADATA_PK_PREFIX = 'METRICMETA#';
export const metricMetadataPk = (tenantId: string): string => `${METRIC_METADATA_PK_PREFIX}${tenantId}`;
const METRIC_SK_PREFIX = 'METRIC#';

export class DynamoDbMetricMetadata implements MetricMetadataStore, TenantDataHolder {
  readonly dataName = 'metric-metadata';

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async record(tenantId: string, entries: readonly MetricMetadataEntry[]): Promise<void> {
    const pk = metricMetadataPk(tenantId);
    // One put per metric: BatchWriteItem refuses a batch that names a key twice.
    const latest = new Map(entries.map((e) => [e.metric, e]));
    await writeInBatches(
      this.client,
      this.tableName,
      [...latest.values()].map((e) => ({
        PutRequest: {
          Item: {
            pk,
            sk: METRIC_SK_PREFIX + e.metric,
            metric: e.metric,
            type: e.type,
            help: e.help,
            unit: e.unit,
          },
        },
      })),
      'metric metadata puts',
    );
  }

  async list(tenantId: string, query: MetricMetadataQuery = {}): Promise<MetricMetadataEntry[]> {
    const out: MetricMetadataEntry[] = [];
    const limit = query.limit ?? Number.POSITIVE_INFINITY;
    if (limit <= 0) return out;
    const items = queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression:
        query.metric === undefined ? 'pk = :pk AND begins_with(sk, :sk)' : 'pk = :pk AND sk = :sk',
      ExpressionAttributeValues: {
        ':pk': metricMetadataPk(tenantId),
        ':sk': METRIC_SK_PREFIX + (query.metric ?? ''),
      },
      ...(Number.isFinite(limit) ? { Limit: Math.min(limit, 1000) } : {}),
    });
    for await (const item of items) {
      out.push({
        metric: item.metric as string,
        type: item.type as MetricType,
        help: item.help as string,
        unit: item.unit as string,
      });
      if (out.length >= limit) break;
    }
    return out;
  }

  async *exportTenant(tenantId: string): AsyncIterable<unknown> {
    yield* this.items(tenantId);
  }

  async deleteTenant(tenantId: string): Promise<number> {
    const keys: { pk: string; sk: string }[] = [];
    for await (const item of this.items(tenantId))
      keys.push({ pk: item.pk as string, sk: item.sk as string });
    return deleteKeys(this.client, this.tableName, keys, 'metric metadata deletes');
  }

  private items(tenantId: string): AsyncIterable<Record<string, unknown>> {
    return queryAll(this.client, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': metricMetadataPk(tenantId) },
      ConsistentRead: true,
    });
  }
}
