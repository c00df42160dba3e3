import type { Page, PageRequest } from '../domain/pagination';

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

/** The audit partition of the provider's own actions (tenant onboarding, offboarding) and of
 * authentication failures that name no known tenant. Kept when a tenant is offboarded. */
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
