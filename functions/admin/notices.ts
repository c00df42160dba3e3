/**
 * Security-incident notices, the provider's side: post an incident, post status updates, and deliver
 * each update to the affected tenants: a notice in the tenant's console (GET /v1/notices) and one
 * message per notice channel (e-mail, webhook) the tenant's admins configured.
 *
 * Bounded: a run delivers to at most FANOUT_PAGES pages of FANOUT_PAGE_SIZE tenants; the incident
 * keeps where it stopped (`fanout.cursor`) and the run hands the rest to the next one (NoticeFanoutQueue:
 * the admin function invoking itself asynchronously, locally a background loop) until every affected
 * tenant has the update. `POST …/deliver` resumes it by hand (a chain whose retries all failed) or,
 * once done, retries the failed messages. Idempotent: every message has a stable delivery id (incident, update, tenant,
 * channel) claimed in the notification ledger before it is sent, so a retried or concurrent fan-out
 * sends nothing twice; a failed send releases its claim, so delivering again retries exactly the
 * failed ones. Every step is in the provider's audit trail and in each tenant's.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { recipientKey } from '#domain/alerting/escalation';
import { ConflictError, NotFoundError, UnprocessableError } from '#domain/errors';
import {
  currentStatus,
  type Incident,
  type IncidentUpdate,
  incidentInputSchema,
  incidentUpdateInputSchema,
  MAX_INCIDENT_UPDATES,
  type NoticeDelivery,
  newIncident,
  noticeDeliveryId,
  noticeText,
  noticeWebhookBody,
  noticeWithUpdate,
  type TenantNotice,
  withDelivery,
  withUpdate,
} from '#domain/notices';
import { pageQuerySchema } from '#domain/pagination';
import { parseOrThrow } from '#domain/validation';
import { readJson, requireMediaType } from '#http/body';
import type { Route } from '#http/handler';
import { json } from '#http/response';
import type { HttpEvent } from '#http/types';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { NoticeFanoutContinuation, NoticeFanoutQueue } from '#ports/notice-fanout-queue';
import type { NoticeSender, NoticeStore } from '#ports/notice-store';
import {
  type NotificationLedger,
  SENDING_LEASE_MS,
  SENT_CLAIM_RETENTION_MS,
} from '#ports/notification-ledger';
import type { TenantStore } from '#ports/tenant-store';
import type { RecipientSecrets } from '../alerts/recipient-secrets';

export const FANOUT_PAGE_SIZE = 25;
export const FANOUT_PAGES = 4;
/**
 * A run starts another page only with this much of its invocation left: a run cut off by its timeout
 * would hand nothing on (the pages it saved stay; `…/deliver` resumes).
 */
export const PAGE_TIME_RESERVE_MS = 5_000;
/** Conditional writes retried this often when another writer got there first. */
const WRITE_ATTEMPTS = 5;

export interface NoticeDeps {
  readonly store: NoticeStore;
  readonly sender: NoticeSender;
  readonly ledger: NotificationLedger;
  /** Opens sealed webhook secrets for signing (absent: a channel with a sealed secret fails). */
  readonly secrets?: Pick<RecipientSecrets, 'openRecipient'>;
  /** Tenants a page, pages a run (default FANOUT_PAGE_SIZE, FANOUT_PAGES). */
  readonly fanoutLimits?: { readonly pageSize: number; readonly pages: number };
  /** Where a run that did not reach every tenant hands on the rest (absent: `…/deliver` goes on). */
  readonly fanoutQueue?: NoticeFanoutQueue;
}

export interface FanoutContext extends NoticeDeps {
  readonly tenants: TenantStore;
  readonly audit: AuditLog;
  readonly clock: Clock;
}

