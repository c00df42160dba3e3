import type { Page, PageRequest } from '#domain/pagination';

/**
 * Append-only record of authentications and operational changes. Never holds a secret: callers pass
 * credential ids, and before/after images with confidential fields already redacted.
 */
export interface AuditEvent {
  readonly tenantId: string;
  /** ISO-8601. */
  readonly at: string;
  /** e.g. `auth.success`, `auth.failure`, `collector.create`, `alert-rule.update`. */
  readonly action: string;
  /** Credential id (never the token), or `provider`. */
  readonly actor: string;
  readonly sourceIp?: string;
  readonly target?: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly outcome: 'success' | 'failure';
  /** Why, for failures (never a secret). */
  readonly reason?: string;
}

export interface StoredAuditEvent extends AuditEvent {
  readonly eventId: string;
}

/** The audit partition of the provider's own actions (tenant onboarding, offboarding, limits) and
 * of its successful authentications (failures that name no tenant are counted apart: AuthFailureLog).
 * Kept when a tenant is offboarded. */
export const PROVIDER_AUDIT_PARTITION = 'provider';

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
}

export interface AuditQuery {
  /** ISO-8601 bounds, inclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Exact action, or a prefix ending in `.` (e.g. `auth.`). */
  readonly action?: string | undefined;
}

/** Reading the log back, newest first (the tenant admin's audit query). */
export interface AuditLogReader {
  query(tenantId: string, query: AuditQuery, page: PageRequest): Promise<Page<StoredAuditEvent>>;
}

/**
 * A failed authentication that names no known tenant (no token, a malformed one, an unknown
 * credential, a wrong provider token). Anyone can cause one, so they are counted, not listed: one
 * row per source, reason, target and minute, spread over AUTH_FAILURE_SHARDS partitions by source
 * (never the provider's partition, which successful provider calls must always be able to write),
 * each row expiring after AUTH_FAILURE_TTL_DAYS.
 */
export interface AuthFailure {
  /** ISO-8601; counted in its minute. */
  readonly at: string;
  readonly sourceIp?: string;
  readonly reason: string;
  /** `METHOD /resource`. */
  readonly target: string;
}

export interface AuthFailureCount {
  /** `YYYY-MM-DDTHH:MM`. */
  readonly minute: string;
  readonly sourceIp: string;
  readonly reason: string;
  readonly target: string;
  readonly count: number;
  /** Epoch seconds after which the row is gone. */
  readonly expiresAt: number;
}

export interface AuthFailureLog {
  countAuthFailure(failure: AuthFailure): Promise<void>;
  /** The counts of each minute from `fromMinute` to `toMinute` (inclusive), all shards. */
  authFailures(fromMinute: string, toMinute: string): Promise<AuthFailureCount[]>;
}

export const AUTH_FAILURE_SHARDS = 8;
export const AUTH_FAILURE_TTL_DAYS = 7;
export const UNKNOWN_SOURCE = 'unknown';

export const authFailureMinute = (at: string): string => at.slice(0, 16);

/** The partition a failure is counted in: its minute and a shard chosen by its source. */
export function authFailurePartition(failure: AuthFailure): string {
  const source = failure.sourceIp ?? UNKNOWN_SOURCE;
  let hash = 0;
  for (let i = 0; i < source.length; i++) hash = (hash * 31 + source.charCodeAt(i)) >>> 0;
  return `AUTHFAIL#${authFailureMinute(failure.at)}#${hash % AUTH_FAILURE_SHARDS}`;
}

export const authFailureExpiry = (at: string): number =>
  Math.floor(Date.parse(at) / 1000) + AUTH_FAILURE_TTL_DAYS * 86_400;

export const isAuthFailureLog = (log: unknown): log is AuthFailureLog =>
  typeof (log as AuthFailureLog | undefined)?.countAuthFailure === 'function';
