/**
 * Security-incident notices, the tenant's side: its copies of the provider's incidents (newest first,
 * `unacknowledged=true` for the console's panel), acknowledging one, and the notice channels (e-mail,
 * webhook) its admins receive them on. Admin role only (`notices:manage`): a notice may describe the
 * tenant's exposure, and the admins decide whom to tell. An acknowledgement is in the tenant's audit
 * log and in the provider's.
 */
import { type Recipient, redactRecipient } from '#domain/alerting/escalation';
import { type WebhookAddressPolicy, webhookUrlProblem } from '#domain/alerting/webhook-address';
import { ConflictError, NotFoundError, UnprocessableError } from '#domain/errors';
import { isAcknowledged, noticeChannelsInputSchema, noticeView } from '#domain/notices';
import { pageQuerySchema } from '#domain/pagination';
import { parseOrThrow } from '#domain/validation';
import * as z from '#domain/zod';
import type { Principal } from '#http/auth';
import type { Route } from '#http/handler';
import { json } from '#http/response';
import type { HttpEvent } from '#http/types';
import { type AuditLog, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import type { NoticeStore } from '#ports/notice-store';
import type { EmailRecipients } from './email-recipients';
import type { RecipientSecrets } from './recipient-secrets';
import type { AuditChange } from './route-helpers';

export const NOTICE_ROUTES = [
  'GET /v1/notices',
  'POST /v1/notices/{incidentId}/ack',
  'GET /v1/notice-channels',
  'PUT /v1/notice-channels',
] as const;

/** Unacknowledged notices are read from at most this many of the newest (the console's panel). */
const UNACKNOWLEDGED_SCAN = 200;

export const noticeListQuery = z.extend(pageQuerySchema, {
  unacknowledged: z.optional(z.enum(['true', 'false'])),
});

export interface NoticeRouteDeps {
  readonly store: NoticeStore;
  readonly secrets: Pick<RecipientSecrets, 'sealRecipient'>;
}

export function noticeRoutes(deps: {
  notices: NoticeRouteDeps | undefined;
  clock: Clock;
  auditLog: AuditLog;
  webhookPolicy: WebhookAddressPolicy;
  principalFor: (event: HttpEvent) => Promise<Principal>;
  body: (event: HttpEvent) => unknown;
  /**
   * The tenant's e-mail subscriptions, kept as for chains and report schedules
   * (functions/alerts/email-recipients.ts): added addresses referenced and subscribed before the
   * write, removed ones released after it (a chain, schedule or another tenant still naming one keeps it).
   */
  recipients: Pick<EmailRecipients, 'saveNaming' | 'unsubscribeUnused'>;
  audit: AuditChange;
}): Record<(typeof NOTICE_ROUTES)[number], Route> {
  const storeOf = () => {
    if (!deps.notices) throw new NotFoundError('security-incident notices are not configured here');
    return deps.notices;
  };
  const channelsView = (recipients: readonly Recipient[]) => ({
    recipients: recipients.map(redactRecipient),
  });

  return {
    'GET /v1/notices': async (event) => {
      const principal = await deps.principalFor(event);
      const { store } = storeOf();
      const { unacknowledged, ...page } = parseOrThrow(noticeListQuery, {
        ...(event.queryStringParameters ?? {}),
      });
      if (unacknowledged !== 'true') {
        const result = await store.listNotices(principal.tenantId, page);
        return json(200, { ...result, items: result.items.map(noticeView) });
      }
      // Bounded: the unacknowledged among the newest UNACKNOWLEDGED_SCAN (older ones are long handled).
      const newest = await store.listNotices(principal.tenantId, { limit: UNACKNOWLEDGED_SCAN });
      const open = newest.items.filter((n) => !isAcknowledged(n)).slice(0, page.limit);
      return json(200, { items: open.map(noticeView) });
    },
    'POST /v1/notices/{incidentId}/ack': async (event) => {
      const principal = await deps.principalFor(event);
      const { store } = storeOf();
      const incidentId = event.pathParameters?.incidentId ?? '';
      for (let attempt = 0; attempt < 5; attempt++) {
        const notice = await store.getNotice(principal.tenantId, incidentId);
        if (!notice) throw new NotFoundError('no such notice', 'incidentId');
        const at = deps.clock.now().toISOString();
        const seq = notice.updates.at(-1)?.seq ?? 0;
        const acknowledged = {
          ...notice,
          acknowledgedAt: at,
          acknowledgedBy: principal.credential.credentialId,
          acknowledgedSeq: seq,
        };
        // A fan-out writing the same notice meanwhile: read it again (it may carry a newer update).
        if (!(await store.putNotice(acknowledged, notice.version))) continue;
        await deps.audit(event, principal, 'notice.ack', `notice/${incidentId}`, undefined, { seq });
        await deps.auditLog.append({
          tenantId: PROVIDER_AUDIT_PARTITION,
          at,
          action: 'notice.ack',
          actor: 'provider',
          outcome: 'success',
          target: `tenant/${principal.tenantId}`,
          after: { incidentId, seq },
        });
        return json(200, noticeView({ ...acknowledged, version: notice.version + 1 }));
      }
      throw new ConflictError('the notice kept changing; acknowledge it again');
    },
    'GET /v1/notice-channels': async (event) => {
      const principal = await deps.principalFor(event);
      const channels = await storeOf().store.getChannels(principal.tenantId);
      return json(200, channelsView(channels?.recipients ?? []));
    },
    'PUT /v1/notice-channels': async (event) => {
      const principal = await deps.principalFor(event);
      const { store, secrets } = storeOf();
      const input = parseOrThrow(noticeChannelsInputSchema, deps.body(event));
      for (const [i, r] of input.recipients.entries()) {
        const problem = r.type === 'webhook' && webhookUrlProblem(r.address, deps.webhookPolicy);
        if (problem)
          throw new UnprocessableError(`recipients.${i}.address: ${problem}`, `recipients.${i}.address`);
      }
      const before = await store.getChannels(principal.tenantId);
      const recipients: Recipient[] = [];
      for (const r of input.recipients) recipients.push(await secrets.sealRecipient(principal.tenantId, r));
      const emails = (list: readonly Recipient[] | undefined) =>
        new Set((list ?? []).filter((r) => r.type === 'email').map((r) => r.address));
      const kept = emails(input.recipients);
      const previous = emails(before?.recipients);
      // Channels are never stored naming an e-mail address that cannot receive.
      await deps.recipients.saveNaming(
        principal.tenantId,
        [...kept].filter((address) => !previous.has(address)),
        () =>
          store.putChannels({
            tenantId: principal.tenantId,
            recipients,
            updatedAt: deps.clock.now().toISOString(),
          }),
      );
      // After the write: the reconciliation reads the channels as they are now.
      await deps.recipients.unsubscribeUnused(
        principal.tenantId,
        [...previous].filter((address) => !kept.has(address)),
      );
      const view = channelsView(recipients);
      await deps.audit(
        event,
        principal,
        'notice-channels.update',
        'notice-channels',
        before && channelsView(before.recipients),
        view,
      );
      return json(200, view);
    },
  };
}