export const NOTICE_ADMIN_ROUTES = [
  'POST /admin/v1/incidents',
  'GET /admin/v1/incidents',
  'GET /admin/v1/incidents/{incidentId}',
  'POST /admin/v1/incidents/{incidentId}/updates',
  'POST /admin/v1/incidents/{incidentId}/deliver',
  'GET /admin/v1/incidents/{incidentId}/tenants/{tenantId}',
] as const;

/** Ids sort by creation time (base-36 milliseconds), so listings are newest first by key. */
const newIncidentId = (nowMs: number) =>
  `${nowMs.toString(36).padStart(9, '0')}${randomBytes(8).toString('hex')}`;

/** The provider's view: the incident, its status and how far its latest update's delivery went. */
export const incidentView = ({ version: _v, ...incident }: Incident) => ({
  ...incident,
  status: currentStatus(incident),
});

/** One tenant's copy as the provider sees it: what reached it and when, per channel type, no addresses. */
const providerNoticeView = (n: TenantNotice) => ({
  tenantId: n.tenantId,
  incidentId: n.incidentId,
  receivedAt: n.receivedAt,
  updates: n.updates.map((u) => u.seq),
  deliveries: n.deliveries.map(({ channel, ...d }) => ({ ...d, channel: channel.split(':')[0] ?? '' })),
  ...(n.acknowledgedAt ? { acknowledgedAt: n.acknowledgedAt } : {}),
  ...(n.acknowledgedSeq === undefined ? {} : { acknowledgedSeq: n.acknowledgedSeq }),
});

/** One step in an audit trail: the provider's (PROVIDER_AUDIT_PARTITION) or a tenant's; the actor is the provider. */
async function audit(ctx: FanoutContext, partition: string, action: string, target: string, after?: unknown) {
  await ctx.audit.append({
    tenantId: partition,
    at: ctx.clock.now().toISOString(),
    action,
    actor: 'provider',
    outcome: 'success',
    target,
    ...(after === undefined ? {} : { after }),
  });
}

const providerAudit = (ctx: FanoutContext, action: string, target: string, after?: unknown) =>
  audit(ctx, PROVIDER_AUDIT_PARTITION, action, target, after);

/**
 * Reads the tenant's notice, applies `change` and writes it back on the version read; another writer
 * in between (an ack, a concurrent fan-out) makes it read and apply again.
 */
async function updateNotice(
  ctx: FanoutContext,
  tenantId: string,
  incidentId: string,
  change: (existing: TenantNotice | undefined) => TenantNotice | undefined,
): Promise<TenantNotice | undefined> {
  for (let attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
    const existing = await ctx.store.getNotice(tenantId, incidentId);
    const next = change(existing);
    if (!next || next === existing) return existing;
    if (await ctx.store.putNotice(next, existing?.version ?? 0))
      return { ...next, version: (existing?.version ?? 0) + 1 };
  }
  throw new ConflictError('the notice kept changing while it was written; deliver again');
}

