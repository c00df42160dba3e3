import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, KMS, KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import { KmsKeyService } from '#adapters/aws/kms-key-service';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { createObservability, httpHandler, router } from '#http/handler';
import { json } from '#http/response';
import type { TenantStore } from '#ports/tenant-store';
import { invoke } from '../fuzz/support/http-event';
import { RecordingMetricStore } from './support/fault-stores';
import { inProcessPlatform } from './support/in-process';
import { nativeBatch } from './support/payloads';

const awsError = (name: string, status: number) =>
  Object.assign(new Error(name), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });

/**
 * DynamoDB throttling on the request path (authentication reads the credential): the collector must
 * get a retryable status, never a 500, and its retry after recovery is stored once.
 */
describe('DynamoDB throttling', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  afterEach(() => ddb.reset());

  it.each([
    ['ProvisionedThroughputExceededException', 400],
    ['ThrottlingException', 400],
    ['RequestLimitExceeded', 400],
    ['InternalServerError', 500],
  ])('answers 429/503 to ingest while credential reads fail with %s', async (name, status) => {
    // Onboard on a real (SQLite) store, then serve reads through a throttled DynamoDB adapter that
    // falls back to it once the throttling stops.
    const sqlite = new SqliteTenantStore(':memory:');
    const metrics = new RecordingMetricStore();
    const onboarding = inProcessPlatform({ ingest: metrics, query: metrics }, sqlite);
    const { tenantId, ingestKey } = await onboarding.onboard();

    let throttled = true;
    const dynamo = new DynamoDbTenantStore(
      DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-west-2' })),
      'tenants',
    );
    const reads: TenantStore = new Proxy(sqlite, {
      get(target, property, receiver) {
        if (property === 'getCredential' || property === 'getTenant')
          return (...args: unknown[]) =>
            throttled
              ? (dynamo[property] as (...a: unknown[]) => Promise<unknown>).apply(dynamo, args)
              : (target[property] as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        return Reflect.get(target, property, receiver);
      },
    });
    ddb.on(GetCommand).rejects(awsError(name, status));
    const platform = inProcessPlatform({ ingest: metrics, query: metrics }, reads);
    const batch = nativeBatch(Math.floor(Date.now() / 1000), { instances: 1, dataPoints: 2, values: 3 });

    const refused = await platform.ingest(ingestKey, batch.body);
    expect([429, 503]).toContain(refused.statusCode);
    expect(JSON.parse(refused.body).error.code).toMatch(/^(throttled|unavailable)$/);
    expect(Number(refused.headers?.['retry-after'] ?? refused.headers?.['Retry-After'])).toBeGreaterThan(0);
    expect(metrics.pointCount()).toBe(0);

    throttled = false;
    expect((await platform.ingest(ingestKey, batch.body)).statusCode).toBe(202);
    const stored = await metrics.query(tenantId, {
      metric: 'dp0',
      fromMs: 0,
      toMs: Date.now() + 1e6,
      filters: {},
    } as never);
    expect(stored.flatMap((s) => s.points)).toHaveLength(3);
  });
});

/**
 * KMS unavailable: whatever handler encrypts or decrypts a confidential field must answer a retryable
 * 503, not a 500. The route here stands in for any such handler (they share the error mapping).
 * On decrypt the Encryption SDK folds KMS errors into one plain Error; KmsKeyService tells an outage
 * from a refusal by the errors its KMS client saw during the call.
 */
describe('KMS unavailable', () => {
  const kms = mockClient(KMSClient);
  afterEach(() => kms.reset());

  it.each([
    ['KMSInternalException', 500],
    ['DependencyTimeoutException', 503],
    ['ThrottlingException', 400],
  ])('turns %s on encrypt and on decrypt into a 503 with Retry-After', async (name, status) => {
    const keyRef = 'arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const scope = { tenantId: 't1', field: 'device-credential.secrets', keyRef };
    // A value sealed while KMS was up (data key answered by the mock), opened while it is down.
    kms.on(GenerateDataKeyCommand).resolves({
      KeyId: keyRef,
      Plaintext: new Uint8Array(32).fill(7),
      CiphertextBlob: new Uint8Array(64).fill(9),
    });
    const sealedWhileUp = await new KmsKeyService({
      region: 'us-west-2',
      kmsFor: (region) => new KMS({ region }),
    }).encrypt(scope, 'secret');
    kms.reset();
    kms.on(GenerateDataKeyCommand).rejects(awsError(name, status));
    kms.on(DecryptCommand).rejects(awsError(name, status));
    const keys = new KmsKeyService({ region: 'us-west-2', kmsFor: (region) => new KMS({ region }) });
    const handler = httpHandler(
      createObservability('api'),
      router({
        'POST /seal': async () => json(200, { sealed: await keys.encrypt(scope, 'secret') }),
        'POST /open': async () => json(200, { opened: await keys.decrypt(scope, sealedWhileUp) }),
      }),
    );
    for (const resource of ['/seal', '/open']) {
      const result = await invoke(handler, { method: 'POST', resource });
      expect(result.statusCode, `${resource}: ${result.body}`).toBe(503);
      expect(JSON.parse(result.body).error.code).toBe('unavailable');
    }
  });
});
