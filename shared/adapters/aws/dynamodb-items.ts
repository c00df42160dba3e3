/** Item reads and writes every DynamoDB adapter needs: paginated queries, batched writes. */
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** BatchWriteItem's limit on requests per call. */
const BATCH_SIZE = 25;
const MAX_RETRIES = 8;

type WriteRequest = { PutRequest: { Item: object } } | { DeleteRequest: { Key: object } };

/**
 * Puts and deletes in batches of 25, retrying what DynamoDB leaves unprocessed (throttling) with
 * exponential backoff, 8 times at most; then throws, so the caller's operation fails retryably
 * instead of half done in silence. `what` names the items in that error.
 */
export async function writeInBatches(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  what: string,
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_SIZE) {
    let pending: readonly WriteRequest[] = requests.slice(i, i + BATCH_SIZE);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > MAX_RETRIES)
        throw new Error(`DynamoDB kept ${what} unprocessed after ${MAX_RETRIES} retries`);
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(2000, 50 * 2 ** attempt)));
      const result = await client.send(
        new BatchWriteCommand({ RequestItems: { [tableName]: pending as never } }),
      );
      pending = (result.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
}

/** Deletes these keys (see writeInBatches); returns how many. */
export async function deleteKeys(
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly object[],
  what: string,
): Promise<number> {
  await writeInBatches(
    client,
    tableName,
    keys.map((Key) => ({ DeleteRequest: { Key } })),
    what,
  );
  return keys.length;
}

/** Every item a query matches, page after page. */
export async function* queryAll(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncIterable<Record<string, unknown>> {
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await client.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    yield* page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}
