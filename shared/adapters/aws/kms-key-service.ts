import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyringNode } from '@aws-crypto/client-node';
import {
  CreateKeyCommand,
  DisableKeyCommand,
  EnableKeyRotationCommand,
  KMS,
  ReplicateKeyCommand,
  ScheduleKeyDeletionCommand,
} from '@aws-sdk/client-kms';
import {
  DecryptionRefusedError,
  loadEncryptionSdk,
  openValue,
  sealValue,
} from '#adapters/crypto/encryption-sdk';
import { UnavailableError } from '#domain/errors';
import { isRetryable } from '#ports/dependency-failure';
import type { EncryptionScope, KeyDestruction, KeyService } from '#ports/key-service';

/**
 * KMS errors seen during one decrypt. The Encryption SDK folds every KMS error on decrypt into one
 * plain "Unable to decrypt data key" Error; what the client saw tells an outage from a refusal.
 */
const kmsErrorsOfCall = new AsyncLocalStorage<unknown[]>();

/** Tag on every tenant key: IAM policies scope kms:* to keys carrying it. */
export const TENANT_KEY_TAG = 'obs:tenant';
/** KMS's minimum waiting period before key material is deleted. */
export const KEY_DELETION_WINDOW_DAYS = 7;

export interface KmsKeyServiceOptions {
  /** The region this function runs in (its KMS endpoint is used for every call on an MRK). */
  readonly region: string;
  /**
   * The other regions of the global tenant table. When set, tenant keys are multi-Region keys
   * replicated there, so every region decrypts the replicated ciphertext with its local replica.
   */
  readonly replicaRegions?: readonly string[];
  /** A KMS client per region (created once each). */
  readonly kmsFor?: (region: string) => KMS;
}

/** `arn:aws:kms:<region>:<account>:key/<id>` with another region (same MRK id in every region). */
export function inRegion(keyArn: string, region: string): string {
  const parts = keyArn.split(':');
  if (parts.length < 6 || parts[2] !== 'kms') throw new Error(`not a KMS key ARN: ${keyArn}`);
  parts[3] = region;
  return parts.join(':');
}

const regionOf = (keyArn: string): string => keyArn.split(':')[3] ?? '';
const isMultiRegion = (keyArn: string): boolean => /:key\/mrk-/.test(keyArn);

/**
 * Envelope encryption with one customer-managed KMS key per tenant, so offboarding can destroy one
 * tenant's key material without touching another's. The Encryption SDK asks KMS for a data key per
 * value (GenerateDataKey with the context {tenant, field}); KMS binds the context into the wrapped
 * key, and IAM can require it (kms:EncryptionContext:tenant / kms:EncryptionContextKeys). With replica
 * regions the key is a multi-Region key: the MRK-aware keyring encrypts and decrypts with the replica
 * in the function's own region, so a region keeps working when another is down.
 */
export class KmsKeyService implements KeyService {
  private readonly keyrings = new Map<string, KeyringNode>();
  private readonly clients = new Map<string, KMS>();
  private readonly kmsFor: (region: string) => KMS;

  constructor(private readonly options: KmsKeyServiceOptions) {
    this.kmsFor = options.kmsFor ?? ((region) => new KMS({ region }));
  }

  async createTenantKey(tenantId: string): Promise<string> {
    const replicaRegions = this.options.replicaRegions ?? [];
    const tags = [{ TagKey: TENANT_KEY_TAG, TagValue: tenantId }];
    const result = await this.client(this.options.region).send(
      new CreateKeyCommand({
        Description: `Observability platform: data key of tenant ${tenantId}`,
        KeyUsage: 'ENCRYPT_DECRYPT',
        KeySpec: 'SYMMETRIC_DEFAULT',
        Tags: tags,
        ...(replicaRegions.length > 0 ? { MultiRegion: true } : {}),
      }),
    );
    const arn = result.KeyMetadata?.Arn;
    if (!arn) throw new Error('KMS CreateKey answered without a key ARN');
    // Yearly automatic rotation; a multi-Region key rotates on its primary and replicas follow.
    await this.client(this.options.region).send(new EnableKeyRotationCommand({ KeyId: arn }));
    for (const replicaRegion of replicaRegions) {
      await this.client(this.options.region).send(
        new ReplicateKeyCommand({ KeyId: arn, ReplicaRegion: replicaRegion, Tags: tags }),
      );
    }
    return arn;
  }

  async encrypt(scope: EncryptionScope, plaintext: string): Promise<string> {
    return sealValue(await this.keyring(scope.keyRef), scope, plaintext);
  }

  /** A KMS outage or throttling is a retryable UnavailableError; a refusal stays an error of its own. */
  async decrypt(scope: EncryptionScope, ciphertext: string): Promise<string> {
    const kmsErrors: unknown[] = [];
    try {
      return await kmsErrorsOfCall.run(kmsErrors, async () =>
        openValue(await this.keyring(scope.keyRef), scope, ciphertext),
      );
    } catch (error) {
      const transient = kmsErrors.find(isRetryable);
      if (transient !== undefined && !(error instanceof DecryptionRefusedError)) {
        throw new UnavailableError('the key service is unavailable; retry later', 5, { cause: transient });
      }
      throw error;
    }
  }

  /**
   * Disables the key at once (nothing decrypts from now on), then schedules its deletion after the
   * minimum window; replicas first (a primary with replicas waits in PendingReplicaDeletion).
   */
  async destroyTenantKey(_tenantId: string, keyRef: string): Promise<KeyDestruction> {
    this.keyrings.delete(keyRef);
    const home = regionOf(keyRef);
    const regions = isMultiRegion(keyRef)
      ? [...(this.options.replicaRegions ?? []).filter((r) => r !== home), home]
      : [home];
    let deletionDate: Date | undefined;
    for (const region of regions) {
      const keyId = inRegion(keyRef, region);
      await this.client(region).send(new DisableKeyCommand({ KeyId: keyId }));
      const result = await this.client(region).send(
        new ScheduleKeyDeletionCommand({ KeyId: keyId, PendingWindowInDays: KEY_DELETION_WINDOW_DAYS }),
      );
      if (result.DeletionDate && (!deletionDate || result.DeletionDate > deletionDate))
        deletionDate = result.DeletionDate;
    }
    return {
      keyRef,
      outcome: 'scheduled-deletion',
      effectiveAt: (deletionDate ?? new Date()).toISOString(),
    };
  }

  private client(region: string): KMS {
    let client = this.clients.get(region);
    if (!client) {
      const created = this.kmsFor(region);
      // Remember each failed call for decrypt (see kmsErrorsOfCall); the error still propagates.
      const send = created.send.bind(created) as (...args: unknown[]) => unknown;
      (created as unknown as { send: typeof send }).send = (...args) =>
        Promise.resolve(send(...args)).catch((error: unknown) => {
          kmsErrorsOfCall.getStore()?.push(error);
          throw error;
        });
      client = created;
      this.clients.set(region, client);
    }
    return client;
  }

  private async keyring(keyRef: string): Promise<KeyringNode> {
    let keyring = this.keyrings.get(keyRef);
    if (!keyring) {
      const { AwsKmsMrkAwareSymmetricKeyringNode } = (await loadEncryptionSdk()).module;
      // An MRK is used through the replica of this region; a single-Region key where it lives.
      const keyId = isMultiRegion(keyRef) ? inRegion(keyRef, this.options.region) : keyRef;
      keyring = new AwsKmsMrkAwareSymmetricKeyringNode({ keyId, client: this.client(regionOf(keyId)) });
      this.keyrings.set(keyRef, keyring);
    }
    return keyring;
  }
}
