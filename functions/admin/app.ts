import type { Context } from 'aws-lambda';
import { issueCredential, newId } from '#domain/credentials';
import { NotFoundError, UnprocessableError } from '#domain/errors';
import { type OffboardingJob, tenantOfJob } from '#domain/offboarding';
import { pageQuerySchema } from '#domain/pagination';
import { endpointsOf, homeRegionOf, type RegionSettings } from '#domain/region';
import { benchmarkCsvLines, benchmarkQuerySchema } from '#domain/reports/aggregates';
import { createTenantSchema, type Tenant } from '#domain/tenant';
import { parseOrThrow } from '#domain/validation';
import { authenticateProvider, authenticateProviderAudited } from '#http/auth';
import { readJson, requireMediaType } from '#http/body';
import { httpHandler, type Observability, router } from '#http/handler';
import { json } from '#http/response';
import { type HttpEvent, type HttpHandler, type HttpResult, header } from '#http/types';
import type { AlertStore } from '#ports/alert-store';
import type { ArchiveStore } from '#ports/archive-store';
import { type AuditLog, type AuditLogReader, PROVIDER_AUDIT_PARTITION } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import {
  type ConsoleTokenVerifier,
  type ConsoleUserDirectory,
  PROVIDER_GROUP,
} from '#ports/console-identity';
import type { KeyService } from '#ports/key-service';
import type { MetricStore } from '#ports/metric-store';
import { isNoticeFanoutContinuation, type NoticeFanoutContinuation } from '#ports/notice-fanout-queue';
import type { OffboardingQueue } from '#ports/offboarding-queue';
import type { TenantStore } from '#ports/tenant-store';
import { startOffboarding } from '../offboarding/job';
import { computeBenchmarks } from './benchmarks';
import {
  continueFanOut,
  type FanoutContext,
  NOTICE_ADMIN_ROUTES,
  type NoticeDeps,
  noticeAdminRoutes,
} from './notices';
import { consoleUserSchema, providerAuditQuery } from './operations';

export interface AdminDeps {
  readonly tenants: TenantStore;
  /** SHA-256 (base64url) of the provider's admin token; resolved once per cold start. */
  readonly providerTokenHash: () => Promise<string>;
  readonly clock: Clock;
  readonly observability: Observability;
  /** Creates each tenant's data key at onboarding, destroys it at offboarding. */
  readonly keys?: KeyService;
  readonly audit?: AuditLog & AuditLogReader;
  readonly archives?: ArchiveStore;
  /** Offboarding jobs: where their parts are queued, this region and every configured region. */
  readonly offboarding?: {
    readonly queue: OffboardingQueue;
    readonly region: string;
    readonly regions: readonly string[];
  };
  /** Console ID tokens of the provider's users (group `provider`) are accepted beside the admin token. */
  readonly consoleTokens?: ConsoleTokenVerifier;
  /** Where the provider's console logins are created (Cognito user pool / local twin). */
  readonly consoleUsers?: ConsoleUserDirectory;
  /** Read across tenants only for the anonymised benchmarks. */
  readonly metrics?: MetricStore;
  readonly alerts?: AlertStore;
  /** Home regions: the default for onboarding, the regions there are, their endpoints. */
  readonly region?: RegionSettings;
  /** Security-incident notices: where they are kept and how they reach tenants' channels. */
  readonly notices?: NoticeDeps;
}

const tenantView = (t: Tenant, region: RegionSettings | undefined) => ({
  tenantId: t.tenantId,
  name: t.name,
  status: t.status,
  createdAt: t.createdAt,
  ...(region ? regionView(t, region) : {}),
  ...(t.offboardedAt ? { offboardedAt: t.offboardedAt } : {}),
  version: t.version ?? 1,
});

/** The tenant's home region and the endpoints its collectors and users must use there. */
function regionView(t: Tenant, settings: RegionSettings) {
  const region = homeRegionOf(t, settings);
  const endpoints = endpointsOf(region, settings);
  return { region, ...(endpoints ? { endpoints } : {}) };
}

/** A job as the provider sees it: per region its archive and erasure proof, then the key's fate. */
export function offboardingJobView(tenantId: string, job: OffboardingJob) {
  return {
    jobId: job.jobId,
    tenantId,
    state: job.state,
    requestedAt: job.requestedAt,
    statusPath: `/admin/v1/offboarding-jobs/${job.jobId}`,
    coordinator: job.coordinator,
    regions: job.regions.map((region) => ({
      region,
      state: job.parts[region] ? 'done' : 'pending',
      ...job.parts[region],
    })),
    ...(job.key ? { key: job.key } : {}),
    ...(job.finishedAt ? { finishedAt: job.finishedAt } : {}),
  };
}

const noticeContext = (deps: AdminDeps): FanoutContext | undefined =>
  deps.notices && deps.audit
    ? { ...deps.notices, tenants: deps.tenants, audit: deps.audit, clock: deps.clock }
    : undefined;

