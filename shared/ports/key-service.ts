/**
 * Envelope encryption of customer-confidential fields. Every ciphertext is bound to an encryption
 * context `{tenant, field}`: decrypting it under another tenant or field fails, and each tenant's
 * data keys are wrapped by that tenant's own key, so destroying the key makes the tenant's remaining
 * ciphertext unreadable (crypto-shredding). Implementations: AWS KMS keyring (one customer-managed
 * key per tenant) and a raw AES keyring with per-tenant key files (local).
 */
export interface EncryptionScope {
  readonly tenantId: string;
  /** `entity.field`, e.g. `device-credential.secrets`. */
  readonly field: string;
  /** The tenant's key (Tenant.keyRef). */
  readonly keyRef: string;
}

export interface KeyDestruction {
  readonly keyRef: string;
  /** What happened, for the offboarding receipt: `deleted` (local file) or `scheduled-deletion`. */
  readonly outcome: 'deleted' | 'scheduled-deletion';
  /** When the key material is gone for good (KMS waits at least 7 days; disabled meanwhile). */
  readonly effectiveAt: string;
}

export interface KeyService {
  /** Creates the tenant's key; returns its reference (stored as Tenant.keyRef). */
  createTenantKey(tenantId: string): Promise<string>;
  encrypt(scope: EncryptionScope, plaintext: string): Promise<string>;
  /** Throws when the ciphertext was not made for exactly this tenant and field, or the key is gone. */
  decrypt(scope: EncryptionScope, ciphertext: string): Promise<string>;
  destroyTenantKey(tenantId: string, keyRef: string): Promise<KeyDestruction>;
}

/** Marks stored ciphertext (an AWS Encryption SDK message, base64). */
export const CIPHERTEXT_PREFIX = 'esdk1:';
