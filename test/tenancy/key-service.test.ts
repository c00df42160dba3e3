import { randomBytes } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateKeyCommand,
  DecryptCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  GenerateDataKeyCommand,
  KMSClient,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { KmsKeyService } from '#adapters/aws/kms-key-service';
import { LocalKeyService } from '#adapters/local/local-key-service';
import { newId } from '#domain/credentials';
import { CIPHERTEXT_PREFIX } from '#ports/key-service';

describe('LocalKeyService (raw AES keyring, per-tenant key files)', () => {
  const make = () => new LocalKeyService(mkdtempSync(join(tmpdir(), 'keys-')));

  it('creates a 0600 key file per tenant and round-trips a value bound to tenant and field', async () => {
    const keys = make();
    const tenantId = newId();
    const keyRef = await keys.createTenantKey(tenantId);
    const scope = { tenantId, field: 'device-credential.secrets', keyRef };
    const ciphertext = await keys.encrypt(scope, 'community=public-secret');
    expect(ciphertext.startsWith(CIPHERTEXT_PREFIX)).toBe(true);
    expect(ciphertext).not.toContain('public-secret');
    expect(await keys.decrypt(scope, ciphertext)).toBe('community=public-secret');
    expect(statSync(join((keys as unknown as { dir: string }).dir, `${tenantId}.key`)).mode & 0o777).toBe(
      0o600,
    );
  });

  it('refuses one tenant’s ciphertext as another’s, and under another field', async () => {
    const keys = make();
    const a = newId();
    const b = newId();
    const scopeA = { tenantId: a, field: 'user.email', keyRef: await keys.createTenantKey(a) };
    const scopeB = { tenantId: b, field: 'user.email', keyRef: await keys.createTenantKey(b) };
    const ciphertext = await keys.encrypt(scopeA, 'alice@example.com');
    await expect(keys.decrypt(scopeB, ciphertext)).rejects.toThrow();
    await expect(keys.decrypt({ ...scopeA, field: 'user.phone' }, ciphertext)).rejects.toThrow(
      /another tenant or field/,
    );
    // Even handing tenant B's scope tenant A's key reference does not help: keys follow the tenant.
    await expect(keys.decrypt({ ...scopeB, keyRef: scopeA.keyRef }, ciphertext)).rejects.toThrow();
  });

  it('makes remaining ciphertext unreadable once the tenant key is destroyed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keys-'));
    const keys = new LocalKeyService(dir);
    const tenantId = newId();
    const scope = { tenantId, field: 'user.name', keyRef: await keys.createTenantKey(tenantId) };
    const ciphertext = await keys.encrypt(scope, 'Alice');
    const receipt = await keys.destroyTenantKey(tenantId, scope.keyRef);
    expect(receipt.outcome).toBe('deleted');
    expect(keys.hasKey(tenantId)).toBe(false);
    await expect(keys.decrypt(scope, ciphertext)).rejects.toThrow(/no key material/);
    // A fresh process (new key service on the same directory) cannot read it either.
    await expect(new LocalKeyService(dir).decrypt(scope, ciphertext)).rejects.toThrow(/no key material/);
  });
});

