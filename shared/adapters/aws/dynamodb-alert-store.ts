import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  ItemAlertStore,
  type ItemKey,
  type ItemPage,
  type ItemTable,
  type MarkCondition,
  type TableItem,
} from '#adapters/items/alert-store-items';
import { writeInBatches } from './dynamodb-items';

/** The ItemTable operations on DynamoDB (the model and its access patterns: items/alert-store-items.ts). */
export class DynamoDbItemTable implements ItemTable {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async get(pk: string, sk: string): Promise<TableItem | undefined> {
    const r = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }),
    );
    return r.Item as TableItem | undefined;
  }

  async write(puts: readonly TableItem[], deletes: readonly ItemKey[]): Promise<void> {
    const total = puts.length + deletes.length;
    if (total === 0) return;
    if (total <= 100) {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            ...puts.map((Item) => ({ Put: { TableName: this.tableName, Item } })),
            ...deletes.map(({ pk, sk }) => ({ Delete: { TableName: this.tableName, Key: { pk, sk } } })),
          ],
        }),
      );
      return;
    }
    // Larger writes (many series states, a tenant's erasure) go in batches of 25, retrying leftovers.
    const requests = [
      ...puts.map((Item) => ({ PutRequest: { Item } })),
      ...deletes.map(({ pk, sk }) => ({ DeleteRequest: { Key: { pk, sk } } })),
    ];
    await writeInBatches(this.client, this.tableName, requests, 'alert items');
  }

  async writeIfMarked(
    puts: readonly TableItem[],
    deletes: readonly ItemKey[],
    condition: MarkCondition,
  ): Promise<boolean> {
    const isConditioned = (k: ItemKey) => k.pk === condition.pk && k.sk === condition.sk;
    // The alert's own put carries the condition (one transaction, ≤ 2 items): a stale copy, another
    // evaluator's step or a clear in between cancels the whole write.
    const check = {
      ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#m) OR #m = :m)',
      ExpressionAttributeNames: { '#m': 'mark' },
      ExpressionAttributeValues: { ':m': condition.mark },
    };
    try {
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            ...puts.map((Item) => ({
              Put: { TableName: this.tableName, Item, ...(isConditioned(Item) ? check : {}) },
            })),
            ...deletes.map(({ pk, sk }) => ({ Delete: { TableName: this.tableName, Key: { pk, sk } } })),
            ...(puts.some(isConditioned)
              ? []
              : [
                  {
                    ConditionCheck: {
                      TableName: this.tableName,
                      Key: { pk: condition.pk, sk: condition.sk },
                      ...check,
                    },
                  },
                ]),
          ],
        }),
      );
      return true;
    } catch (e) {
      if (
        e instanceof TransactionCanceledException &&
        (e.CancellationReasons ?? []).some((r) => r.Code === 'ConditionalCheckFailed')
      )
        return false;
      throw e;
    }
  }

  async putIfVersion(item: TableItem, expected: number | undefined): Promise<boolean> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...item, version: (expected ?? 0) + 1 },
          // Items written before versioning have no version attribute: they count as version 0.
          ...(expected === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : expected === 0
              ? {
                  ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(#v) OR #v = :v)',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': 0 },
                }
              : {
                  ConditionExpression: '#v = :v',
                  ExpressionAttributeNames: { '#v': 'version' },
                  ExpressionAttributeValues: { ':v': expected },
                }),
        }),
      );
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException) return false;
      throw e;
    }
  }

  async query(
    pk: string,
    options: { prefix: string; limit?: number; after?: ItemKey; reverse?: boolean },
  ): Promise<ItemPage> {
    const r = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': options.prefix },
        ScanIndexForward: !options.reverse,
        ConsistentRead: true,
        ...(options.limit ? { Limit: options.limit } : {}),
        ...(options.after ? { ExclusiveStartKey: { pk: options.after.pk, sk: options.after.sk } } : {}),
      }),
    );
    return {
      items: (r.Items ?? []) as TableItem[],
      ...(r.LastEvaluatedKey ? { last: r.LastEvaluatedKey as ItemKey } : {}),
    };
  }

  async queryIndex(
    gsi1pk: string,
    options: { upTo?: string; limit: number; after?: ItemKey & { gsi1pk?: string; gsi1sk?: string } },
  ): Promise<ItemPage> {
    const r = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: options.upTo ? 'gsi1pk = :pk AND gsi1sk <= :upTo' : 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': gsi1pk, ...(options.upTo ? { ':upTo': options.upTo } : {}) },
        Limit: options.limit,
        ...(options.after ? { ExclusiveStartKey: options.after } : {}),
      }),
    );
    return {
      items: (r.Items ?? []) as TableItem[],
      ...(r.LastEvaluatedKey ? { last: r.LastEvaluatedKey as ItemKey } : {}),
    };
  }
}

/** The alert store on the shared metadata table. */
export class DynamoDbAlertStore extends ItemAlertStore {
  constructor(client: DynamoDBDocumentClient, tableName: string) {
    super(new DynamoDbItemTable(client, tableName));
  }
}
