/**
 * Which tenants this region owns (issue #17): the evaluator evaluates and escalates only the tenants
 * homed here. Homes are read from the tenant store and kept for a short TTL per instance, so a pass
 * over many rules reads each tenant once; a failover is noticed within the TTL.
 */
import { homeRegionOf, type RegionSettings } from '#domain/region';
import type { TenantStatusSource } from './tenant-status';

export const DEFAULT_TENANT_REGION_TTL_MS = 10_000;

export function tenantOwnership(
  tenants: TenantStatusSource,
  settings: RegionSettings,
  options: { ttlMs?: number; now?: () => number } = {},
): (tenantId: string) => Promise<boolean> {
  const ttlMs = options.ttlMs ?? DEFAULT_TENANT_REGION_TTL_MS;
  const now = options.now ?? Date.now;
  const entries = new Map<string, { at: number; owned: Promise<boolean> }>();
  return (tenantId) => {
    const at = now();
    const cached = entries.get(tenantId);
    if (cached && at - cached.at < ttlMs) return cached.owned;
    if (entries.size >= 10_000) entries.clear();
    // An unknown (purged) tenant is nobody's: nothing of it is evaluated.
    const owned = tenants
      .getTenant(tenantId)
      .then((t) => t !== undefined && homeRegionOf(t, settings) === settings.region);
    entries.set(tenantId, { at, owned });
    owned.catch(() => entries.delete(tenantId));
    return owned;
  };
}
