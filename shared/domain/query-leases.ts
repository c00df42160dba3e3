/**
 * Which lease slot a query may take (shared/ports/query-leases.ts), decided from the slots as read;
 * the store's conditional write then arbitrates between instances that read the same state.
 */

/** One stored slot: taken by `holder` until `expiresAtMs`. */
export interface LeaseSlot {
  readonly slot: number;
  readonly holder: string;
  readonly expiresAtMs: number;
}

/**
 * The slots a query may try, in the order to try them: slots below `limit` that are empty or whose
 * lease expired, starting from `offset` (a random offset spreads racing instances over the free
 * slots instead of all fighting for slot 0). Slots at or above `limit` (a limit lowered while
 * queries ran) are never handed out.
 */
export function freeSlots(stored: readonly LeaseSlot[], limit: number, nowMs: number, offset = 0): number[] {
  const live = new Set<number>();
  for (const s of stored) if (s.expiresAtMs > nowMs && s.slot < limit) live.add(s.slot);
  const out: number[] = [];
  for (let k = 0; k < limit; k++) {
    const slot = (offset + k) % limit;
    if (!live.has(slot)) out.push(slot);
  }
  return out;
}

/** The refusal's facts: how many leases are live and when the first of them expires. */
export function heldLeases(
  stored: readonly LeaseSlot[],
  nowMs: number,
): { held: number; earliestExpiryMs: number } {
  let held = 0;
  let earliestExpiryMs = Number.POSITIVE_INFINITY;
  for (const s of stored)
    if (s.expiresAtMs > nowMs) {
      held++;
      earliestExpiryMs = Math.min(earliestExpiryMs, s.expiresAtMs);
    }
  return { held, earliestExpiryMs: Number.isFinite(earliestExpiryMs) ? earliestExpiryMs : nowMs };
}
