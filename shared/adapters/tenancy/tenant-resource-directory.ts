import type { Resource } from '#domain/entities';
import { ResourceIndex } from '#domain/resource-identity';
import type { ResourceDirectory } from '#ports/resource-directory';
import type { TenantStore } from '#ports/tenant-store';

/** Pages a tenant reads at most per refresh (100 resources a page). */
const MAX_PAGES = 100;

/**
 * The resource directory over the tenant store (DynamoDB or SQLite): the tenant's resources read a
 * page at a time, indexed, and cached per tenant for `ttlMs` (default 30 s), so a resource changed
 * through the API is seen within that time by every process. At most 10,000 resources a tenant.
 */
export class TenantResourceDirectory implements ResourceDirectory {
  private readonly cache = new Map<string, { at: number; index: Promise<ResourceIndex> }>();

  constructor(
    private readonly tenants: Pick<TenantStore, 'listEntities'>,
    private readonly options: { ttlMs?: number; now?: () => number } = {},
  ) {}

  indexOf(tenantId: string, options: { fresh?: boolean } = {}): Promise<ResourceIndex> {
    const now = this.options.now?.() ?? Date.now();
    const cached = this.cache.get(tenantId);
    if (!options.fresh && cached && now - cached.at < (this.options.ttlMs ?? 30_000)) return cached.index;
    const index = this.load(tenantId);
    this.cache.set(tenantId, { at: now, index });
    index.catch(() => {
      if (this.cache.get(tenantId)?.index === index) this.cache.delete(tenantId);
    });
    return index;
  }

  private async load(tenantId: string): Promise<ResourceIndex> {
    const resources: Resource[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const result = await this.tenants.listEntities('resource', tenantId, {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      resources.push(...result.items);
      cursor = result.nextCursor;
      if (!cursor) break;
    }
    return new ResourceIndex(resources);
  }
}
