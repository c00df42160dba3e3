import type { ResourceDirectory } from '#ports/resource-directory';
import type { ResourceTopology } from '#ports/resource-topology';

/**
 * Resource dependencies from the tenant's resources (`dependsOn`, keyed by resource id, read through
 * the resource directory and its short per-tenant cache, since correlation asks once per opened
 * alert), with transitive closure (nearest first, cycles ignored, at most `maxDepth` hops). The
 * engine asks with the resource a series is linked to (resource-identity.ts), so a dependency declared
 * on resources created through the API holds for series pushed with only a hostname.
 */
export class TenantStoreTopology implements ResourceTopology {
  constructor(
    private readonly resources: ResourceDirectory,
    private readonly options: { maxDepth?: number } = {},
  ) {}

  async dependenciesOf(tenantId: string, resource: string): Promise<string[]> {
    const graph = (await this.resources.indexOf(tenantId)).dependencies();
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
}
