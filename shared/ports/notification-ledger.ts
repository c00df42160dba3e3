import type { TenantDataHolder } from './tenant-data';

/**
 * Which notification deliveries were sent, shared by every notifier process, so a copy of an event
 * (the outbox and EventBridge deliver at least once) reaching another process sends nothing again.
 * A delivery is claimed before it is sent (a short lease), confirmed once sent (kept for days), and
 * released when sending failed, so the retry sends it. Implementations: DynamoDB (conditional puts
 * in the metadata table, TTL) and SQLite. Offboarding erases a tenant's claims with its other data.
 */
export interface NotificationLedger extends TenantDataHolder {
  /**
   * Claims `deliveryId` until `expiresAtMs` unless a claim that has not expired at `nowMs` exists.
   * 'claimed': the caller sends it; 'sent': it was sent; 'sending': another process holds the lease.
   */
  claim(tenantId: string, deliveryId: string, expiresAtMs: number, nowMs: number): Promise<ClaimOutcome>;
  /**
   * Marks a claimed delivery sent, kept until `expiresAtMs`; safe to repeat. Transient faults are
   * retried inside (DynamoDB: backoff; SQLite: its busy timeout); a throw means it is not recorded,
   * and the caller keeps the claim (a sent delivery is never released) and confirms again later.
   */
  confirm(tenantId: string, deliveryId: string, expiresAtMs: number): Promise<void>;
  /** Drops the claim (sending failed): the next copy of the event claims and sends it. */
  release(tenantId: string, deliveryId: string): Promise<void>;
}

export type ClaimOutcome = 'claimed' | 'sent' | 'sending';

/** How long a sent delivery is remembered: beyond EventBridge's 24 h of retries and any outbox backlog. */
export const SENT_CLAIM_RETENTION_MS = 7 * 24 * 3_600_000;
/**
 * How long a claim holds before its send is confirmed: twice the notifier's 60 s timeout, so a live
 * sender never loses it, and a process that died mid-send blocks the retries for two minutes only.
 */
export const SENDING_LEASE_MS = 2 * 60_000;
