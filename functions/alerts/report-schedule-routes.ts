/**
 * Scheduled SLA reports (`/v1/report-schedules`): the SLA request of POST /v1/reports/sla without its
 * period, a weekly or monthly cadence in a time zone, and who receives it (e-mail addresses and/or an
 * escalation chain's e-mail recipients). The report scheduler (functions/report-scheduler) sends each
 * complete period once. Replacing one is conditional on the version read (If-Match names it, else the
 * one this request read); every change is audited with the addresses redacted. A tenant keeps at most
 * MAX_REPORT_SCHEDULES, so no tenant can make the scheduler's hourly pass do unbounded work. Its own
 * addresses are subscribed to the region's e-mail topic before it is stored (as a chain's are), and
 * unsubscribed with their last use (email-recipients.ts).
 */
import { redact } from '#domain/classification';
import { newId } from '#domain/credentials';
import { ConflictError, NotFoundError, UnprocessableError } from '#domain/errors';
import { pageQuerySchema } from '#domain/pagination';
import {
  MAX_REPORT_SCHEDULES,
  periodAt,
  REPORT_CADENCES,
  type ReportSchedule,
  type ReportScheduleInput,
  reportScheduleInputSchema,
} from '#domain/reports/schedule';
import { parseOrThrow } from '#domain/validation';
import * as z from '#domain/zod';
import type { Principal } from '#http/auth';
import type { Route } from '#http/handler';
import type { OperationDoc } from '#http/operations';
import { json } from '#http/response';
import type { HttpEvent } from '#http/types';
import type { AlertStore } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import type { TenantStore } from '#ports/tenant-store';
import { ifMatch } from '../api/operation';
import type { EmailRecipients } from './email-recipients';
import type { AuditChange } from './route-helpers';

export const REPORT_SCHEDULE_ROUTES = [
  'POST /v1/report-schedules',
  'GET /v1/report-schedules',
  'GET /v1/report-schedules/{scheduleId}',
  'PUT /v1/report-schedules/{scheduleId}',
  'DELETE /v1/report-schedules/{scheduleId}',
] as const;

/** Retries of a replacement without If-Match that lost a race (each on fresh data). */
const MAX_UPDATE_ATTEMPTS = 5;

/** The schedule's own addresses (its chain's are kept with the chain). */
const emailsOf = (schedule: ReportScheduleInput) => schedule.recipients.emails ?? [];

const iso = (ms: number) => new Date(ms).toISOString();

/** A schedule as the API shows it, with the period it is collecting now (sent once that ends). */
const scheduleView = ({ tenantId: _t, ...schedule }: ReportSchedule, nowMs: number) => {
  const period = periodAt(schedule.cadence, schedule.timeZone, nowMs);
  return { ...schedule, currentPeriod: { from: iso(period.from), to: iso(period.to) } };
};

/** Fit for the audit log: the recipients' addresses redacted, the chain id kept. */
const auditImage = (schedule: ReportSchedule) => ({
  ...redact('report-schedule', schedule),
  recipients: redact('report-recipients', schedule.recipients),
});

