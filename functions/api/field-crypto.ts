import { type ClassifiedEntity, confidentialFields } from '#domain/classification';
import type { KeyService } from '#ports/key-service';
import type { TenantStore } from '#ports/tenant-store';

/**
 * Encrypts and decrypts the fields the classification table marks customer-confidential, under the
 * tenant's own key with the context {tenant, field: `<entity>.<field>`}.
 */
export class FieldCrypto {
  private readonly keyRefs = new Map<string, string>();

  constructor(
    private readonly keys: KeyService,
    private readonly tenants: TenantStore,
  ) {}

  async seal(entity: ClassifiedEntity, tenantId: string, field: string, plaintext: string): Promise<string> {
    this.assertConfidential(entity, field);
    return this.keys.encrypt(await this.scope(entity, tenantId, field), plaintext);
  }

  async open(entity: ClassifiedEntity, tenantId: string, field: string, ciphertext: string): Promise<string> {
    this.assertConfidential(entity, field);
    return this.keys.decrypt(await this.scope(entity, tenantId, field), ciphertext);
  }

  /** Every confidential field present in `values` sealed; the others copied. */
  async sealAll<T extends Record<string, unknown>>(
    entity: ClassifiedEntity,
    tenantId: string,
    values: T,
  ): Promise<T> {
    const out: Record<string, unknown> = { ...values };
    for (const field of confidentialFields(entity)) {
      const value = values[field];
      if (typeof value === 'string') out[field] = await this.seal(entity, tenantId, field, value);
    }
    return out as T;
  }

  async openAll<T extends Record<string, unknown>>(
    entity: ClassifiedEntity,
    tenantId: string,
    values: T,
  ): Promise<T> {
    const out: Record<string, unknown> = { ...values };
    for (const field of confidentialFields(entity)) {
      const value = values[field];
      if (typeof value === 'string') out[field] = await this.open(entity, tenantId, field, value);
    }
    return out as T;
  }

  private assertConfidential(entity: ClassifiedEntity, field: string): void {
    if (!confidentialFields(entity).includes(field))
      throw new Error(`${entity}.${field} is not classified customer-confidential`);
  }

  private async scope(entity: ClassifiedEntity, tenantId: string, field: string) {
    return { tenantId, field: `${entity}.${field}`, keyRef: await this.keyRef(tenantId) };
  }

  /** The tenant's key; tenants made before keys existed get one on first use. */
  private async keyRef(tenantId: string): Promise<string> {
    const cached = this.keyRefs.get(tenantId);
    if (cached) return cached;
    const tenant = await this.tenants.getTenant(tenantId);
    if (!tenant) throw new Error(`tenant ${tenantId} does not exist`);
    let keyRef = tenant.keyRef;
    if (!keyRef) {
      keyRef = await this.keys.createTenantKey(tenantId);
      await this.tenants.updateTenant({ ...tenant, keyRef }, tenant.version ?? 1);
    }
    this.keyRefs.set(tenantId, keyRef);
    return keyRef;
  }
}
