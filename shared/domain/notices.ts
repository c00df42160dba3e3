/**
 * Security-incident notices: the provider posts an incident (affected tenants or all, severity, text)
 * and status updates to it; each affected tenant gets a notice (a copy it can acknowledge), and its
 * admins get every update through the tenant's notice channels (e-mail, webhook). Pure: the fan-out
 * that reads and writes is functions/admin/notices.ts.
 */
import { createHash } from 'node:crypto';
import { type Recipient, recipientKey, recipientSchema } from './alerting/escalation';
import * as z from './zod';

export const INCIDENT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const INCIDENT_STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
export type IncidentSeverity = (typeof INCIDENT_SEVERITIES)[number];
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

/** Updates an incident may have (the first post included): bounds each notice's size. */
export const MAX_INCIDENT_UPDATES = 50;
/** Notice channels a tenant may configure. */
export const MAX_NOTICE_CHANNELS = 10;
/** Tenants an incident may name (more: post it to `all`). */
export const MAX_NAMED_TENANTS = 1_000;

const text = z.string().check(z.trim(), z.minLength(1), z.maxLength(10_000));

export const incidentInputSchema = z.strictObject({
  title: z.string().check(z.trim(), z.minLength(1), z.maxLength(200)),
  text,
  severity: z.enum(INCIDENT_SEVERITIES),
  status: z._default(z.enum(INCIDENT_STATUSES), 'investigating'),
  /** `all` (every active tenant when the notice is delivered) or the affected tenants' ids. */
  tenants: z.union([
    z.literal('all'),
    z
      .array(z.string().check(z.regex(/^[a-f0-9]{32}$/, 'a tenant id')))
      .check(z.minLength(1), z.maxLength(MAX_NAMED_TENANTS)),
  ]),
});
export type IncidentInput = z.infer<typeof incidentInputSchema>;

export const incidentUpdateInputSchema = z.strictObject({
  status: z.enum(INCIDENT_STATUSES),
  text,
});

/** A notice channel: e-mail or a webhook (SMS is for pages, not for a notice's text). */
export const noticeChannelsInputSchema = z.strictObject({
  recipients: z
    .array(
      recipientSchema.check(
        z.refine((r) => r.type !== 'sms', {
          message: 'notice channels are email or webhook',
          path: ['type'],
        }),
      ),
    )
    .check(z.maxLength(MAX_NOTICE_CHANNELS)),
});

export interface IncidentUpdate {
  /** 0 is the incident's first post; each status update the next number. */
  readonly seq: number;
  readonly status: IncidentStatus;
  readonly text: string;
  readonly at: string;
}

/** How far the delivery of the incident's latest update has gone over the affected tenants. */
export interface FanoutProgress {
  readonly seq: number;
  /** Where the next page of tenants starts (absent: from the first). */
  readonly cursor?: string;
  readonly done: boolean;
  /** Tenants the update reached so far, and its deliveries sent and failed over them. */
  readonly tenants: number;
  readonly sent: number;
  readonly failed: number;
}

export interface Incident {
  readonly incidentId: string;
  readonly title: string;
  readonly severity: IncidentSeverity;
  readonly tenants: 'all' | readonly string[];
  readonly createdAt: string;
  readonly updates: readonly IncidentUpdate[];
  readonly fanout: FanoutProgress;
  /** Optimistic concurrency: each write names the version it read. */
  readonly version: number;
}

export type DeliveryStatus = 'queued' | 'sent' | 'failed';

export interface NoticeDelivery {
  readonly seq: number;
  /** `email:<address>` or `webhook:<url>`. */
  readonly channel: string;
  readonly status: DeliveryStatus;
  readonly at: string;
  readonly reason?: string;
}

/** A tenant's copy of an incident: the updates it received, their deliveries, its acknowledgement. */
export interface TenantNotice {
  readonly tenantId: string;
  readonly incidentId: string;
  readonly title: string;
  readonly severity: IncidentSeverity;
  readonly updates: readonly IncidentUpdate[];
  readonly receivedAt: string;
  readonly deliveries: readonly NoticeDelivery[];
  readonly acknowledgedAt?: string;
  readonly acknowledgedBy?: string;
  /** The last update acknowledged: a later update makes the notice unacknowledged again. */
  readonly acknowledgedSeq?: number;
  readonly version: number;
}

export interface NoticeChannels {
  readonly tenantId: string;
  readonly recipients: readonly Recipient[];
  readonly updatedAt: string;
}

export const currentStatus = (i: Pick<Incident, 'updates'>): IncidentStatus =>
  i.updates.at(-1)?.status ?? 'investigating';

