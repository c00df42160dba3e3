/**
 * Failover between collectors, decided when a collector reads its configuration (every interval,
 * so within one interval of a change): a collector named as another's failover takes over that
 * one's resources once it is down; a collector whose resources were moved away takes them back when
 * it is up again, unless its failback is manual (then a user moves them back with PATCH).
 */
import type { Resource } from './entities';
import { type Collector, collectorStatus } from './tenant';

export interface CollectorMove {
  readonly resourceId: string;
  readonly from: string;
  readonly to: string;
  /** balance: within an auto-balanced collector group (collector-balance.ts). */
  readonly reason: 'failover' | 'failback' | 'balance';
}

export function movesOnConfigRead(
  reader: Collector,
  collectors: readonly Collector[],
  resources: readonly Resource[],
  nowMs: number,
): CollectorMove[] {
  const moves: CollectorMove[] = [];
  if (collectorStatus(reader, nowMs) !== 'up') return moves; // only a collector known alive takes work
  const downForMe = new Set(
    collectors
      .filter((c) => c.failoverCollectorId === reader.collectorId && collectorStatus(c, nowMs) === 'down')
      .map((c) => c.collectorId),
  );
  for (const r of resources) {
    if (r.collectorGroup) continue; // its group balances it
    if (r.collectorId && downForMe.has(r.collectorId))
      moves.push({
        resourceId: r.resourceId,
        from: r.collectorId,
        to: reader.collectorId,
        reason: 'failover',
      });
    else if (
      reader.failback !== 'manual' &&
      r.primaryCollectorId === reader.collectorId &&
      r.collectorId !== reader.collectorId &&
      r.collectorId
    )
      moves.push({
        resourceId: r.resourceId,
        from: r.collectorId,
        to: reader.collectorId,
        reason: 'failback',
      });
  }
  return moves;
}
