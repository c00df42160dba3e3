/**
 * Scheduled downtime routes: schedule, list, change (PATCH, a merge patch checked whole, conditional
 * on the version read: If-Match names it, else the one this request read) and delete. Every change is
 * audited with the downtime before and after.
 */
import { randomBytes } from 'node:crypto';
import {
  type Downtime,
  downtimeInputSchema,
  downtimePatchSchema,
  mergeDowntimePatch,
  upcomingWindows,
} from '#domain/alerting/downtime';
import { ConflictError, NotFoundError } from '#domain/errors';
import { parseOrThrow } from '#domain/validation';
import type { Principal } from '#http/auth';
import type { Route } from '#http/handler';
import { json } from '#http/response';
import type { HttpEvent } from '#http/types';
import type { AlertStore, StoredDowntime } from '#ports/alert-store';
import type { Clock } from '#ports/clock';
import { ifMatch } from '../api/operation';
import type { AuditChange } from './route-helpers';

export const DOWNTIME_ROUTES = [
  'POST /v1/downtimes',
  'GET /v1/downtimes',
  'PATCH /v1/downtimes/{downtimeId}',
  'DELETE /v1/downtimes/{downtimeId}',
] as const;

const iso = (ms: number) => new Date(ms).toISOString();

/** A downtime as the API shows it, with its next windows (the open one first) in UTC. */
const downtimeView = (downtime: StoredDowntime, nowMs: number) => {
  const { tenantId: _t, startsAt, endsAt, ...d } = downtime;
  return {
    ...d,
    startsAt: iso(startsAt),
    ...(endsAt !== undefined ? { endsAt: iso(endsAt) } : {}),
    nextWindows: upcomingWindows(downtime, nowMs, 5).map((w) => ({
      startsAt: iso(w.startsAt),
      endsAt: iso(w.endsAt),
    })),
  };
};

/** The stored downtime of a validated input body. */
function downtimeOf(
  input: ReturnType<typeof downtimeInputSchema.parse>,
  ids: { tenantId: string; downtimeId: string; createdAt: string; updatedAt?: string },
): Downtime {
  return {
    tenantId: ids.tenantId,
    downtimeId: ids.downtimeId,
    name: input.name,
    startsAt: input.startsAt,
    ...(input.endsAt !== undefined ? { endsAt: input.endsAt } : {}),
    ...(input.recurrence ? { recurrence: input.recurrence } : {}),
    ...(input.resources ? { resources: input.resources } : {}),
    ...(input.groups ? { groups: input.groups } : {}),
    ...(input.datasources ? { datasources: input.datasources } : {}),
    ...(input.collectors ? { collectors: input.collectors } : {}),
    ...(input.filters ? { filters: input.filters } : {}),
    ...(input.ruleIds ? { ruleIds: input.ruleIds } : {}),
    ...(input.reason ? { reason: input.reason } : {}),
    createdAt: ids.createdAt,
    ...(ids.updatedAt ? { updatedAt: ids.updatedAt } : {}),
  };
}

export function downtimeRoutes(deps: {
  store: AlertStore;
  clock: Clock;
  principalFor: (event: HttpEvent, write: boolean) => Promise<Principal>;
  body: (event: HttpEvent) => unknown;
  param: (event: HttpEvent, name: string) => string;
  audit: AuditChange;
}): Record<(typeof DOWNTIME_ROUTES)[number], Route> {
  const { store } = deps;
  const now = () => deps.clock.now().getTime();
  const withEtag = (status: number, downtime: StoredDowntime) =>
    json(status, downtimeView(downtime, now()), { etag: `"${downtime.version}"` });

  return {
    'POST /v1/downtimes': async (event) => {
      const principal = await deps.principalFor(event, true);
      const input = parseOrThrow(downtimeInputSchema, deps.body(event));
      const downtime = downtimeOf(input, {
        tenantId: principal.tenantId,
        downtimeId: randomBytes(12).toString('hex'),
        createdAt: deps.clock.now().toISOString(),
      });
      await store.putDowntime(downtime);
      const stored = { ...downtime, version: 1 };
      await deps.audit(
        event,
        principal,
        'downtime.create',
        `downtime/${downtime.downtimeId}`,
        undefined,
        downtimeView(stored, now()),
      );
      return withEtag(201, stored);
    },
    'GET /v1/downtimes': async (event) => {
      const principal = await deps.principalFor(event, false);
      const downtimes = await store.listDowntimes(principal.tenantId);
      return json(200, { downtimes: downtimes.map((d) => downtimeView(d, now())) });
    },
    'PATCH /v1/downtimes/{downtimeId}': async (event) => {
      const principal = await deps.principalFor(event, true);
      const downtimeId = deps.param(event, 'downtimeId');
      const expected = ifMatch(event);
      const patch = parseOrThrow(downtimePatchSchema, deps.body(event));
      const existing = await store.getDowntime(principal.tenantId, downtimeId);
      if (!existing) throw new NotFoundError('no such downtime', 'downtimeId');
      const changedSince = () =>
        new ConflictError(`downtime is at a newer version than ${expected ?? existing.version}`, 'if-match');
      if (expected !== undefined && expected !== existing.version) throw changedSince();
      const input = parseOrThrow(downtimeInputSchema, mergeDowntimePatch(existing, patch));
      const changed = downtimeOf(input, {
        tenantId: principal.tenantId,
        downtimeId,
        createdAt: existing.createdAt,
        updatedAt: deps.clock.now().toISOString(),
      });
      // Conditional on the version read: a change made in between is never overwritten unseen.
      if (!(await store.replaceDowntime(changed, existing.version))) throw changedSince();
      const stored = { ...changed, version: existing.version + 1 };
      await deps.audit(
        event,
        principal,
        'downtime.update',
        `downtime/${downtimeId}`,
        downtimeView(existing, now()),
        downtimeView(stored, now()),
      );
      return withEtag(200, stored);
    },
    'DELETE /v1/downtimes/{downtimeId}': async (event) => {
      const principal = await deps.principalFor(event, true);
      const downtimeId = deps.param(event, 'downtimeId');
      if (!(await store.deleteDowntime(principal.tenantId, downtimeId)))
        throw new NotFoundError('no such downtime', 'downtimeId');
      await deps.audit(event, principal, 'downtime.delete', `downtime/${downtimeId}`);
      return { statusCode: 204, headers: {}, body: '' };
    },
  };
}
