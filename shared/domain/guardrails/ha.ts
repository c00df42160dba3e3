/**
 * HA pair deduplication (Mimir's HA tracker): per (tenant, cluster) one replica is the leader and
 * only its samples are stored. The leader's `lastSeenMs` is refreshed at most every
 * HA_UPDATE_TIMEOUT_MS (fewer writes); when it is older than the failover timeout, the next replica
 * that sends takes over.
 */
export interface HaLeader {
  readonly replica: string;
  readonly lastSeenMs: number;
}

/** How often the leader's heartbeat is written (Mimir: `ha_tracker.ha_tracker_update_timeout`, 15 s). */
export const HA_UPDATE_TIMEOUT_MS = 15_000;

export type HaDecision =
  /** Accept; nothing to write. */
  | { readonly accept: true; readonly write: 'none' }
  /** Accept and refresh the heartbeat (condition: still the leader). */
  | { readonly accept: true; readonly write: 'refresh' }
  /** Accept and take the leadership (condition: no leader, or the leader read is still the one). */
  | { readonly accept: true; readonly write: 'elect' }
  /** Drop: another replica leads. */
  | { readonly accept: false; readonly leader: string };

export function haDecision(
  current: HaLeader | undefined,
  replica: string,
  nowMs: number,
  failoverTimeoutMs: number,
): HaDecision {
  if (!current) return { accept: true, write: 'elect' };
  if (current.replica === replica) {
    // Refresh well within the failover timeout, or a short timeout would depose a live leader.
    return nowMs - current.lastSeenMs >= Math.min(HA_UPDATE_TIMEOUT_MS, failoverTimeoutMs / 2)
      ? { accept: true, write: 'refresh' }
      : { accept: true, write: 'none' };
  }
  if (nowMs - current.lastSeenMs > failoverTimeoutMs) return { accept: true, write: 'elect' };
  return { accept: false, leader: current.replica };
}