/**
 * The admin function's second entry: a security notice's fan-out going on (its own asynchronous
 * invocation, or the local background loop). A failure is logged and thrown, so the invocation is
 * retried; the progress saved per page makes the retry go on from where it stopped.
 */
export function createNoticeFanoutWorker(
  deps: AdminDeps,
): (continuation: NoticeFanoutContinuation, context?: Context) => Promise<void> {
  const ctx = noticeContext(deps);
  return async (continuation, context) => {
    if (!ctx) throw new Error('security-incident notices are not configured here');
    try {
      await continueFanOut(ctx, continuation, context && (() => context.getRemainingTimeInMillis()));
    } catch (error) {
      deps.observability.logger.error('notice fan-out run failed', {
        incidentId: continuation.incidentId,
        seq: continuation.seq,
        error: error as Error,
      });
      throw error;
    }
  };
}

/** The Lambda's handler: API Gateway requests, and the notice fan-out's own continuations. */
export function createAdminFunction(deps: AdminDeps) {
  const http = createAdminHandler(deps);
  const fanOut = createNoticeFanoutWorker(deps);
  return async (
    event: HttpEvent | NoticeFanoutContinuation,
    context: Context,
  ): Promise<HttpResult | undefined> => {
    // Only this function's role may invoke it besides API Gateway, whose events never look like this.
    if (isNoticeFanoutContinuation(event)) {
      await fanOut(event, context);
      return undefined;
    }
    return http(event, context);
  };
}