/** Delivers one update to one tenant: its console copy, then each channel once. */
async function deliverToTenant(
  ctx: FanoutContext,
  incident: Incident,
  update: IncidentUpdate,
  tenantId: string,
): Promise<{ sent: number; failed: number }> {
  const at = () => ctx.clock.now().toISOString();
  const channels = (await ctx.store.getChannels(tenantId))?.recipients ?? [];
  let received = false;
  await updateNotice(ctx, tenantId, incident.incidentId, (existing) => {
    const withIt = noticeWithUpdate(existing, tenantId, incident, update, at());
    if (withIt === existing) return existing;
    received = true;
    // Every channel is queued before anything is sent: the record says what was meant to go out.
    return channels.reduce(
      (n, r) => withDelivery(n, { seq: update.seq, channel: recipientKey(r), status: 'queued', at: at() }),
      withIt,
    );
  });
  if (received)
    await audit(ctx, tenantId, 'notice.received', `notice/${incident.incidentId}`, {
      seq: update.seq,
      status: update.status,
      severity: incident.severity,
    });
  const { subject, body } = noticeText(incident, update);
  const payload = noticeWebhookBody(incident, update, tenantId);
  const outcomes: NoticeDelivery[] = [];
  for (const recipient of channels) {
    const channel = recipientKey(recipient);
    const deliveryId = noticeDeliveryId(incident.incidentId, update.seq, tenantId, recipient);
    const now = ctx.clock.now().getTime();
    const claim = await ctx.ledger.claim(tenantId, deliveryId, now + SENDING_LEASE_MS, now);
    if (claim === 'sent') {
      outcomes.push({ seq: update.seq, channel, status: 'sent', at: at() });
      continue;
    }
    // Another fan-out is sending it right now: it records the outcome.
    if (claim === 'sending') continue;
    try {
      const opened = ctx.secrets ? await ctx.secrets.openRecipient(tenantId, recipient) : recipient;
      await ctx.sender.send({ deliveryId, tenantId, recipient: opened, subject, text: body, payload });
    } catch (error) {
      await ctx.ledger.release(tenantId, deliveryId).catch(() => undefined);
      const reason = (error as Error).message.slice(0, 300);
      outcomes.push({ seq: update.seq, channel, status: 'failed', at: at(), reason });
      continue;
    }
    // Sent: a confirm that fails leaves the claim to run out, and a retry within the lease skips it.
    await ctx.ledger
      .confirm(tenantId, deliveryId, ctx.clock.now().getTime() + SENT_CLAIM_RETENTION_MS)
      .catch(() => undefined);
    outcomes.push({ seq: update.seq, channel, status: 'sent', at: at() });
  }
  if (outcomes.length > 0) {
    await updateNotice(ctx, tenantId, incident.incidentId, (existing) =>
      existing ? outcomes.reduce(withDelivery, existing) : existing,
    );
  }
  const sent = outcomes.filter((o) => o.status === 'sent').length;
  const failed = outcomes.filter((o) => o.status === 'failed').length;
  await audit(ctx, tenantId, 'notice.delivered', `notice/${incident.incidentId}`, {
    seq: update.seq,
    channels: outcomes.map(({ channel, status, reason }) => ({
      channel: channel.split(':')[0],
      status,
      ...(reason ? { reason } : {}),
    })),
  });
  return { sent, failed };
}

/** The next page of affected tenants from `cursor`, and where the page after starts. */
async function tenantPage(
  ctx: FanoutContext,
  incident: Incident,
  cursor: string | undefined,
): Promise<{ tenantIds: string[]; next?: string }> {
  const pageSize = ctx.fanoutLimits?.pageSize ?? FANOUT_PAGE_SIZE;
  if (incident.tenants === 'all') {
    const page = await ctx.tenants.listTenants({ limit: pageSize, ...(cursor ? { cursor } : {}) });
    return {
      tenantIds: page.items.filter((t) => t.status === 'active').map((t) => t.tenantId),
      ...(page.nextCursor ? { next: page.nextCursor } : {}),
    };
  }
  const start = cursor ? Number(cursor) : 0;
  const ids = incident.tenants.slice(start, start + pageSize);
  const named: string[] = [];
  for (const id of ids) if ((await ctx.tenants.getTenant(id))?.status === 'active') named.push(id);
  const end = start + pageSize;
  return { tenantIds: named, ...(end < incident.tenants.length ? { next: String(end) } : {}) };
}

/**
 * Delivers the incident's latest update to at most FANOUT_PAGES pages of tenants from where the last
 * run stopped, saving the progress after each page. A run that finds the fan-out done starts it
 * again from the first tenant (only failed or never-sent messages go out again), unless it is a
 * continuation (`restartWhenDone` false), which then has nothing to do.
 */
/** How a run is bounded besides its pages: whether it restarts a done fan-out, and its time left. */
interface RunOptions {
  readonly restartWhenDone?: boolean;
  /** The invocation's remaining time (Lambda context); absent: only the page bound applies. */
  readonly timeLeftMs?: () => number;
}

