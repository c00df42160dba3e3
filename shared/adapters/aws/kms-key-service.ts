import { KmsKeyringNode } from '@aws-crypto/client-node';
import {
  CreateKeyCommand,
  DisableKeyCommand,
  type KMS,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import type { EncryptionScope, KeyDestruction, KeyService } from '../../ports/key-service';
import { openValue, sealValue } from './encryption-sdk';

/** Tag on every tenant key: IAM policies scope kms:* to keys carrying it. */
export const TENANT_KEY_TAG = 'obs:tenant';
/** KMS's minimum waiting period before key material is deleted. */
export const KEY_DELETION_WINDOW_DAYS = 7;

/**
 * Envelope encryption with one customer-managed KMS key per tenant (so offboarding can destroy one
 * tenant's key material without touching another's). The Encryption SDK asks KMS for a data key
 * per value (GenerateDataKey with the context {tenant, field}); KMS binds the context into the
 * wrapped key, and IAM can require it (kms:EncryptionContext:tenant / kms:EncryptionContextKeys).
 */
export class KmsKeyService implements KeyService {
  private readonly keyrings = new Map<string, KmsKeyringNode>();

  constructor(private readonly kms: KMS) {}

  async createTenantKey(tenantId: string): Promise<string> {
    const result = await this.kms.send(
      new CreateKeyCommand({
        Description: `Observability platform: data key of tenant ${tenantId}`,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        Tags: [{ TagKey: TENANT_KEY_TAG, TagValue: tenantId }],
      }),
    );
    const arn = result.KeyMetadata?.Arn;
    if (!arn) throw new Error('KMS CreateKey answered without a key ARN');
    return arn;
  }

  async encrypt(scope: EncryptionScope, plaintext: string): Promise<string> {
    return sealValue(this.keyring(scope.keyRef), scope, plaintext);
  }

  async decrypt(scope: EncryptionScope, ciphertext: string): Promise<string> {
    return openValue(this.keyring(scope.keyRef), scope, ciphertext);
  }

  /** Disables the key at once (nothing decrypts from now on), then schedules its deletion. */
  async destroyTenantKey(_tenantId: string, keyRef: string): Promise<KeyDestruction> {
    this.keyrings.delete(keyRef);
    await this.kms.send(new DisableKeyCommand({ KeyId: keyRef }));
    const result = await this.kms.send(
      new ScheduleKeyDeletionCommand({ KeyId: keyRef, PendingWindowInDays: KEY_DELETION_WINDOW_DAYS }),
    );
    return {
      keyRef,
      outcome: 'scheduled-deletion',
      effectiveAt: (result.DeletionDate ?? new Date()).toISOString(),
    };
  }

  private keyring(keyArn: string): KmsKeyringNode {
    let keyring = this.keyrings.get(keyArn);
    if (!keyring) {
      keyring = new KmsKeyringNode({
        // The generator alone: one wrapped data key per message, and decrypt tries only this key.
        generatorKeyId: keyArn,
        clientProvider: () => this.kms,
      });
      this.keyrings.set(keyArn, keyring);
    }
    return keyring;
  }
}
