import { issueCredential, newId } from '#domain/credentials';
import type { NoticeStore } from '#ports/notice-store';
import type { TenantStore } from '#ports/tenant-store';

/** `count` active tenants, tenant i with one notice channel, the e-mail `sec<i>@t.example`. */
export async function tenantsWithNoticeEmail(
  tenants: TenantStore,
  store: NoticeStore,
  count: number,
  at: string,
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const tenantId = newId();
    ids.push(tenantId);
    const admin = issueCredential('tenant', tenantId, new Date(at), { role: 'admin', name: 'admin' });
    await tenants.createTenant({ tenantId, name: `t${i}`, status: 'active', createdAt: at }, admin.record);
    await store.putChannels({
      tenantId,
      recipients: [{ type: 'email', address: `sec${i}@t.example` }],
      updatedAt: at,
    });
  }
  return ids;
}