describe('KmsKeyService (KMS keyring, one key per tenant)', () => {
  const kmsMock = mockClient(KMSClient);
  afterEach(() => kmsMock.reset());
  const arnA = 'arn:aws:kms:us-west-2:111122223333:key/11111111-1111-1111-1111-111111111111';
  const arnB = 'arn:aws:kms:us-west-2:111122223333:key/22222222-2222-2222-2222-222222222222';

  it('creates a tagged symmetric key per tenant', async () => {
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: 'k', Arn: arnA } });
    const keys = new KmsKeyService({ region: 'us-west-2' });
    expect(await keys.createTenantKey('t1')).toBe(arnA);
    expect(kmsMock.commandCalls(CreateKeyCommand)[0]!.args[0].input).toEqual({
      Description: 'Observability platform: data key of tenant t1',
      KeyUsage: 'ENCRYPT_DECRYPT',
      KeySpec: 'SYMMETRIC_DEFAULT',
      Tags: [{ TagKey: 'obs:tenant', TagValue: 't1' }],
    });
    expect(kmsMock.commandCalls(EnableKeyRotationCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: arnA },
    ]);
  });

  it('asks KMS for a data key under the tenant key with the context {tenant, field}, and decrypts with it', async () => {
    const dataKey = new Uint8Array(randomBytes(32));
    const wrapped = new Uint8Array(randomBytes(64));
    kmsMock
      .on(GenerateDataKeyCommand)
      .resolves({ KeyId: arnA, Plaintext: dataKey.slice(), CiphertextBlob: wrapped });
    kmsMock.on(DecryptCommand).callsFake(() => ({ KeyId: arnA, Plaintext: dataKey.slice() }));
    const keys = new KmsKeyService({ region: 'us-west-2' });
    const scope = { tenantId: 'tenant-a', field: 'device-credential.secrets', keyRef: arnA };
    const ciphertext = await keys.encrypt(scope, '{"community":"s3cret"}');
    expect(kmsMock.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    expect(kmsMock.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input).toEqual({
      KeyId: arnA,
      NumberOfBytes: 32,
      EncryptionContext: { tenant: 'tenant-a', field: 'device-credential.secrets' },
      GrantTokens: undefined,
    });
    expect(await keys.decrypt(scope, ciphertext)).toBe('{"community":"s3cret"}');
    const decryptInput = kmsMock.commandCalls(DecryptCommand)[0]!.args[0].input;
    expect(decryptInput.KeyId).toBe(arnA);
    expect(decryptInput.EncryptionContext).toEqual({
      tenant: 'tenant-a',
      field: 'device-credential.secrets',
    });
    expect(Buffer.from(decryptInput.CiphertextBlob!)).toEqual(Buffer.from(wrapped));
  });

  it('refuses tenant A’s ciphertext under tenant B’s key and under another field', async () => {
    const dataKey = new Uint8Array(randomBytes(32));
    kmsMock
      .on(GenerateDataKeyCommand)
      .resolves({ KeyId: arnA, Plaintext: dataKey.slice(), CiphertextBlob: new Uint8Array(randomBytes(64)) });
    kmsMock.on(DecryptCommand).callsFake(() => ({ KeyId: arnA, Plaintext: dataKey.slice() }));
    const keys = new KmsKeyService({ region: 'us-west-2' });
    const scopeA = { tenantId: 'tenant-a', field: 'user.email', keyRef: arnA };
    const ciphertext = await keys.encrypt(scopeA, 'alice@example.com');
    await expect(
      keys.decrypt({ tenantId: 'tenant-b', field: 'user.email', keyRef: arnB }, ciphertext),
    ).rejects.toThrow();
    // B's keyring never even asked KMS to unwrap A's data key.
    expect(kmsMock.commandCalls(DecryptCommand)).toHaveLength(0);
    await expect(keys.decrypt({ ...scopeA, field: 'user.phone' }, ciphertext)).rejects.toThrow(
      /another tenant or field/,
    );
  });

  it('destroys a tenant key: disable now, schedule deletion after the minimum window', async () => {
    const deletion = new Date('2026-12-04T00:00:00Z');
    kmsMock.on(DisableKeyCommand).resolves({});
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({ KeyId: arnA, DeletionDate: deletion });
    const keys = new KmsKeyService({ region: 'us-west-2' });
    expect(await keys.destroyTenantKey('tenant-a', arnA)).toEqual({
      keyRef: arnA,
      outcome: 'scheduled-deletion',
      effectiveAt: deletion.toISOString(),
    });
    expect(kmsMock.commandCalls(DisableKeyCommand)[0]!.args[0].input).toEqual({ KeyId: arnA });
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand)[0]!.args[0].input).toEqual({
      KeyId: arnA,
      PendingWindowInDays: 7,
    });
  });

  it('makes multi-Region keys when there are replica regions, and uses the local replica everywhere', async () => {
    const primary = 'arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd';
    kmsMock.on(CreateKeyCommand).resolves({ KeyMetadata: { KeyId: 'mrk-1234abcd', Arn: primary } });
    kmsMock.on(ReplicateKeyCommand).resolves({});
    const west = new KmsKeyService({ region: 'us-west-2', replicaRegions: ['eu-west-1', 'us-east-1'] });
    expect(await west.createTenantKey('t1')).toBe(primary);
    expect(kmsMock.commandCalls(CreateKeyCommand)[0]!.args[0].input.MultiRegion).toBe(true);
    expect(kmsMock.commandCalls(ReplicateKeyCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: primary, ReplicaRegion: 'eu-west-1', Tags: [{ TagKey: 'obs:tenant', TagValue: 't1' }] },
      { KeyId: primary, ReplicaRegion: 'us-east-1', Tags: [{ TagKey: 'obs:tenant', TagValue: 't1' }] },
    ]);
    // Rotation is set once, on the primary (replicas share its rotation).
    expect(kmsMock.commandCalls(EnableKeyRotationCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: primary },
    ]);

    const dataKey = new Uint8Array(randomBytes(32));
    kmsMock.on(GenerateDataKeyCommand).callsFake((input) => ({
      KeyId: input.KeyId,
      Plaintext: dataKey.slice(),
      CiphertextBlob: new Uint8Array(64),
    }));
    kmsMock.on(DecryptCommand).callsFake((input) => ({ KeyId: input.KeyId, Plaintext: dataKey.slice() }));
    const scope = { tenantId: 't1', field: 'user.email', keyRef: primary };
    const ciphertext = await west.encrypt(scope, 'a@example.com');
    // In eu-west-1 the replicated ciphertext opens with the eu-west-1 replica, not a call to us-west-2.
    const europe = new KmsKeyService({ region: 'eu-west-1', replicaRegions: ['us-west-2', 'us-east-1'] });
    expect(await europe.decrypt(scope, ciphertext)).toBe('a@example.com');
    expect(kmsMock.commandCalls(GenerateDataKeyCommand)[0]!.args[0].input.KeyId).toBe(primary);
    expect(kmsMock.commandCalls(DecryptCommand)[0]!.args[0].input.KeyId).toBe(
      'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd',
    );
  });

  it('destroys every replica of a multi-Region key, then the primary', async () => {
    const primary = 'arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd';
    kmsMock.on(DisableKeyCommand).resolves({});
    kmsMock.on(ScheduleKeyDeletionCommand).resolves({ DeletionDate: new Date('2026-12-04T00:00:00Z') });
    const keys = new KmsKeyService({ region: 'us-west-2', replicaRegions: ['eu-west-1'] });
    await keys.destroyTenantKey('t1', primary);
    expect(kmsMock.commandCalls(ScheduleKeyDeletionCommand).map((c) => c.args[0].input)).toEqual([
      { KeyId: 'arn:aws:kms:eu-west-1:111122223333:key/mrk-1234abcd', PendingWindowInDays: 7 },
      { KeyId: primary, PendingWindowInDays: 7 },
    ]);
    expect(kmsMock.commandCalls(DisableKeyCommand)).toHaveLength(2);
  });
});
