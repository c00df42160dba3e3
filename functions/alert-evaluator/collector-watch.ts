/**
 * The collector-down watch: a stale heartbeat is the absence of a request, so something has to
 * look. Each scheduled evaluator pass reads a bounded page of tenants (continuing where the last pass
 * stopped) and every collector of each, and evaluates the built-in collector-down rule
 * (domain/collector-down.ts) over them. `tenant()` does the same for one tenant at once: the
 * heartbeat of a collector that was down calls it, so the alert clears on that heartbeat.
 */
import { collectorDownRule, collectorDownSeries } from '#domain/collector-down';
import type { Collector } from '#domain/tenant';
import type { Clock } from '#ports/clock';
import type { TenantStore } from '#ports/tenant-store';
import type { AlertEngine } from './engine';

export interface CollectorWatchOptions {
  /** Tenants a pass looks at (the rest wait for the next pass). Default 500. */
  readonly maxTenantsPerPass?: number;
  /** Collectors read per tenant (a tenant with more is watched on its first ones). Default 1,000. */
  readonly maxCollectorsPerTenant?: number;
}

export class CollectorWatch {
  private cursor: string | undefined;
  private readonly maxTenants: number;
  private readonly maxCollectors: number;

  constructor(
    private readonly deps: { tenants: TenantStore; engine: AlertEngine; clock: Clock },
    options: CollectorWatchOptions = {},
  ) {
    this.maxTenants = options.maxTenantsPerPass ?? 500;
    this.maxCollectors = options.maxCollectorsPerTenant ?? 1000;
  }

  /** One bounded pass; returns how many collectors it found down. */
  async pass(): Promise<{ tenants: number; down: number; complete: boolean }> {
    let tenants = 0;
    let down = 0;
    do {
      const page = await this.deps.tenants.listTenants({
        limit: Math.min(100, this.maxTenants - tenants),
        ...(this.cursor ? { cursor: this.cursor } : {}),
      });
      this.cursor = page.nextCursor;
      for (const t of page.items) {
        tenants++;
        down += await this.tenant(t.tenantId);
      }
    } while (this.cursor && tenants < this.maxTenants);
    return { tenants, down, complete: this.cursor === undefined };
  }

  /** Evaluates one tenant's collectors now; returns how many are down. */
  async tenant(tenantId: string): Promise<number> {
    if (!(await this.deps.engine.ownsTenant(tenantId))) return 0;
    const collectors: Collector[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.deps.tenants.listEntities('collector', tenantId, {
        limit: 100,
        ...(cursor ? { cursor } : {}),
      });
      collectors.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor && collectors.length < this.maxCollectors);
    const series = collectorDownSeries(collectors, this.deps.clock.now().getTime());
    if (series.length === 0) return 0;
    await this.deps.engine.evaluateBuiltIn(collectorDownRule(tenantId), series);
    return series.filter((s) => s.points[0]?.[1] === 1).length;
  }
}
