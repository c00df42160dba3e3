/**
 * Keeps the region's e-mail subscriptions in step with every e-mail address a tenant names: its
 * escalation chains' recipients, its security-notice channels and its report schedules' own
 * addresses. The subscription is one per address on the region's topic, shared by every tenant that
 * names it, so each tenant's use is a reference (AlertStore.referenceEmailRecipient): the tenant's
 * reference goes first, the subscription only with the last reference.
 */
import { emailsOf } from '#domain/alerting/escalation';
import { UnavailableError } from '#domain/errors';
import type { AlertStore } from '#ports/alert-store';
import type { EmailSubscriptions } from '#ports/email-subscriptions';
import type { NoticeStore } from '#ports/notice-store';
import type { TenantStore } from '#ports/tenant-store';

/** Schedules listed a page at a time when counting the addresses in use (the tenant cap is 100). */
const SCHEDULE_PAGE = 100;

export interface EmailRecipients {
  /**
   * References (for the tenant) and subscribes each of `added`, then runs `save`: nothing is stored
   * naming an address that cannot receive. When either fails, those of `added` nothing of the tenant
   * uses are released again and the failure is thrown (a subscribe failure as a retryable 503).
   */
  saveNaming<T>(tenantId: string, added: Iterable<string>, save: () => Promise<T>): Promise<T>;
  /** Releases those of `addresses` nothing of the tenant names any more; unsubscribes the last use. */
  unsubscribeUnused(tenantId: string, addresses: Iterable<string>): Promise<void>;
}

/** Where a tenant names e-mail addresses (chains, notice channels, report schedules). */
export interface EmailNamingSources {
  readonly store: Pick<AlertStore, 'listChains'>;
  readonly tenants: Pick<TenantStore, 'listEntities'>;
  readonly noticeChannels: Pick<NoticeStore, 'getChannels'> | undefined;
}

/** Every address the tenant's chains, notice channels and report schedules name now. */
export async function addressesNamedBy(sources: EmailNamingSources, tenantId: string): Promise<Set<string>> {
  const addresses = new Set<string>();
  for (const chain of await sources.store.listChains(tenantId))
    for (const a of emailsOf(chain)) addresses.add(a);
  for (const r of (await sources.noticeChannels?.getChannels(tenantId))?.recipients ?? [])
    if (r.type === 'email') addresses.add(r.address);
  let cursor: string | undefined;
  do {
    const page = await sources.tenants.listEntities('report-schedule', tenantId, {
      limit: SCHEDULE_PAGE,
      cursor,
    });
    for (const schedule of page.items) for (const a of schedule.recipients.emails ?? []) addresses.add(a);
    cursor = page.nextCursor;
  } while (cursor);
  return addresses;
}

export function emailRecipients(
  deps: EmailNamingSources & {
    /** Absent (local platform): nothing to keep in step, and no reference is written. */
    readonly subscriptions: EmailSubscriptions | undefined;
    readonly store: Pick<AlertStore, 'listChains' | 'referenceEmailRecipient' | 'releaseEmailRecipient'>;
  },
): EmailRecipients {
  const { subscriptions, store } = deps;

  const inUse = (tenantId: string) => addressesNamedBy(deps, tenantId);

  async function subscribe(address: string) {
    try {
      await subscriptions?.subscribe(address);
    } catch (error) {
      // Nothing was stored: the client may retry the same request.
      throw new UnavailableError('could not subscribe an email recipient; retry', 5, { cause: error });
    }
  }

  async function unsubscribeUnused(tenantId: string, addresses: Iterable<string>) {
    const candidates = new Set(addresses);
    if (!subscriptions || candidates.size === 0) return;
    const used = await inUse(tenantId);
    for (const address of candidates) {
      if (used.has(address)) continue;
      if (await store.releaseEmailRecipient(tenantId, address)) await subscriptions.unsubscribe(address);
    }
  }

  return {
    unsubscribeUnused,
    async saveNaming(tenantId, added, save) {
      const addresses = [...added];
      try {
        if (subscriptions)
          for (const address of addresses) {
            // The tenant's reference first: no other tenant's release can drop the subscription.
            await store.referenceEmailRecipient(tenantId, address);
            await subscribe(address);
          }
        return await save();
      } catch (error) {
        // The client sees the first failure; a reference this cannot release only keeps a subscription
        // that nothing publishes to, and the client's retry references it again.
        await unsubscribeUnused(tenantId, addresses).catch(() => undefined);
        throw error;
      }
    },
  };
}
