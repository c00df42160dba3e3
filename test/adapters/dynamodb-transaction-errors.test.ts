/**
 * A cancelled DynamoDB transaction means what its CancellationReasons say: a failed condition is a
 * 409 (the item exists, the version moved), a transaction conflict or throttling a retryable 503
 * with Retry-After, never "already exists". The client is mocked; the exact request is asserted.
 */
import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import { issueCredential, newId } from '#domain/credentials';
import { ConflictError, UnavailableError } from '#domain/errors';
import { errorResult } from '#http/response';

const ddb = mockClient(DynamoDBDocumentClient);
afterEach(() => ddb.reset());

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    $metadata: {},
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

function onboard() {
  const store = new DynamoDbTenantStore(
    DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
    'meta',
  );
  const tenantId = newId();
  const admin = issueCredential('tenant', tenantId, new Date(), { role: 'admin' }).record;
  return {
    store,
    admin,
    create: () =>
      store.createTenant(
        { tenantId, name: 'acme', status: 'active', createdAt: new Date().toISOString() },
        admin,
      ),
  };
}

describe('DynamoDB transaction cancellations', () => {
  it('a failed condition is 409', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    const { create } = onboard();
    const error = await create().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
  });

  it.each([
    'TransactionConflict',
    'ThrottlingError',
    'ProvisionedThroughputExceeded',
    'RequestLimitExceeded',
  ])('%s is a retryable 503 with Retry-After', async (code) => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', code));
    const { create } = onboard();
    const error = await create().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnavailableError);
    const result = errorResult(error as UnavailableError);
    expect(result.statusCode).toBe(503);
    expect(Number(result.headers?.['retry-after'])).toBeGreaterThan(0);
  });

  it('revokes an admin in one transaction with a check that the other admin is still active', async () => {
    ddb.on(TransactWriteCommand).resolves({});
    const { store, admin } = onboard();
    const other = newId();
    await store.updateCredential({ ...admin, revokedAt: '2026-01-01T00:00:00.000Z' }, 1, {
      whileActive: other,
    });
    const calls = ddb.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    const items = calls[0]!.args[0].input.TransactItems!;
    expect(items).toHaveLength(2);
    expect(items[0]!.Put).toMatchObject({
      TableName: 'meta',
      Item: {
        pk: `CRED#${admin.credentialId}`,
        sk: 'CRED',
        revokedAt: '2026-01-01T00:00:00.000Z',
        version: 2,
      },
      ConditionExpression: expect.stringContaining('attribute_exists(pk)'),
    });
    expect(items[1]).toEqual({
      ConditionCheck: {
        TableName: 'meta',
        Key: { pk: `CRED#${other}`, sk: 'CRED' },
        ConditionExpression:
          'attribute_exists(pk) AND attribute_not_exists(revokedAt) AND tenantId = :tenant',
        ExpressionAttributeValues: { ':tenant': admin.tenantId },
      },
    });
  });
});
