/**
 * SNMP counters turned into per-second rates. Counter32 wraps at 2^32, Counter64 at 2^64: a smaller
 * value than last time is a wrap, unless the agent restarted (its sysUpTime went backwards, or the
 * counter is a Counter64, which does not wrap in practice), in which case the sample only becomes the
 * new baseline. A first sample has no rate.
 */
export type CounterBits = 32 | 64;

interface Previous {
  readonly value: bigint;
  readonly atMs: number;
  readonly uptimeTicks: number | undefined;
}

export class CounterRates {
  readonly #previous = new Map<string, Previous>();

  /**
   * The rate of `key` since its previous sample, or undefined (first sample, agent restart, or no
   * time passed). uptimeTicks: the agent's sysUpTime (hundredths of a second) read with the counter.
   */
  rate(
    key: string,
    value: bigint | number,
    bits: CounterBits,
    atMs: number,
    uptimeTicks?: number,
  ): number | undefined {
    const current = BigInt(value);
    const previous = this.#previous.get(key);
    this.#previous.set(key, { value: current, atMs, uptimeTicks });
    if (!previous) return undefined;
    const restarted =
      uptimeTicks !== undefined && previous.uptimeTicks !== undefined && uptimeTicks < previous.uptimeTicks;
    if (restarted) return undefined;
    const seconds =
      uptimeTicks !== undefined && previous.uptimeTicks !== undefined
        ? (uptimeTicks - previous.uptimeTicks) / 100
        : (atMs - previous.atMs) / 1000;
    if (seconds <= 0) return undefined;
    let delta = current - previous.value;
    if (delta < 0n) {
      if (bits === 64) return undefined; // a Counter64 going backwards is a reset, not a wrap
      delta += 1n << 32n;
    }
    return Number(delta) / seconds;
  }

  /** Forgets series not seen since `beforeMs` (removed interfaces, resources moved away). */
  prune(beforeMs: number): void {
    for (const [key, p] of this.#previous) if (p.atMs < beforeMs) this.#previous.delete(key);
  }
}