/** The provider's API: it manages tenants and nothing inside them. */
export function createAdminHandler(deps: AdminDeps): HttpHandler {
  async function authorize(event: HttpEvent) {
    const hash = await deps.providerTokenHash();
    if (deps.audit)
      await authenticateProviderAudited(event, hash, deps.audit, deps.clock, deps.consoleTokens);
    else authenticateProvider(event, hash);
  }

  async function createTenant(event: HttpEvent) {
    await authorize(event);
    requireMediaType(event, ['application/json']);
    const { name, region: asked } = parseOrThrow(createTenantSchema, readJson(event));
    const region = asked ?? deps.region?.defaultHomeRegion;
    const known = deps.region?.regions ?? (deps.region?.endpoints && Object.keys(deps.region.endpoints));
    if (region && known && !known.includes(region))
      throw new UnprocessableError(`region ${region} is not one this platform serves`, 'region');
    const now = deps.clock.now();
    const tenantId = newId();
    const keyRef = deps.keys ? await deps.keys.createTenantKey(tenantId) : undefined;
    const tenant: Tenant = {
      tenantId,
      name,
      status: 'active',
      createdAt: now.toISOString(),
      ...(keyRef ? { keyRef } : {}),
      ...(region ? { region } : {}),
    };
    const admin = issueCredential('tenant', tenant.tenantId, now, { role: 'admin', name: 'initial admin' });
    await deps.tenants.createTenant(tenant, admin.record);
    await deps.audit?.append({
      tenantId: PROVIDER_AUDIT_PARTITION,
      at: now.toISOString(),
      action: 'tenant.create',
      actor: 'provider',
      outcome: 'success',
      target: `tenant/${tenantId}`,
      // No tenant name here: the provider trail outlives offboarding and keeps ids only.
      after: {
        tenantId,
        status: tenant.status,
        adminCredentialId: admin.record.credentialId,
        ...(region ? { region } : {}),
      },
    });
    return json(201, {
      tenantId: tenant.tenantId,
      name: tenant.name,
      adminToken: admin.token,
      ...(deps.region ? regionView(tenant, deps.region) : {}),
    });
  }

  async function listTenants(event: HttpEvent) {
    await authorize(event);
    const page = parseOrThrow(pageQuerySchema, { ...(event.queryStringParameters ?? {}) });
    const result = await deps.tenants.listTenants(page);
    return json(200, { ...result, items: result.items.map((t) => tenantView(t, deps.region)) });
  }

  async function getTenant(event: HttpEvent) {
    await authorize(event);
    const tenant = await deps.tenants.getTenant(event.pathParameters?.tenantId ?? '');
    if (!tenant) throw new NotFoundError('no such tenant');
    return json(200, tenantView(tenant, deps.region));
  }

  /** Starts (or answers again) the tenant's offboarding job: 202, the job, where to follow it. */
  async function offboard(event: HttpEvent) {
    await authorize(event);
    if (!deps.audit || !deps.offboarding) throw new Error('offboarding needs an audit log and a job queue');
    const job = await startOffboarding(
      { tenants: deps.tenants, audit: deps.audit, clock: deps.clock, ...deps.offboarding },
      event.pathParameters?.tenantId ?? '',
    );
    return json(202, offboardingJobView(event.pathParameters?.tenantId ?? '', job), {
      location: `/admin/v1/offboarding-jobs/${job.jobId}`,
    });
  }

  async function offboardingJob(event: HttpEvent) {
    await authorize(event);
    const jobId = event.pathParameters?.jobId ?? '';
    const tenantId = tenantOfJob(jobId);
    const job = tenantId ? (await deps.tenants.getTenant(tenantId))?.offboarding : undefined;
    if (!tenantId || !job || job.jobId !== jobId) throw new NotFoundError('no such offboarding job');
    return json(200, offboardingJobView(tenantId, job));
  }

  async function downloadArchive(event: HttpEvent): Promise<HttpResult> {
    await authorize(event);
    const found = await deps.archives?.download(event.pathParameters?.archiveId ?? '');
    if (!found) throw new NotFoundError('no such archive');
    if (found.kind === 'redirect')
      return { statusCode: 302, headers: { location: found.url, 'cache-control': 'no-store' }, body: '' };
    return {
      statusCode: 200,
      headers: {
        'content-type': 'application/gzip',
        'content-disposition': `attachment; filename="${event.pathParameters?.archiveId}.jsonl.gz"`,
        'cache-control': 'no-store',
      },
      body: found.body.toString('base64'),
      isBase64Encoded: true,
    };
  }

  async function providerAudit(event: HttpEvent) {
    await authorize(event);
    const { tenantId, ...page } = parseOrThrow(providerAuditQuery, {
      ...(event.queryStringParameters ?? {}),
    });
    const result = (await deps.audit?.query(PROVIDER_AUDIT_PARTITION, {}, page)) ?? { items: [] };
    const items = tenantId ? result.items.filter((e) => e.target === `tenant/${tenantId}`) : result.items;
    return json(200, { ...result, items });
  }

  async function auditProviderAction(action: string, target: string) {
    await deps.audit?.append({
      tenantId: PROVIDER_AUDIT_PARTITION,
      at: deps.clock.now().toISOString(),
      action,
      actor: 'provider',
      outcome: 'success',
      target,
    });
  }

  /** A console login for one of the provider's people: temporary password (shown once), then MFA enrolment. */
  async function inviteConsoleUser(event: HttpEvent) {
    await authorize(event);
    requireMediaType(event, ['application/json']);
    const { email } = parseOrThrow(consoleUserSchema, readJson(event));
    if (!deps.consoleUsers) throw new NotFoundError('console sign-in is not configured here');
    const invitation = await deps.consoleUsers.invite({ email, group: PROVIDER_GROUP });
    await auditProviderAction('console-user.invite', 'console-user');
    return json(201, invitation);
  }

  /** Cross-tenant benchmarks, k-anonymous: no tenant id or resource name in the answer. */
  async function benchmarks(event: HttpEvent) {
    await authorize(event);
    const query = parseOrThrow(benchmarkQuerySchema, { ...(event.queryStringParameters ?? {}) });
    const report = await computeBenchmarks(
      { tenants: deps.tenants, clock: deps.clock, metrics: deps.metrics, alerts: deps.alerts },
      query,
    );
    await auditProviderAction(
      'benchmarks.read',
      `benchmarks/${query.metric}?k=${report.k}&maxShare=${report.maxShare}&from=${report.from}&to=${report.to}`,
    );
    const csv =
      query.format === 'csv' || (!query.format && /\btext\/csv\b/.test(header(event, 'accept') ?? ''));
    if (!csv) return json(200, report);
    // API Gateway (REST) buffers a Lambda's answer whole, so streaming gains nothing here: the
    // report holds only the cells whose CSV fits MAX_BENCHMARK_CSV_BYTES (more are withheld and
    // counted), so the joined body is bounded (test/reports/benchmarks-bound.test.ts).
    let body = '';
    for (const line of benchmarkCsvLines(report)) body += line;
    return {
      statusCode: 200,
      headers: {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="benchmarks-${query.metric}.csv"`,
        'cache-control': 'no-store',
      },
      body,
    };
  }

  function noticeRoutes() {
    const ctx = noticeContext(deps);
    if (ctx) return noticeAdminRoutes(ctx, authorize);
    const unavailable = async (event: HttpEvent): Promise<HttpResult> => {
      await authorize(event);
      throw new NotFoundError('security-incident notices are not configured here');
    };
    return Object.fromEntries(NOTICE_ADMIN_ROUTES.map((route) => [route, unavailable]));
  }

  return httpHandler(
    deps.observability,
    router({
      'POST /admin/v1/console-users': inviteConsoleUser,
      'POST /admin/v1/tenants': createTenant,
      'GET /admin/v1/tenants': listTenants,
      'GET /admin/v1/tenants/{tenantId}': getTenant,
      'POST /admin/v1/tenants/{tenantId}/offboard': offboard,
      'GET /admin/v1/offboarding-jobs/{jobId}': offboardingJob,
      'GET /admin/v1/exports/{archiveId}': downloadArchive,
      'GET /admin/v1/audit-events': providerAudit,
      'GET /admin/v1/benchmarks': benchmarks,
      ...noticeRoutes(),
    }),
  );
}