export function reportScheduleRoutes(deps: {
  tenants: TenantStore;
  store: Pick<AlertStore, 'getChain'>;
  emailRecipients: EmailRecipients;
  clock: Clock;
  principalFor: (event: HttpEvent, write: boolean) => Promise<Principal>;
  body: (event: HttpEvent) => unknown;
  param: (event: HttpEvent, name: string) => string;
  audit: AuditChange;
}): Record<(typeof REPORT_SCHEDULE_ROUTES)[number], Route> {
  const { tenants, emailRecipients } = deps;
  const nowMs = () => deps.clock.now().getTime();
  const withEtag = (status: number, schedule: ReportSchedule) =>
    json(status, scheduleView(schedule, nowMs()), { etag: `"${schedule.version}"` });

  /** The validated body, its chain checked to exist in the tenant. */
  async function inputOf(event: HttpEvent, tenantId: string): Promise<ReportScheduleInput> {
    const input = parseOrThrow(reportScheduleInputSchema, deps.body(event));
    const chainId = input.recipients.chainId;
    if (chainId !== undefined && !(await deps.store.getChain(tenantId, chainId)))
      throw new UnprocessableError(
        `recipients.chainId: no escalation chain ${chainId}`,
        'recipients.chainId',
      );
    return input;
  }

  async function mustGet(tenantId: string, scheduleId: string) {
    const schedule = await tenants.getEntity('report-schedule', tenantId, scheduleId);
    if (!schedule) throw new NotFoundError('no such report schedule', 'scheduleId');
    return schedule;
  }

  return {
    'POST /v1/report-schedules': async (event) => {
      const principal = await deps.principalFor(event, true);
      const input = await inputOf(event, principal.tenantId);
      const existing = await tenants.listEntities('report-schedule', principal.tenantId, {
        limit: MAX_REPORT_SCHEDULES,
      });
      if (existing.items.length >= MAX_REPORT_SCHEDULES)
        throw new UnprocessableError(
          `a tenant keeps at most ${MAX_REPORT_SCHEDULES} report schedules (MAX_REPORT_SCHEDULES); delete one first`,
          'body',
        );
      const stored = await emailRecipients.saveNaming(principal.tenantId, emailsOf(input), () =>
        tenants.createEntity('report-schedule', {
          ...input,
          tenantId: principal.tenantId,
          scheduleId: newId(),
          version: 1,
          createdAt: deps.clock.now().toISOString(),
        }),
      );
      await deps.audit(
        event,
        principal,
        'report-schedule.create',
        `report-schedule/${stored.scheduleId}`,
        undefined,
        auditImage(stored),
      );
      return withEtag(201, stored);
    },
    'GET /v1/report-schedules': async (event) => {
      const principal = await deps.principalFor(event, false);
      const query = parseOrThrow(pageQuerySchema, event.queryStringParameters ?? {});
      const page = await tenants.listEntities('report-schedule', principal.tenantId, query);
      return json(200, { ...page, items: page.items.map((s) => scheduleView(s, nowMs())) });
    },
    'GET /v1/report-schedules/{scheduleId}': async (event) => {
      const principal = await deps.principalFor(event, false);
      return withEtag(200, await mustGet(principal.tenantId, deps.param(event, 'scheduleId')));
    },
    'PUT /v1/report-schedules/{scheduleId}': async (event) => {
      const principal = await deps.principalFor(event, true);
      const scheduleId = deps.param(event, 'scheduleId');
      const expected = ifMatch(event);
      // Another tenant's schedule is a 404 before anything of the body is looked at.
      let current = await mustGet(principal.tenantId, scheduleId);
      const input = await inputOf(event, principal.tenantId);
      for (let attempt = 1; ; attempt++) {
        // A retry after a lost race replaces what the winner stored.
        if (attempt > 1) current = await mustGet(principal.tenantId, scheduleId);
        const version = current.version ?? 1;
        if (expected !== undefined && version !== expected)
          throw new ConflictError(`report schedule is at version ${version}, not ${expected}`, 'if-match');
        const at = deps.clock.now().toISOString();
        // Other periods from now on: none of the new cadence's past ones is owed (no back-fill).
        const periodsSince =
          input.cadence !== current.cadence || input.timeZone !== current.timeZone
            ? at
            : current.periodsSince;
        const next: ReportSchedule = {
          ...input,
          tenantId: principal.tenantId,
          scheduleId,
          version,
          createdAt: current.createdAt,
          updatedAt: at,
          ...(periodsSince ? { periodsSince } : {}),
        };
        const added = emailsOf(input).filter((address) => !emailsOf(current).includes(address));
        let stored: ReportSchedule;
        try {
          stored = await emailRecipients.saveNaming(principal.tenantId, added, () =>
            tenants.updateEntity('report-schedule', next, version),
          );
        } catch (error) {
          // Without If-Match the whole body replaces whatever is there: a lost race is retried.
          if (!(error instanceof ConflictError) || expected !== undefined || attempt >= MAX_UPDATE_ATTEMPTS)
            throw error;
          continue;
        }
        await emailRecipients.unsubscribeUnused(principal.tenantId, emailsOf(current));
        await deps.audit(
          event,
          principal,
          'report-schedule.update',
          `report-schedule/${scheduleId}`,
          auditImage(current),
          auditImage(stored),
        );
        return withEtag(200, stored);
      }
    },
    'DELETE /v1/report-schedules/{scheduleId}': async (event) => {
      const principal = await deps.principalFor(event, true);
      const scheduleId = deps.param(event, 'scheduleId');
      await mustGet(principal.tenantId, scheduleId);
      const removed = await tenants.deleteEntity(
        'report-schedule',
        principal.tenantId,
        scheduleId,
        ifMatch(event),
      );
      await emailRecipients.unsubscribeUnused(principal.tenantId, emailsOf(removed));
      await deps.audit(
        event,
        principal,
        'report-schedule.delete',
        `report-schedule/${scheduleId}`,
        auditImage(removed),
      );
      return { statusCode: 204, headers: {}, body: '' };
    },
  };
}

