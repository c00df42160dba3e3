import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { deleteKeys, queryAll } from '#adapters/aws/dynamodb-items';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' }));
afterEach(() => {
  ddb.reset();
  vi.useRealTimers();
});

const keys = Array.from({ length: 30 }, (_, i) => ({ pk: 'TENANT#t', sk: `K#${i}` }));
const deletes = (from: number, to: number) => keys.slice(from, to).map((Key) => ({ DeleteRequest: { Key } }));

describe('DynamoDB queries', () => {
  it('follows LastEvaluatedKey until the last page', async () => {
    const next = { pk: 'TENANT#t', sk: 'K#1' };
    ddb
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ sk: 'K#0' }, next], LastEvaluatedKey: next })
      .resolves({ Items: [{ sk: 'K#2' }] });
    const items: unknown[] = [];
    const input = {
      TableName: 't',
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'TENANT#t' },
    };
    for await (const item of queryAll(client, input)) items.push(item.sk);
    expect(items).toEqual(['K#0', 'K#1', 'K#2']);
    const calls = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { ...input, ExclusiveStartKey: undefined },
      { ...input, ExclusiveStartKey: next },
    ]);
  });
});

describe('DynamoDB batch writes', () => {
  it('sends batches of 25 and retries what DynamoDB left unprocessed', async () => {
    ddb
      .on(BatchWriteCommand)
      .resolvesOnce({ UnprocessedItems: { t: deletes(20, 25) } })
      .resolves({});
    vi.useFakeTimers();
    const done = deleteKeys(client, 't', keys, 'test items');
    await vi.runAllTimersAsync();
    expect(await done).toBe(30);
    const sent = ddb.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.t);
    expect(sent).toEqual([deletes(0, 25), deletes(20, 25), deletes(25, 30)]);
  });

  it('gives up after 8 retries with an error naming the items, never half done in silence', async () => {
    ddb.on(BatchWriteCommand).resolves({ UnprocessedItems: { t: deletes(0, 1) } });
    vi.useFakeTimers();
    const done = deleteKeys(client, 't', keys, 'test items');
    const failure = expect(done).rejects.toThrow('DynamoDB kept test items unprocessed after 8 retries');
    await vi.runAllTimersAsync();
    await failure;
    expect(ddb.commandCalls(BatchWriteCommand)).toHaveLength(9);
  });
});
