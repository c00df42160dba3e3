import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RawAesKeyringNode, RawAesWrappingSuiteIdentifier } from '@aws-crypto/client-node';
import { openValue, sealValue } from '#adapters/crypto/encryption-sdk';
import type { Clock } from '#ports/clock';
import { systemClock } from '#ports/clock';
import type { EncryptionScope, KeyDestruction, KeyService } from '#ports/key-service';

const KEY_NAMESPACE = 'obs-local-tenant-keys';

/**
 * The local key ring: one 256-bit AES wrapping key per tenant in `<dataDir>/keys/<tenantId>.key`
 * (mode 0600), made when the tenant is created. Same envelope format and context checks as KMS;
 * removing the file is the crypto-shredding step of offboarding.
 */
export class LocalKeyService implements KeyService {
  private readonly dir: string;
  private readonly keyrings = new Map<string, RawAesKeyringNode>();

  constructor(
    dataDir: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.dir = join(dataDir, 'keys');
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  async createTenantKey(tenantId: string): Promise<string> {
    const file = this.keyFile(tenantId);
    if (!existsSync(file)) {
      writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
      chmodSync(file, 0o600);
    }
    return `local:${tenantId}`;
  }

  async encrypt(scope: EncryptionScope, plaintext: string): Promise<string> {
    return sealValue(this.keyring(scope), scope, plaintext);
  }

  async decrypt(scope: EncryptionScope, ciphertext: string): Promise<string> {
    return openValue(this.keyring(scope), scope, ciphertext);
  }

  async destroyTenantKey(tenantId: string, keyRef: string): Promise<KeyDestruction> {
    this.keyrings.delete(tenantId);
    rmSync(this.keyFile(tenantId), { force: true });
    return { keyRef, outcome: 'deleted', effectiveAt: this.clock.now().toISOString() };
  }

  /** Whether the tenant's key material still exists (for offboarding receipts and tests). */
  hasKey(tenantId: string): boolean {
    return existsSync(this.keyFile(tenantId));
  }

  private keyFile(tenantId: string): string {
    if (!/^[A-Za-z0-9_-]+$/.test(tenantId)) throw new Error('tenant ids are [A-Za-z0-9_-]');
    return join(this.dir, `${tenantId}.key`);
  }

  private keyring(scope: EncryptionScope): RawAesKeyringNode {
    // The key belongs to the tenant named by the scope, never to a key reference a record carries.
    const cached = this.keyrings.get(scope.tenantId);
    if (cached) return cached;
    const file = this.keyFile(scope.tenantId);
    if (!existsSync(file)) throw new Error(`no key material for tenant ${scope.tenantId} (offboarded?)`);
    const keyring = new RawAesKeyringNode({
      keyName: scope.tenantId,
      keyNamespace: KEY_NAMESPACE,
      unencryptedMasterKey: new Uint8Array(Buffer.from(readFileSync(file, 'utf8'), 'base64')),
      wrappingSuite: RawAesWrappingSuiteIdentifier.AES256_GCM_IV12_TAG16_NO_PADDING,
    });
    this.keyrings.set(scope.tenantId, keyring);
    return keyring;
  }
}
