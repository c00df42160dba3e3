import type { ResourceTopology } from '../../shared/ports/resource-topology';
import type { TenantStore } from '../../shared/ports/tenant-store';

/**
 * Resource dependencies from the tenant store's resources (`dependsOn`, keyed by resource id), with
 * transitive closure (nearest first, cycles ignored, at most `maxDepth` hops) and a short per-tenant
 * cache, since correlation asks once per opened alert.
 */
export class TenantStoreTopology implements ResourceTopology {
  private readonly cache = new Map<string, { at: number; graph: Promise<Record<string, string[]>> }>();

  constructor(
    private readonly tenants: Pick<TenantStore, 'resourceDependencies'>,
    private readonly options: { ttlMs?: number; maxDepth?: number; now?: () => number } = {},
  ) {}

  async dependenciesOf(tenantId: string, resource: string): Promise<string[]> {
    const graph = await this.graphOf(tenantId);
    const result: string[] = [];
    const seen = new Set([resource]);
    let frontier = [resource];
    for (let depth = 0; depth < (this.options.maxDepth ?? 5) && frontier.length > 0; depth++) {
      const next: string[] = [];
      for (const r of frontier)
        for (const d of graph[r] ?? []) {
          if (seen.has(d)) continue;
          seen.add(d);
          result.push(d);
          next.push(d);
        }
      frontier = next;
    }
    return result;
  }

  private graphOf(tenantId: string): Promise<Record<string, string[]>> {
    const now = this.options.now?.() ?? Date.now();
    const cached = this.cache.get(tenantId);
    if (cached && now - cached.at < (this.options.ttlMs ?? 30_000)) return cached.graph;
    const graph = this.tenants.resourceDependencies(tenantId);
    this.cache.set(tenantId, { at: now, graph });
    graph.catch(() => this.cache.delete(tenantId));
    return graph;
  }
}