export async function fanOut(
  ctx: FanoutContext,
  incidentId: string,
  options?: RunOptions,
): Promise<Incident> {
  return (await fanOutRun(ctx, incidentId, options)).incident;
}

/** The run, and whether another writer (a newer update, another run) took the incident from it. */
async function fanOutRun(
  ctx: FanoutContext,
  incidentId: string,
  { restartWhenDone = true, timeLeftMs }: RunOptions = {},
): Promise<{ incident: Incident; lost: boolean }> {
  let incident = await ctx.store.getIncident(incidentId);
  if (!incident) throw new NotFoundError('no such incident', 'incidentId');
  if (incident.fanout.done && !restartWhenDone) return { incident, lost: false };
  if (incident.fanout.done) {
    const restarted: Incident = {
      ...incident,
      fanout: { seq: incident.fanout.seq, done: false, tenants: 0, sent: 0, failed: 0 },
    };
    if (!(await ctx.store.putIncident(restarted, incident.version)))
      throw new ConflictError('the incident changed meanwhile; deliver again');
    incident = { ...restarted, version: incident.version + 1 };
  }
  const update = incident.updates[incident.fanout.seq] as IncidentUpdate;
  const pages = ctx.fanoutLimits?.pages ?? FANOUT_PAGES;
  for (let page = 0; page < pages && !incident.fanout.done; page++) {
    if (page > 0 && timeLeftMs && timeLeftMs() < PAGE_TIME_RESERVE_MS) break;
    const { tenantIds, next } = await tenantPage(ctx, incident, incident.fanout.cursor);
    let sent = 0;
    let failed = 0;
    for (const tenantId of tenantIds) {
      const outcome = await deliverToTenant(ctx, incident, update, tenantId);
      sent += outcome.sent;
      failed += outcome.failed;
    }
    const { cursor: _c, ...progress } = incident.fanout;
    const advanced: Incident = {
      ...incident,
      fanout: {
        ...progress,
        ...(next ? { cursor: next } : {}),
        done: next === undefined,
        tenants: progress.tenants + tenantIds.length,
        sent: progress.sent + sent,
        failed: progress.failed + failed,
      },
    };
    // A newer update (or another run) moved the incident on: stop; the deliveries made are recorded.
    if (!(await ctx.store.putIncident(advanced, incident.version))) return { incident, lost: true };
    incident = { ...advanced, version: incident.version + 1 };
    await providerAudit(ctx, 'incident.deliver', `incident/${incidentId}`, {
      seq: update.seq,
      tenants: tenantIds.length,
      sent,
      failed,
      done: incident.fanout.done,
    });
  }
  return { incident, lost: false };
}

/**
 * One bounded run, then the rest handed on: the run's progress is saved per page, so a continuation
 * that is lost (every retry failed) leaves the incident where `…/deliver` resumes it. A run that lost
 * the incident to another writer hands nothing on: the winner does (one chain, not one per race).
 */
async function fanOutAndHandOn(
  ctx: FanoutContext,
  incidentId: string,
  options?: RunOptions,
): Promise<Incident> {
  const { incident, lost } = await fanOutRun(ctx, incidentId, options);
  if (!lost && !incident.fanout.done && ctx.fanoutQueue)
    await ctx.fanoutQueue.continueLater({ kind: 'notice-fanout', incidentId, seq: incident.fanout.seq });
  return incident;
}

/**
 * A continuation's run: goes on with the fan-out it was queued for. A newer update (its own chain
 * delivers it) or a finished fan-out make it stop; so does a run that lost the incident's write to
 * another run (that one hands on).
 */
