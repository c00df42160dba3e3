/**
 * A security notice reaches every affected tenant on its own, past one run's bound: 260 tenants, 20
 * a run (pages of 10, two pages a run). Locally the rest goes on in the background loop; on AWS in
 * the admin function's own asynchronous invocations (Lambda client mocked: the exact Invoke requests
 * asserted, each replayed through the function's handler as Lambda would). Every tenant gets each
 * update exactly once, also when the provider resumes by hand while the chain is running.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, describe, expect, it } from 'vitest';
import { LambdaNoticeFanout } from '#adapters/aws/lambda-notice-fanout';
import { InProcessNoticeFanout } from '#adapters/local/in-process-notice-fanout';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { SqliteNoticeStore } from '#adapters/local/sqlite-notice-store';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { LocalNoticeSender } from '#adapters/webhook/notice-sender';
import { WebhookNotifier } from '#adapters/webhook/webhook-notifier';
import { hashSecret } from '#domain/credentials';
import { createObservability } from '#http/handler';
import type { HttpEvent, HttpResult } from '#http/types';
import type { NoticeFanoutQueue } from '#ports/notice-fanout-queue';
import {
  type AdminDeps,
  createAdminFunction,
  createAdminHandler,
  createNoticeFanoutWorker,
} from '../../functions/admin/app';
import { PAGE_TIME_RESERVE_MS } from '../../functions/admin/notices';
import { lambdaContext } from '../../local/http-adapter';
import { httpEvent } from '../fuzz/support/http-event';
import { tenantsWithNoticeEmail } from './support/tenants';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';

const TENANTS = 260;
const LIMITS = { pageSize: 10, pages: 2 };
const PROVIDER_TOKEN = 'fanout-provider-token';
const AT = '2026-12-06T12:00:00.000Z';

interface World {
  readonly deps: (queue: NoticeFanoutQueue) => AdminDeps;
  readonly tenantIds: readonly string[];
  /** Notice e-mails written so far: tenant and update (from the subject's status). */
  mails(): { tenantId: string; subject: string }[];
  noticeOf(tenantId: string, incidentId: string): Promise<{ updates: readonly unknown[] } | undefined>;
}

/** Real local stores: TENANTS active tenants, each with one e-mail notice channel. */
async function world(): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'notice-fanout-'));
  const tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
  const store = new SqliteNoticeStore(join(dir, 'notices.sqlite'));
  const outbox = join(dir, 'outbox.jsonl');
  const now = new Date(AT);
  const tenantIds = await tenantsWithNoticeEmail(tenants, store, TENANTS, AT);
  const audit = new SqliteAuditLog(join(dir, 'audit.sqlite'));
  const ledger = new SqliteNotificationLedger(join(dir, 'alerts.sqlite'));
  const sender = new LocalNoticeSender(new WebhookNotifier(), outbox);
  return {
    tenantIds,
    deps: (fanoutQueue) => ({
      tenants,
      providerTokenHash: async () => hashSecret(PROVIDER_TOKEN),
      clock: { now: () => now },
      observability: createObservability('admin'),
      audit,
      notices: { store, sender, ledger, fanoutLimits: LIMITS, fanoutQueue },
    }),
    mails: () =>
      readFileSync(outbox, 'utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { tenantId: string; subject: string }),
    noticeOf: (tenantId, incidentId) => store.getNotice(tenantId, incidentId),
  };
}

