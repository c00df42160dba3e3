import type { EscalationChain, Recipient } from '#domain/alerting/escalation';
import { confidentialFields } from '#domain/classification';
import { CIPHERTEXT_PREFIX, type KeyService } from '#ports/key-service';
import type { TenantStore } from '#ports/tenant-store';
import { FieldCrypto } from '../api/field-crypto';

const ENTITY = 'escalation-recipient';

/**
 * Envelope encryption of the customer-confidential recipient fields (the webhook signing secret),
 * under the tenant's key with the context {tenant, field: `escalation-recipient.<field>`}. The alerts
 * API seals a chain before it is stored; only the notifier opens a recipient, to sign a delivery.
 */
export class RecipientSecrets {
  private readonly crypto: FieldCrypto;

  constructor(keys: KeyService, tenants: TenantStore) {
    this.crypto = new FieldCrypto(keys, tenants);
  }

  async sealChain(chain: EscalationChain): Promise<EscalationChain> {
    const stages = [];
    for (const stage of chain.stages) {
      const recipients = [];
      for (const r of stage.recipients) recipients.push(await this.sealRecipient(chain.tenantId, r));
      stages.push({ ...stage, recipients });
    }
    return { ...chain, stages };
  }

  async sealRecipient(tenantId: string, recipient: Recipient): Promise<Recipient> {
    const out: Record<string, unknown> = { ...recipient };
    for (const field of confidentialFields(ENTITY)) {
      const value = out[field];
      if (typeof value === 'string' && !value.startsWith(CIPHERTEXT_PREFIX))
        out[field] = await this.crypto.seal(ENTITY, tenantId, field, value);
    }
    return out as unknown as Recipient;
  }

  /** The recipient with its sealed fields opened. Values stored before sealing existed pass as they are. */
  async openRecipient(tenantId: string, recipient: Recipient): Promise<Recipient> {
    const out: Record<string, unknown> = { ...recipient };
    for (const field of confidentialFields(ENTITY)) {
      const value = out[field];
      if (typeof value === 'string' && value.startsWith(CIPHERTEXT_PREFIX))
        out[field] = await this.crypto.open(ENTITY, tenantId, field, value);
    }
    return out as unknown as Recipient;
  }
}

/** Whether a recipient still holds a sealed field (a notifier without keys must not sign with it). */
export const hasSealedField = (recipient: Recipient): boolean =>
  confidentialFields(ENTITY).some((f) =>
    String((recipient as unknown as Record<string, unknown>)[f] ?? '').startsWith(CIPHERTEXT_PREFIX),
  );
