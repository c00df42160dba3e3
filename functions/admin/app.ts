import { issueCredential, newId } from '../../shared/domain/credentials';
import { createTenantSchema, type Tenant } from '../../shared/domain/tenant';
import { parseOrThrow } from '../../shared/domain/validation';
import { authenticateProvider } from '../../shared/http/auth';
import { readJson, requireMediaType } from '../../shared/http/body';
import { httpHandler, type Observability, router } from '../../shared/http/handler';
import { json } from '../../shared/http/response';
import type { HttpEvent, HttpHandler } from '../../shared/http/types';
import type { Clock } from '../../shared/ports/clock';
import type { TenantStore } from '../../shared/ports/tenant-store';

export interface AdminDeps {
  readonly tenants: TenantStore;
  /** SHA-256 (base64url) of the provider's admin token; resolved once per cold start. */
  readonly providerTokenHash: () => Promise<string>;
  readonly clock: Clock;
  readonly observability: Observability;
}

/** The provider's API: it manages tenants and nothing inside them. */
export function createAdminHandler(deps: AdminDeps): HttpHandler {
  async function createTenant(event: HttpEvent) {
    authenticateProvider(event, await deps.providerTokenHash());
    requireMediaType(event, ['application/json']);
    const { name } = parseOrThrow(createTenantSchema, readJson(event));
    const now = deps.clock.now();
    const tenant: Tenant = { tenantId: newId(), name, status: 'active', createdAt: now.toISOString() };
    const admin = issueCredential('tenant', tenant.tenantId, now, { role: 'admin' });
    await deps.tenants.createTenant(tenant, admin.record);
    return json(201, { tenantId: tenant.tenantId, name: tenant.name, adminToken: admin.token });
  }

  return httpHandler(deps.observability, router({ 'POST /admin/v1/tenants': createTenant }));
}
