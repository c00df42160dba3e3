import type { ResourceIndex } from '#domain/resource-identity';

/**
 * A tenant's resources, indexed by the identities collectors name them by (resource-identity.ts).
 * Read often (every opened alert, every native push), changed rarely: implementations cache briefly.
 */
export interface ResourceDirectory {
  /** `fresh`: re-read now (before creating a resource that the cached index does not have). */
  indexOf(tenantId: string, options?: { fresh?: boolean }): Promise<ResourceIndex>;
}