export async function continueFanOut(
  ctx: FanoutContext,
  continuation: NoticeFanoutContinuation,
  timeLeftMs?: () => number,
): Promise<void> {
  const incident = await ctx.store.getIncident(continuation.incidentId);
  if (!incident || incident.fanout.done || incident.fanout.seq !== continuation.seq) return;
  await fanOutAndHandOn(ctx, continuation.incidentId, {
    restartWhenDone: false,
    ...(timeLeftMs ? { timeLeftMs } : {}),
  });
}

const timeLeftOf = (context: Context | undefined) =>
  context ? { timeLeftMs: () => context.getRemainingTimeInMillis() } : {};

export function noticeAdminRoutes(
  ctx: FanoutContext,
  authorize: (event: HttpEvent) => Promise<void>,
): Record<(typeof NOTICE_ADMIN_ROUTES)[number], Route> {
  const incidentOf = async (event: HttpEvent) => {
    const incident = await ctx.store.getIncident(event.pathParameters?.incidentId ?? '');
    if (!incident) throw new NotFoundError('no such incident', 'incidentId');
    return incident;
  };
  return {
    'POST /admin/v1/incidents': async (event, context) => {
      await authorize(event);
      requireMediaType(event, ['application/json']);
      const input = parseOrThrow(incidentInputSchema, readJson(event));
      const now = ctx.clock.now();
      const incident = newIncident(newIncidentId(now.getTime()), input, now.toISOString());
      await ctx.store.putIncident(incident, 0);
      await providerAudit(ctx, 'incident.create', `incident/${incident.incidentId}`, {
        severity: incident.severity,
        status: input.status,
        tenants: incident.tenants === 'all' ? 'all' : incident.tenants.length,
      });
      return json(201, incidentView(await fanOutAndHandOn(ctx, incident.incidentId, timeLeftOf(context))), {
        location: `/admin/v1/incidents/${incident.incidentId}`,
      });
    },
    'GET /admin/v1/incidents': async (event) => {
      await authorize(event);
      const page = parseOrThrow(pageQuerySchema, { ...(event.queryStringParameters ?? {}) });
      const result = await ctx.store.listIncidents(page);
      return json(200, { ...result, items: result.items.map(incidentView) });
    },
    'GET /admin/v1/incidents/{incidentId}': async (event) => {
      await authorize(event);
      return json(200, incidentView(await incidentOf(event)));
    },
    'POST /admin/v1/incidents/{incidentId}/updates': async (event, context) => {
      await authorize(event);
      requireMediaType(event, ['application/json']);
      const input = parseOrThrow(incidentUpdateInputSchema, readJson(event));
      const incident = await incidentOf(event);
      if (incident.updates.length >= MAX_INCIDENT_UPDATES)
        throw new UnprocessableError(`an incident has at most ${MAX_INCIDENT_UPDATES} updates`, 'text');
      const updated = withUpdate(incident, input, ctx.clock.now().toISOString());
      if (!(await ctx.store.putIncident(updated, incident.version)))
        throw new ConflictError('the incident changed meanwhile; read it and post the update again');
      await providerAudit(ctx, 'incident.update', `incident/${incident.incidentId}`, {
        seq: updated.fanout.seq,
        status: input.status,
      });
      return json(201, incidentView(await fanOutAndHandOn(ctx, incident.incidentId, timeLeftOf(context))));
    },
    'POST /admin/v1/incidents/{incidentId}/deliver': async (event, context) => {
      await authorize(event);
      const incident = await incidentOf(event);
      return json(200, incidentView(await fanOutAndHandOn(ctx, incident.incidentId, timeLeftOf(context))));
    },
    'GET /admin/v1/incidents/{incidentId}/tenants/{tenantId}': async (event) => {
      await authorize(event);
      const incident = await incidentOf(event);
      const notice = await ctx.store.getNotice(event.pathParameters?.tenantId ?? '', incident.incidentId);
      if (!notice) throw new NotFoundError('the incident has not reached that tenant', 'tenantId');
      return json(200, providerNoticeView(notice));
    },
  };
}
