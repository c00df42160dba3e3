import { emailsOf } from '#domain/alerting/escalation';
import type { AlertStore } from '#ports/alert-store';
import type { TenantStore } from '#ports/tenant-store';

export interface EmailReferenceBackfill {
  readonly tenants: number;
  readonly chains: number;
  /** Tenant × address references written (again, when they existed: a put is idempotent). */
  readonly references: number;
}

/**
 * Writes the reference-count item of every email recipient of every tenant's escalation chains.
 * Chains saved before references existed have none, so the first tenant to drop a shared address
 * would unsubscribe it for everyone; after this, an address goes only with its last reference.
 * Idempotent: run it again and it writes the same items. Every tenant is visited, whatever its status
 * (an offboarded tenant's chains are already erased, so it adds nothing).
 */
export async function backfillEmailReferences(deps: {
  readonly tenants: Pick<TenantStore, 'listTenants'>;
  readonly store: Pick<AlertStore, 'listChains' | 'referenceEmailRecipient'>;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}): Promise<EmailReferenceBackfill> {
  let tenants = 0;
  let chains = 0;
  let references = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.tenants.listTenants({ limit: 100, cursor });
    for (const tenant of page.items) {
      tenants++;
      const addresses = new Set<string>();
      for (const chain of await deps.store.listChains(tenant.tenantId)) {
        chains++;
        for (const address of emailsOf(chain)) addresses.add(address);
      }
      for (const address of addresses) await deps.store.referenceEmailRecipient(tenant.tenantId, address);
      references += addresses.size;
      if (addresses.size > 0)
        deps.log?.('email references written', { tenantId: tenant.tenantId, addresses: addresses.size });
    }
    cursor = page.nextCursor;
  } while (cursor);
  return { tenants, chains, references };
}
