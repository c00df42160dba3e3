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
}

export interface AuditLog {
  append(event: AuditEvent): Promise<void>;
}
