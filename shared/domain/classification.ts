/**
 * The data classification table. It decides, per entity and field, what is encrypted before it
 * reaches a store (customer-confidential: envelope-encrypted with a context naming tenant and
 * field), what is only ever stored as a hash (secret-hash), and what audit records and logs may show
 * (only public and internal values; everything else is redacted).
 */
export type DataClass = 'public' | 'internal' | 'customer-confidential' | 'secret-hash';

export const DATA_CLASSIFICATION = {
  tenant: {
    tenantId: 'internal',
    name: 'internal',
    status: 'internal',
    keyRef: 'internal',
    createdAt: 'internal',
    offboardedAt: 'internal',
    version: 'internal',
  },
  /** API tokens and ingest keys: the secret is never stored, only its SHA-256. */
  credential: {
    credentialId: 'internal',
    kind: 'internal',
    tenantId: 'internal',
    name: 'internal',
    role: 'internal',
    collectorId: 'internal',
    secretHash: 'secret-hash',
    createdAt: 'internal',
    rotatedAt: 'internal',
    revokedAt: 'internal',
    version: 'internal',
  },
  collector: {
    collectorId: 'internal',
    tenantId: 'internal',
    name: 'internal',
    downAfterSeconds: 'internal',
    failoverCollectorId: 'internal',
    failback: 'internal',
    collectorGroup: 'internal',
    discoveryAutoAdd: 'internal',
    discovery: 'internal',
    heartbeat: 'internal',
    createdAt: 'internal',
    updatedAt: 'internal',
    version: 'internal',
  },
  resource: {
    resourceId: 'internal',
    tenantId: 'internal',
    type: 'internal',
    name: 'internal',
    address: 'internal',
    properties: 'internal',
    /** Properties whose names say they hold a secret (LogicMonitor's `.pass`, `.key`, `.community`). */
    secureProperties: 'customer-confidential',
    groups: 'internal',
    dependsOn: 'internal',
    collectorId: 'internal',
    primaryCollectorId: 'internal',
    collectorGroup: 'internal',
    credentialIds: 'internal',
    poll: 'internal',
    createdAt: 'internal',
    updatedAt: 'internal',
    version: 'internal',
  },
  /** Credentials of monitored systems: SNMP communities and v3 keys, HTTP basic auth, API tokens. */
  'device-credential': {
    deviceCredentialId: 'internal',
    tenantId: 'internal',
    name: 'internal',
    type: 'internal',
    secrets: 'customer-confidential',
    createdAt: 'internal',
    updatedAt: 'internal',
    version: 'internal',
  },
  /** People: personal data. */
  user: {
    userId: 'internal',
    tenantId: 'internal',
    name: 'customer-confidential',
    email: 'customer-confidential',
    phone: 'customer-confidential',
    role: 'internal',
    createdAt: 'internal',
    updatedAt: 'internal',
    version: 'internal',
  },
  /** Saved dashboards: names and queries, nothing personal. */
  dashboard: {
    dashboardId: 'internal',
    tenantId: 'internal',
    name: 'internal',
    description: 'internal',
    widgets: 'internal',
    createdAt: 'internal',
    updatedAt: 'internal',
    version: 'internal',
  },
  /**
   * Escalation-chain recipients (alerting). The webhook HMAC signing secret is sealed before the chain
   * reaches the alert store and opened only by the notifier when it signs. Unlisted fields (address,
   * routingKey) are redacted in audit records and logs like any unclassified field.
   */
  'escalation-recipient': {
    type: 'internal',
    format: 'internal',
    secret: 'customer-confidential',
  },
  /**
   * Scheduled SLA reports. `recipients` is unlisted, so a plain redact hides it whole; audit images
   * redact it as 'report-recipients' instead, keeping the chain id.
   */
  'report-schedule': {
    scheduleId: 'internal',
    tenantId: 'internal',
    name: 'internal',
    report: 'internal',
    cadence: 'internal',
    timeZone: 'internal',
    periodsSince: 'internal',
    createdAt: 'internal',
    updatedAt: 'internal',
    version: 'internal',
  },
  /**
   * A report schedule's recipients. The e-mail addresses are personal data: unlisted, so redacted in
   * audit records and logs like escalation-recipient addresses. They are not sealed (not
   * customer-confidential): the scheduled runner reads every tenant's schedules unattended and would
   * otherwise need a tenant KMS decrypt per schedule per run; the metadata table is KMS-encrypted at
   * rest, as it is for escalation-chain addresses, which the notifier reads the same way.
   */
  'report-recipients': {
    chainId: 'internal',
  },
} as const satisfies Record<string, Record<string, DataClass>>;

export type ClassifiedEntity = keyof typeof DATA_CLASSIFICATION;

export const REDACTED = '[redacted]';

/** The fields of an entity that are envelope-encrypted at rest. */
export function confidentialFields(entity: ClassifiedEntity): string[] {
  return Object.entries(DATA_CLASSIFICATION[entity])
    .filter(([, c]) => c === 'customer-confidential')
    .map(([field]) => field);
}

/**
 * The classification of a field; a field the table does not know is treated as confidential, so a
 * new field is redacted until someone classifies it.
 */
export function classify(entity: ClassifiedEntity, field: string): DataClass {
  return (DATA_CLASSIFICATION[entity] as Record<string, DataClass>)[field] ?? 'customer-confidential';
}

/** A copy fit for audit records and logs: confidential and secret-hash fields replaced. */
export function redact<T extends object>(entity: ClassifiedEntity, record: T): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(record)) {
    const c = classify(entity, field);
    out[field] = c === 'public' || c === 'internal' ? value : REDACTED;
  }
  return out;
}

/** Resource property names that hold secrets (the convention LogicMonitor uses). */
export function isSecurePropertyName(name: string): boolean {
  return /(^|[._-])(pass|password|passwd|secret|key|community|token|authkey|privkey)$/i.test(name);
}
