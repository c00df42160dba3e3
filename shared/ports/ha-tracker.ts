/**
 * The elected leader of each HA Prometheus cluster of a tenant, shared by every function instance.
 * Elections are conditional writes (shared/domain/guardrails/ha.ts decides, the store arbitrates):
 * of two replicas racing for a free or failed-over cluster exactly one wins.
 */
export interface HaCheck {
  readonly accept: boolean;
  /** The leader after this check. */
  readonly leader: string;
}

export interface HaTracker {
  check(
    tenantId: string,
    cluster: string,
    replica: string,
    nowMs: number,
    failoverTimeoutMs: number,
  ): Promise<HaCheck>;
}
