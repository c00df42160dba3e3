/**
 * Token bucket math in its virtual-scheduling form (GCRA, the generic cell rate algorithm): the
 * whole state is one number, the theoretical arrival time (TAT) — the instant the bucket would be
 * full again. That makes the bucket one conditional write in DynamoDB (no read-modify-write of two
 * fields) and identical in every adapter.
 *
 * rate r per second and burst b: each unit costs T = 1000/r ms; a request of cost n at time t is
 * allowed when max(TAT, t) + n·T − b·T ≤ t, and then TAT := max(TAT, t) + n·T.
 */
export interface BucketSpec {
  /** Units per second (samples or requests). 0 means unlimited. */
  readonly ratePerSecond: number;
  /** Units that may be taken at once. */
  readonly burst: number;
}

export interface BucketDecision {
  readonly allowed: boolean;
  /** The TAT to store (unchanged when refused). */
  readonly tatMs: number;
  /** When refused: how long until this cost would pass. */
  readonly retryAfterMs: number;
  /** Units that could still be taken right now after this decision. */
  readonly remaining: number;
}

export const unitCostMs = (spec: BucketSpec): number => 1000 / spec.ratePerSecond;
export const toleranceMs = (spec: BucketSpec): number => spec.burst * unitCostMs(spec);

export function takeTokens(
  storedTatMs: number | undefined,
  nowMs: number,
  cost: number,
  spec: BucketSpec,
): BucketDecision {
  if (spec.ratePerSecond <= 0) return { allowed: true, tatMs: nowMs, retryAfterMs: 0, remaining: Infinity };
  const unit = unitCostMs(spec);
  const tolerance = toleranceMs(spec);
  const start = Math.max(storedTatMs ?? nowMs, nowMs);
  const tat = start + cost * unit;
  const allowAt = tat - tolerance;
  if (allowAt > nowMs) {
    return {
      allowed: false,
      tatMs: storedTatMs ?? nowMs,
      retryAfterMs: Math.ceil(allowAt - nowMs),
      remaining: Math.max(0, Math.floor((nowMs + tolerance - start) / unit)),
    };
  }
  return {
    allowed: true,
    tatMs: tat,
    retryAfterMs: 0,
    remaining: Math.floor((nowMs + tolerance - tat) / unit),
  };
}

/** How much of the burst is in use at `nowMs` (0 = full bucket, 1 = empty), for usage reports. */
export function burstUsed(storedTatMs: number | undefined, nowMs: number, spec: BucketSpec): number {
  if (spec.ratePerSecond <= 0 || storedTatMs === undefined) return 0;
  return Math.min(1, Math.max(0, (storedTatMs - nowMs) / toleranceMs(spec)));
}

/**
 * Retry-After for a throttled client, in whole seconds: at least the time the bucket needs,
 * doubled for each consecutive refusal (a client that ignores Retry-After waits longer), with full
 * jitter on top so a fleet of collectors does not return in lockstep. Capped at `maxSeconds`.
 */
export function retryAfterSeconds(
  waitMs: number,
  consecutiveRefusals: number,
  random: () => number = Math.random,
  maxSeconds = 60,
): number {
  const base = Math.max(1, Math.ceil(waitMs / 1000));
  const backedOff = Math.min(maxSeconds, base * 2 ** Math.min(Math.max(consecutiveRefusals - 1, 0), 6));
  return Math.min(maxSeconds, backedOff + Math.floor(random() * backedOff));
}