const scheduleDocView = z.looseObject({
  scheduleId: z.string(),
  name: z.string(),
  report: z.record(z.string(), z.unknown()),
  cadence: z.enum(REPORT_CADENCES),
  timeZone: z.string(),
  recipients: z.object({ emails: z.optional(z.array(z.string())), chainId: z.optional(z.string()) }),
  currentPeriod: z
    .object({ from: z.string(), to: z.string() })
    .check(z.describe('the period being collected now; its report is e-mailed after `to`')),
  version: z.number().check(z.int(), z.describe('Send it back in If-Match to replace only this version')),
  periodsSince: z.optional(
    z.string().check(z.describe('when cadence or time zone last changed: no earlier period is sent')),
  ),
  createdAt: z.string(),
  updatedAt: z.optional(z.string()),
});
const read = { auth: 'tenant', permission: 'alerts:read' } as const;
const write = { auth: 'tenant', permission: 'alerts:write' } as const;
const errors = { 401: null, 403: null, 404: null, 422: null } as const;
const schedulePath = '/v1/report-schedules/{scheduleId}';
/** A new address that SNS would not subscribe: nothing stored, retry. */
const unsubscribable = { 503: null } as const;

/** The routes as /openapi.json describes them (part of ALERTS_OPERATIONS). */
export const REPORT_SCHEDULE_OPERATIONS: readonly OperationDoc[] = [
  {
    method: 'POST',
    path: '/v1/report-schedules',
    summary: `Schedule an SLA report, e-mailed weekly or monthly (at most ${MAX_REPORT_SCHEDULES} a tenant)`,
    ...write,
    body: reportScheduleInputSchema,
    responses: { 201: scheduleDocView, ...errors, ...unsubscribable },
  },
  {
    method: 'GET',
    path: '/v1/report-schedules',
    summary: 'List report schedules',
    ...read,
    query: pageQuerySchema,
    responses: {
      200: z.object({ items: z.array(scheduleDocView), nextCursor: z.optional(z.string()) }),
      ...errors,
    },
  },
  {
    method: 'GET',
    path: schedulePath,
    summary: 'Get a report schedule',
    ...read,
    responses: { 200: scheduleDocView, ...errors },
  },
  {
    method: 'PUT',
    path: schedulePath,
    summary: 'Replace a report schedule (If-Match: only the version you read, else 409)',
    ...write,
    body: reportScheduleInputSchema,
    responses: { 200: scheduleDocView, 409: null, ...errors, ...unsubscribable },
  },
  {
    method: 'DELETE',
    path: schedulePath,
    summary: 'Delete a report schedule (If-Match: only the version you read, else 409)',
    ...write,
    responses: { 204: null, 409: null, ...errors },
  },
];
