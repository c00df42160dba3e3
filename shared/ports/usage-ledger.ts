/**
 * Per-tenant, per-minute counters of ingest outcomes (accepted samples, discarded samples by
 * reason, requests), incremented atomically by every function instance; read by GET /v1/usage.
 */
export type UsageCounts = Readonly<Record<string, number>>;

export interface UsageMinute {
  readonly minuteMs: number;
  readonly counts: UsageCounts;
}

export interface UsageLedger {
  add(tenantId: string, minuteMs: number, counts: UsageCounts): Promise<void>;
  /** Minutes in [fromMinuteMs, toMinuteMs], oldest first. */
  read(tenantId: string, fromMinuteMs: number, toMinuteMs: number): Promise<UsageMinute[]>;
}

/** Counter names: `accepted`, `requests`, `discarded.<DiscardReason>`. */
export const USAGE_COUNTER = {
  accepted: 'accepted',
  requests: 'requests',
  discarded: (reason: string) => `discarded.${reason}`,
} as const;
