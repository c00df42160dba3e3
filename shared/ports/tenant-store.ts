import type { CredentialRecord } from '../domain/credentials';
import type { Collector, Tenant } from '../domain/tenant';

/** Tenant metadata. Implementations: DynamoDB single table (AWS) and SQLite (local). */
export interface TenantStore {
  /** Creates a tenant with its first admin credential, atomically. */
  createTenant(tenant: Tenant, adminCredential: CredentialRecord): Promise<void>;
  getTenant(tenantId: string): Promise<Tenant | undefined>;
  /** Creates a collector with its ingest key, atomically. */
  createCollector(collector: Collector, ingestKey: CredentialRecord): Promise<void>;
  listCollectors(tenantId: string): Promise<Collector[]>;
  getCredential(credentialId: string): Promise<CredentialRecord | undefined>;
}