export function newIncident(incidentId: string, input: IncidentInput, at: string): Incident {
  return {
    incidentId,
    title: input.title,
    severity: input.severity,
    tenants: input.tenants,
    createdAt: at,
    updates: [{ seq: 0, status: input.status, text: input.text, at }],
    fanout: { seq: 0, done: false, tenants: 0, sent: 0, failed: 0 },
    version: 0,
  };
}

/** The incident with one more update; its fan-out starts again from the first tenant. */
export function withUpdate(
  incident: Incident,
  update: { status: IncidentStatus; text: string },
  at: string,
): Incident {
  const seq = incident.updates.length;
  return {
    ...incident,
    updates: [...incident.updates, { seq, ...update, at }],
    fanout: { seq, done: false, tenants: 0, sent: 0, failed: 0 },
  };
}

/**
 * One delivery's id: the same incident update, tenant and channel give the same id on every retry,
 * so the ledger's claim on it makes a retried fan-out send nothing twice (and receivers can dedup).
 */
export const noticeDeliveryId = (incidentId: string, seq: number, tenantId: string, recipient: Recipient) =>
  createHash('sha256')
    .update(`notice\u0000${incidentId}\u0000${seq}\u0000${tenantId}\u0000${recipientKey(recipient)}`)
    .digest('hex')
    .slice(0, 32);

/** The e-mail subject and text of one update (no CR/LF in the subject: it is a header). */
export function noticeText(
  incident: Pick<Incident, 'title' | 'severity' | 'incidentId'>,
  update: IncidentUpdate,
): { subject: string; body: string } {
  const subject = `[Security notice, ${incident.severity}] ${incident.title} (${update.status})`
    .replace(/[\r\n]/g, ' ')
    .slice(0, 99);
  const body = [
    update.seq === 0
      ? 'The platform provider reports a security incident that affects your tenant.'
      : 'Update:',
    '',
    update.text,
    '',
    `status: ${update.status}`,
    `severity: ${incident.severity}`,
    `at: ${update.at}`,
    `incident: ${incident.incidentId}`,
    'Acknowledge it in the console or with POST /v1/notices/{incidentId}/ack.',
  ].join('\n');
  return { subject, body };
}

/** The JSON a notice webhook receives (signed like alert webhooks when the channel has a secret). */
export function noticeWebhookBody(
  incident: Pick<Incident, 'title' | 'severity' | 'incidentId'>,
  update: IncidentUpdate,
  tenantId: string,
) {
  return {
    type: 'security-notice',
    tenantId,
    incidentId: incident.incidentId,
    title: incident.title,
    severity: incident.severity,
    seq: update.seq,
    status: update.status,
    text: update.text,
    at: update.at,
  };
}

/** The tenant's copy after an update reached it (a new copy for the incident's first). */
export function noticeWithUpdate(
  existing: TenantNotice | undefined,
  tenantId: string,
  incident: Incident,
  update: IncidentUpdate,
  at: string,
): TenantNotice {
  const base: TenantNotice = existing ?? {
    tenantId,
    incidentId: incident.incidentId,
    title: incident.title,
    severity: incident.severity,
    updates: [],
    receivedAt: at,
    deliveries: [],
    version: 0,
  };
  if (base.updates.some((u) => u.seq === update.seq)) return base;
  // A tenant first reached by a later update gets the earlier ones too, in its console copy.
  const have = new Set(base.updates.map((u) => u.seq));
  const missing = incident.updates.filter((u) => u.seq <= update.seq && !have.has(u.seq));
  return { ...base, updates: [...base.updates, ...missing].sort((a, b) => a.seq - b.seq) };
}

/** Replaces the delivery record of (seq, channel), or adds it. */
export function withDelivery(notice: TenantNotice, delivery: NoticeDelivery): TenantNotice {
  const others = notice.deliveries.filter((d) => d.seq !== delivery.seq || d.channel !== delivery.channel);
  return { ...notice, deliveries: [...others, delivery] };
}

/** A notice as its tenant sees it (the channel addresses are the tenant's own). */
export const noticeView = ({ tenantId: _t, version: _v, ...notice }: TenantNotice) => ({
  ...notice,
  status: notice.updates.at(-1)?.status ?? 'investigating',
  acknowledged: isAcknowledged(notice),
});

export const isAcknowledged = (n: Pick<TenantNotice, 'acknowledgedSeq' | 'updates'>) =>
  n.acknowledgedSeq !== undefined && n.acknowledgedSeq >= (n.updates.at(-1)?.seq ?? 0);
