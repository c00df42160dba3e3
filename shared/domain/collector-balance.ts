/**
 * Auto-balanced collector groups (LogicMonitor's ABCG): resources assigned to a collector group
 * rather than to one collector are spread over the group's up collectors by load (polls per
 * minute), a down collector's share goes to the rest, and when the spread grows beyond a tolerance
 * (a collector came back, resources were added) resources move from the most loaded collector to the
 * least until it is within it. Decided when a member reads its configuration, so every move reaches
 * the collectors within one configuration interval. Pure: the API applies and audits the moves.
 */
import type { CollectorMove } from './collector-failover';
import type { Resource } from './entities';
import { type Collector, collectorStatus } from './tenant';

/** Polls per minute the resource costs its collector: each check (SNMP, TCP port, HTTP) per interval. */
export function resourceLoad(r: Pick<Resource, 'type' | 'credentialIds' | 'poll'>): number {
  const checks =
    r.type === 'website'
      ? 1
      : Math.max(1, (r.credentialIds.length > 0 || r.poll?.snmp ? 1 : 0) + (r.poll?.tcpPorts?.length ?? 0));
  return (checks * 60) / (r.poll?.intervalSeconds ?? 60);
}

export interface GroupLoad {
  readonly collectorId: string;
  readonly status: 'up' | 'down' | 'never-seen';
  readonly resources: number;
  readonly load: number;
}

/** The load each member of a group carries now. */
export function groupLoads(
  group: string,
  collectors: readonly Collector[],
  resources: readonly Resource[],
  nowMs: number,
): GroupLoad[] {
  return collectors
    .filter((c) => c.collectorGroup === group)
    .map((c) => {
      const own = resources.filter((r) => r.collectorGroup === group && r.collectorId === c.collectorId);
      return {
        collectorId: c.collectorId,
        status: collectorStatus(c, nowMs),
        resources: own.length,
        load: own.reduce((sum, r) => sum + resourceLoad(r), 0),
      };
    });
}

export interface BalanceOptions {
  /** Spread (most loaded − least loaded) tolerated, as a fraction of the average load. Default 0.2. */
  readonly tolerance?: number;
}

/** The moves that balance one group: orphans first (heaviest first), then the spread. */
export function balanceMoves(
  group: string,
  collectors: readonly Collector[],
  resources: readonly Resource[],
  nowMs: number,
  options: BalanceOptions = {},
): CollectorMove[] {
  const up = collectors
    .filter((c) => c.collectorGroup === group && collectorStatus(c, nowMs) === 'up')
    .map((c) => c.collectorId)
    .sort();
  if (up.length === 0) return [];
  const members = resources
    .filter((r) => r.collectorGroup === group)
    .sort((a, b) => resourceLoad(b) - resourceLoad(a) || a.resourceId.localeCompare(b.resourceId));
  const load = new Map(up.map((id) => [id, 0]));
  const placed = new Map<string, string>(); // resourceId → collectorId after the moves
  const orphans: Resource[] = [];
  for (const r of members) {
    if (r.collectorId && load.has(r.collectorId)) {
      load.set(r.collectorId, (load.get(r.collectorId) ?? 0) + resourceLoad(r));
      placed.set(r.resourceId, r.collectorId);
    } else orphans.push(r);
  }
  const lightest = () => up.reduce((a, b) => ((load.get(b) ?? 0) < (load.get(a) ?? 0) ? b : a));
  const heaviest = () => up.reduce((a, b) => ((load.get(b) ?? 0) > (load.get(a) ?? 0) ? b : a));
  const place = (r: Resource, to: string) => {
    const from = placed.get(r.resourceId);
    if (from) load.set(from, (load.get(from) ?? 0) - resourceLoad(r));
    load.set(to, (load.get(to) ?? 0) + resourceLoad(r));
    placed.set(r.resourceId, to);
  };
  for (const r of orphans) place(r, lightest());

  const total = [...load.values()].reduce((a, b) => a + b, 0);
  const tolerated = (options.tolerance ?? 0.2) * (total / up.length);
  // Each step strictly narrows the spread between the two ends, so this ends; bounded regardless.
  for (let step = 0; step < members.length; step++) {
    const from = heaviest();
    const to = lightest();
    const spread = (load.get(from) ?? 0) - (load.get(to) ?? 0);
    if (spread <= tolerated) break;
    // The resource whose move leaves the two closest: its load nearest half the spread, below it.
    let best: Resource | undefined;
    for (const r of members) {
      const w = resourceLoad(r);
      if (placed.get(r.resourceId) !== from || w >= spread) continue;
      if (!best || Math.abs(spread / 2 - w) < Math.abs(spread / 2 - resourceLoad(best))) best = r;
    }
    if (!best) break;
    place(best, to);
  }

  const moves: CollectorMove[] = [];
  for (const r of members) {
    const to = placed.get(r.resourceId) as string;
    if (to !== r.collectorId)
      moves.push({ resourceId: r.resourceId, from: r.collectorId ?? '', to, reason: 'balance' });
  }
  return moves;
}
