/**
 * The AWS Encryption SDK as both key services use it: one data key per value, wrapped by the
 * tenant's keyring, with the encryption context `{tenant, field}` stored in the message and bound
 * into the data-key wrapping. Decrypt checks the context equals the one asked for, so a ciphertext
 * moved to another tenant or field is refused even before its key is tried.
 */
import type { KeyringNode } from '@aws-crypto/client-node';
import { CIPHERTEXT_PREFIX, type EncryptionScope } from '#ports/key-service';

export type EncryptionSdkModule = typeof import('@aws-crypto/client-node');

interface EncryptionSdk {
  readonly module: EncryptionSdkModule;
  readonly encrypt: ReturnType<EncryptionSdkModule['buildClient']>['encrypt'];
  readonly decrypt: ReturnType<EncryptionSdkModule['buildClient']>['decrypt'];
}

let loaded: Promise<EncryptionSdk> | undefined;

/**
 * The Encryption SDK, loaded on first use: it is a third of a megabyte of CommonJS (ASN.1, big
 * numbers, streams) that a cold start which never encrypts or decrypts should not pay for.
 */
export function loadEncryptionSdk(): Promise<EncryptionSdk> {
  loaded ??= import('@aws-crypto/client-node').then((module) => {
    // Key commitment on; no signature suite: writers and readers are the same trusted functions,
    // and an unsigned suite keeps the encryption context exactly {tenant, field} (what IAM sees).
    const { encrypt, decrypt } = module.buildClient({
      commitmentPolicy: module.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT,
      maxEncryptedDataKeys: 1,
    });
    return { module, encrypt, decrypt };
  });
  return loaded;
}

export const encryptionContext = (scope: EncryptionScope): Record<string, string> => ({
  tenant: scope.tenantId,
  field: scope.field,
});

export class DecryptionRefusedError extends Error {}

export async function sealValue(
  keyring: KeyringNode,
  scope: EncryptionScope,
  plaintext: string,
): Promise<string> {
  const { module, encrypt } = await loadEncryptionSdk();
  const { result } = await encrypt(keyring, Buffer.from(plaintext, 'utf8'), {
    encryptionContext: encryptionContext(scope),
    suiteId: module.AlgorithmSuiteIdentifier.ALG_AES256_GCM_IV12_TAG16_HKDF_SHA512_COMMIT_KEY,
  });
  return `${CIPHERTEXT_PREFIX}${result.toString('base64')}`;
}

export async function openValue(
  keyring: KeyringNode,
  scope: EncryptionScope,
  ciphertext: string,
): Promise<string> {
  if (!ciphertext.startsWith(CIPHERTEXT_PREFIX))
    throw new DecryptionRefusedError('not a ciphertext this platform made');
  const { decrypt } = await loadEncryptionSdk();
  const { plaintext, messageHeader } = await decrypt(
    keyring,
    Buffer.from(ciphertext.slice(CIPHERTEXT_PREFIX.length), 'base64'),
  );
  const context = messageHeader.encryptionContext;
  if (context.tenant !== scope.tenantId || context.field !== scope.field)
    throw new DecryptionRefusedError('ciphertext belongs to another tenant or field');
  return plaintext.toString('utf8');
}