/** A provider request; `incidentId` fills the path parameter API Gateway would. */
function provider(method: string, resource: string, incidentId?: string, body?: unknown): HttpEvent {
  const event = httpEvent({
    method,
    resource,
    path: resource.replace('{incidentId}', incidentId ?? ''),
    token: PROVIDER_TOKEN,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return incidentId ? { ...event, pathParameters: { incidentId } } : event;
}
const postIncident = provider('POST', '/admin/v1/incidents', undefined, {
  title: 'Key exposure',
  text: 'Rotate keys.',
  severity: 'critical',
  tenants: 'all',
});
const postUpdate = (incidentId: string) =>
  provider('POST', '/admin/v1/incidents/{incidentId}/updates', incidentId, {
    status: 'resolved',
    text: 'Closed.',
  });
const deliver = (incidentId: string) =>
  provider('POST', '/admin/v1/incidents/{incidentId}/deliver', incidentId);
const getIncident = (incidentId: string) => provider('GET', '/admin/v1/incidents/{incidentId}', incidentId);
const context = (id: string) => lambdaContext('admin', id);

const bodyOf = (result: HttpResult | undefined, status: number) => {
  expect(result?.statusCode, result?.body).toBe(status);
  return JSON.parse(result?.body ?? '{}') as {
    incidentId: string;
    fanout: { seq: number; done: boolean; tenants: number; sent: number; failed: number };
  };
};

/** Each tenant got the update with this status exactly once. */
function expectEveryTenantOnce(w: World, status: string) {
  const mails = w.mails().filter((m) => m.subject.endsWith(`(${status})`));
  expect(mails).toHaveLength(TENANTS);
  expect(new Set(mails.map((m) => m.tenantId))).toEqual(new Set(w.tenantIds));
}

describe('notice fan-out past one run (local background loop)', () => {
  let w: World;
  let queue: InProcessNoticeFanout;
  let handler: ReturnType<typeof createAdminHandler>;
  const admin = (event: HttpEvent) => handler(event, context(event.requestContext.requestId));
  beforeAll(async () => {
    w = await world();
    let worker: ReturnType<typeof createNoticeFanoutWorker> | undefined;
    queue = new InProcessNoticeFanout(() => worker as NonNullable<typeof worker>);
    const deps = w.deps(queue);
    worker = createNoticeFanoutWorker(deps);
    handler = createAdminHandler(deps);
  });

  it('posting delivers to every tenant exactly once, a bounded run at a time', async () => {
    const posted = bodyOf(await admin(postIncident), 201);
    // The request itself did one run's worth; the background loop does the rest.
    expect(posted.fanout).toMatchObject({ done: false, tenants: 20, sent: 20 });
    // The provider resumes by hand while the chain runs: still nothing twice.
    bodyOf(await admin(deliver(posted.incidentId)), 200);
    await queue.idle();
    const done = bodyOf(await admin(getIncident(posted.incidentId)), 200);
    expect(done.fanout).toMatchObject({ seq: 0, done: true, failed: 0 });
    expectEveryTenantOnce(w, 'investigating');
    for (const tenantId of w.tenantIds)
      expect((await w.noticeOf(tenantId, posted.incidentId))?.updates).toHaveLength(1);

    const updated = bodyOf(await admin(postUpdate(posted.incidentId)), 201);
    expect(updated.fanout).toMatchObject({ seq: 1, done: false, tenants: 20 });
    await queue.idle();
    const after = bodyOf(await admin(getIncident(posted.incidentId)), 200);
    expect(after.fanout).toMatchObject({ seq: 1, done: true, tenants: TENANTS, sent: TENANTS, failed: 0 });
    expectEveryTenantOnce(w, 'resolved');
    expectEveryTenantOnce(w, 'investigating');
  });
});

describe('notice fan-out past one run (AWS: the admin function invokes itself)', () => {
  it('queues exactly one asynchronous self-invocation per remaining run, and they reach every tenant once', async () => {
    const w = await world();
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const fn = createAdminFunction(
      w.deps(new LambdaNoticeFanout(new LambdaClient({ region: 'us-west-2' }), 'obs-admin')),
    );
    const call = (event: HttpEvent) => fn(event, context(event.requestContext.requestId));
    const posted = bodyOf(await call(postIncident), 201);
    // Lambda runs each queued event; each run queues the next until the fan-out is done.
    for (let ran = 0; ran < lambda.commandCalls(InvokeCommand).length; ran++) {
      const payload = lambda.commandCalls(InvokeCommand)[ran]!.args[0].input.Payload as Uint8Array;
      expect(await fn(JSON.parse(new TextDecoder().decode(payload)), context(`r${ran}`))).toBe(undefined);
    }
    const continuation = {
      FunctionName: 'obs-admin',
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(
        JSON.stringify({ kind: 'notice-fanout', incidentId: posted.incidentId, seq: 0 }),
      ),
    };
    // 260 tenants at 20 a run: the request's run and 12 continuations reach them all; the last page
    // was full, so the store's listing had a cursor after it, and a 13th continuation finds it empty.
    expect(lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input)).toEqual(
      Array.from({ length: TENANTS / 20 }, () => continuation),
    );
    const done = bodyOf(await call(getIncident(posted.incidentId)), 200);
    expect(done.fanout).toMatchObject({ done: true, tenants: TENANTS, sent: TENANTS, failed: 0 });
    expectEveryTenantOnce(w, 'investigating');

    // A continuation Lambda delivers twice (at-least-once) or late, after the fan-out is done: nothing.
    const again = lambda.commandCalls(InvokeCommand)[0]!.args[0].input.Payload as Uint8Array;
    await fn(JSON.parse(new TextDecoder().decode(again)), context('dup'));
    expectEveryTenantOnce(w, 'investigating');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(TENANTS / 20);
    lambda.restore();
  });

  it('starts no further page with too little of the invocation left, and hands the rest on', async () => {
    const w = await world();
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const fn = createAdminFunction(
      w.deps(new LambdaNoticeFanout(new LambdaClient({ region: 'us-west-2' }), 'obs-admin')),
    );
    // 4 s left: under PAGE_TIME_RESERVE_MS after the first page, so one page of 10, not two.
    const short = { ...context('short'), getRemainingTimeInMillis: () => PAGE_TIME_RESERVE_MS - 1_000 };
    const posted = bodyOf(await fn(postIncident, short), 201);
    expect(posted.fanout).toMatchObject({ done: false, tenants: 10 });
    for (let ran = 0; ran < lambda.commandCalls(InvokeCommand).length; ran++) {
      const payload = lambda.commandCalls(InvokeCommand)[ran]!.args[0].input.Payload as Uint8Array;
      await fn(JSON.parse(new TextDecoder().decode(payload)), short);
    }
    // One page of 10 a run: the request's run and 25 continuations reach all 260; the full last page
    // leaves a cursor, so a 26th continuation finds the end.
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(TENANTS / 10);
    expectEveryTenantOnce(w, 'investigating');
    lambda.restore();
  });

  it('fails the run when Lambda does not accept the event, so its progress stays for a retry', async () => {
    const lambda = mockClient(LambdaClient);
    lambda.on(InvokeCommand).resolves({ StatusCode: 429 });
    const queue = new LambdaNoticeFanout(new LambdaClient({ region: 'us-west-2' }), 'obs-admin');
    await expect(queue.continueLater({ kind: 'notice-fanout', incidentId: 'i', seq: 0 })).rejects.toThrow(
      /not queued/,
    );
    lambda.restore();
  });
});
