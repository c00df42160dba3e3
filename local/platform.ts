/**
 * The local platform: the same Lambda handlers as in AWS, on local adapters, behind a node:http server.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { ReportLinks } from '#adapters/crypto/report-links';
import {
  CognitoError,
  LOCAL_CONSOLE_CLIENT_ID,
  LocalConsoleIdentity,
} from '#adapters/local/console-identity';
import { FileArchiveStore } from '#adapters/local/file-archive-store';
import { FileLinkKey } from '#adapters/local/file-link-key';
import { InProcessNoticeFanout } from '#adapters/local/in-process-notice-fanout';
import { InProcessOffboardingQueue } from '#adapters/local/in-process-offboarding-queue';
import { LocalKeyService } from '#adapters/local/local-key-service';
import { LocalReportFiles } from '#adapters/local/report-files';
import { SpillDirectory, startSpillReplay } from '#adapters/local/spill-directory';
import { truncateWriteAheadLogs } from '#adapters/local/sqlite';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { sqliteGuardrailStores } from '#adapters/local/sqlite-guardrails';
import { SqliteLogStore } from '#adapters/local/sqlite-log-store';
import { SqliteMetricMetadata } from '#adapters/local/sqlite-metric-metadata';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { SpillingMetricStore } from '#adapters/spill/spilling-metric-store';
import { hashSecret } from '#domain/credentials';
import { DomainError } from '#domain/errors';
import { parseMetricQuery } from '#domain/query';
import type { QueryLimits } from '#domain/query-limits';
import { type RegionEndpoints, type RegionSettings, regionSettingsFromEnv } from '#domain/region';
import { authenticateProviderAudited, configureAuth } from '#http/auth';
import { errorResult, json } from '#http/response';
import { type FunctionName, matchPath, ROUTES } from '#http/routes';
import type { HttpHandler } from '#http/types';
import { createIngestGuard } from '#ingest/guard';
import type { AuthFailureCount } from '#ports/audit-log';
import type { Clock } from '#ports/clock';
import { systemClock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { TenantDataHolder } from '#ports/tenant-data';
import { type AdminDeps, createAdminHandler, createNoticeFanoutWorker } from '../functions/admin/app';
import { backendRuleExpressions, RULE_QUERY_LIMITS } from '../functions/alert-evaluator/rule-expressions';
import { createApiHandler } from '../functions/api/app';
import { createIngestHandler } from '../functions/ingest/app';
import { createLimitsHandler } from '../functions/limits/app';
import { sweepLogRetention } from '../functions/log-retention/sweep';
import { runOffboardingPart } from '../functions/offboarding/job';
import { createQueryHandler } from '../functions/query/app';
import { promqlEngine } from '../functions/query/promql';
import { regionBackend } from '../functions/query/region-backend';
import { refusalSettler } from '../functions/replay/app';
import { type LocalAlerting, type LocalAlertingOptions, startLocalAlerting } from './alerting';
import { consoleSite, DEFAULT_CONSOLE_DIR } from './console-site';
import {
  lambdaContext,
  RequestTooLargeError,
  readRequestBody,
  toApiGatewayEvent,
  writeResult,
} from './http-adapter';
import { PlatformMetrics } from './platform-metrics';
import {
  type LocalReportScheduleOptions,
  type LocalReportSchedules,
  startLocalReportSchedules,
} from './report-schedules';
import {
  type LocalWebsiteCheckOptions,
  type LocalWebsiteChecks,
  startLocalWebsiteChecks,
} from './website-checks';

export interface PlatformOptions {
  readonly port?: number;
  readonly host?: string;
  readonly dataDir: string;
  /** When absent, one is generated on first start and kept under dataDir. */
  readonly providerAdminToken?: string;
  readonly clock?: Clock;
  /**
   * The metric store to use instead of the embedded SQLite one, e.g. the AMP adapter on a local
   * Prometheus (`npm start` with METRIC_STORE=prometheus: shared/adapters/aws/amp-prometheus.ts).
   */
  readonly metricStore?: MetricStore;
  /** Fault injection for tests: wraps the audit log (e.g. a throttled partition). */
  readonly wrapAudit?: (audit: SqliteAuditLog) => SqliteAuditLog;
  /** Fault injection for tests (test/faults): wraps the embedded metric store. */
  readonly wrapMetricStore?: (store: MetricStore) => MetricStore;
  /** Query limits of the Prometheus API (functions/query), e.g. small ones in tests. */
  readonly queryLimits?: Partial<QueryLimits>;
  /** Query limits of PromQL alert rules' evaluation (default RULE_QUERY_LIMITS). */
  readonly ruleQueryLimits?: Partial<QueryLimits>;
  /** How often parked batches under DATA_DIR/spill are replayed (default 1 s). */
  readonly spillReplayIntervalMs?: number;
  /** Alert evaluator timer (0: off, tests tick by hand), engine limits, webhook retry settings. */
  readonly alerting?: Pick<
    LocalAlertingOptions,
    'tickIntervalMs' | 'limits' | 'webhook' | 'emailSubscriptions'
  >;
  /** The built console (default web/dist). */
  readonly consoleDir?: string;
  /**
   * The region this platform serves (default REGION env, else us-west-2), the default home of new
   * tenants, and the other regions' endpoints (its own defaults to its URL). Tenants homed elsewhere
   * get 421 (shared/domain/region.ts).
   */
  readonly region?: string;
  readonly defaultHomeRegion?: string;
  readonly regionEndpoints?: Readonly<Record<string, RegionEndpoints>>;
  /**
   * Where the metadata lives (tenants, alert state, notification claims), default dataDir: two local
   * platforms given the same directory are two regions over one global table.
   */
  readonly metadataDir?: string;
  /** The platform's website checks: locations, timer (0: off, tests run passes), loopback sites. */
  readonly websiteChecks?: LocalWebsiteCheckOptions;
  /** Scheduled SLA reports: timer (hourly, first pass 1 min after start; 0: off, tests run passes). */
  readonly reportSchedules?: LocalReportScheduleOptions;
}

export interface RunningPlatform {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  readonly providerAdminToken: string;
  /** True when this start generated the token. */
  readonly tokenGenerated: boolean;
  readonly alerting: LocalAlerting;
  readonly websiteChecks: LocalWebsiteChecks;
  /** Scheduled SLA reports (e-mails in DATA_DIR/notifications-outbox.jsonl, PDFs in DATA_DIR/reports). */
  readonly reportSchedules: LocalReportSchedules;
  /** The provider's operational metrics (EMF + request metrics), as the provider view reads them. */
  readonly platformMetrics: PlatformMetrics;
  /** Scheduled reports' PDFs under DATA_DIR/reports, linked through this platform's API. */
  readonly reports: { readonly files: LocalReportFiles; readonly links: ReportLinks };
  /** The region this platform serves and the endpoints it knows. */
  readonly region: RegionSettings;
  /** Failed authentications naming no tenant, counted per source and minute (the last `minutes`). */
  authFailures(minutes?: number): Promise<AuthFailureCount[]>;
  /** Resolves when every queued offboarding part has run (tests). */
  offboardingIdle(): Promise<void>;
  /** Resolves when every security notice's fan-out has run to its end (tests). */
  noticeFanoutIdle(): Promise<void>;
  close(): Promise<void>;
}

const TOKEN_FILE = 'provider-admin-token';

function providerToken(dataDir: string, fromEnv: string | undefined): { token: string; generated: boolean } {
  if (fromEnv) return { token: fromEnv, generated: false };
  const file = join(dataDir, TOKEN_FILE);
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), generated: false };
  const token = `obs_provider_${randomBytes(32).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { token, generated: true };
}

export async function startPlatform(options: PlatformOptions): Promise<RunningPlatform> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const { token, generated } = providerToken(dataDir, options.providerAdminToken);
  const clock = options.clock ?? systemClock;
  const metadataDir = resolve(options.metadataDir ?? dataDir);
  const tenants = new SqliteTenantStore(join(metadataDir, 'tenants.sqlite'));
  const fromEnv = regionSettingsFromEnv(process.env);
  const serving = options.region ?? fromEnv.region;
  // Filled in with this platform's own URL once it listens (requests come after that).
  const endpoints: Record<string, RegionEndpoints> = { ...fromEnv.endpoints, ...options.regionEndpoints };
  const region: RegionSettings = {
    region: serving,
    defaultHomeRegion: options.defaultHomeRegion ?? (options.region ? serving : fromEnv.defaultHomeRegion),
    endpoints,
  };
  // Security: per-tenant key files under DATA_DIR/keys, the audit log, offboarding archives.
  const keys = new LocalKeyService(dataDir, clock);
  // The audit log is in the metadata table in AWS: failovers and audits of every region in one trail.
  const sqliteAudit = new SqliteAuditLog(join(metadataDir, 'audit.sqlite'));
  const audit = options.wrapAudit?.(sqliteAudit) ?? sqliteAudit;
  const archives = new FileArchiveStore(dataDir);
  // Console sign-in: the embedded twin of the Cognito user pool (same protocol, same token shape).
  const consoleIdentity = await LocalConsoleIdentity.open({
    path: join(dataDir, 'console-identity.sqlite'),
    keyPath: join(dataDir, 'console-signing-key.jwk'),
    audit,
    clock,
    keys,
  });
  configureAuth(tenants, { audit, clock, consoleTokens: consoleIdentity, region });
  const site = consoleSite(
    { authEndpoint: CONSOLE_AUTH_PATH, clientId: LOCAL_CONSOLE_CLIENT_ID, apiBase: '' },
    options.consoleDir ?? DEFAULT_CONSOLE_DIR,
  );
  const sqliteMetrics = options.metricStore
    ? undefined
    : new SqliteMetricStore(join(dataDir, 'metrics.sqlite'));
  const baseMetrics = options.metricStore ?? (sqliteMetrics as SqliteMetricStore);
  const metrics = options.wrapMetricStore?.(baseMetrics) ?? baseMetrics;
  // Ingest parks accepted batches on a durable on-disk spill while the store is down; a timer replays them.
  const spill = new SpillDirectory(join(dataDir, 'spill'));
  const tokenHash = hashSecret(token);
  // Ingest guardrails: limits, token buckets, active series, HA leaders, idempotency, usage.
  const guardrails = sqliteGuardrailStores(join(dataDir, 'guardrails.sqlite'));
  // Metric metadata (type, help, unit) senders send; the PromQL API's /api/v1/metadata reads it.
  const metricMetadata = new SqliteMetricMetadata(join(dataDir, 'metric-metadata.sqlite'));
  // The functions' EMF metrics and the server's request metrics, for the provider view.
  const platformMetricStore = new SqliteMetricStore(join(dataDir, 'platform-metrics.sqlite'));
  const platformMetrics = new PlatformMetrics(platformMetricStore, () => clock.now().getTime());
  const ingestObservability = platformMetrics.observability('ingest');
  // Logs: SQLite FTS5, one table per tenant (docs/logs.md).
  const logs = new SqliteLogStore(join(dataDir, 'logs.sqlite'));
  // PromQL rules read through the query API's backend: the same engine, selector port and limits.
  const expressions = backendRuleExpressions(regionBackend(baseMetrics, promqlEngine), {
    ...RULE_QUERY_LIMITS,
    ...options.ruleQueryLimits,
  });
  // Scheduled reports' links point at this region's API (its own URL once it listens), signed with
  // a key file of the data directory (KMS HMAC on AWS).
  const reportLinks = new ReportLinks(
    new FileLinkKey(join(dataDir, 'report-link.key')),
    () => endpoints[serving]?.api ?? '',
  );
  const reports = {
    files: new LocalReportFiles(join(dataDir, 'reports'), reportLinks, clock),
    links: reportLinks,
  };
  const alerting = startLocalAlerting({
    reports,
    dataDir,
    metadataDir,
    region,
    tenants,
    metrics,
    expressions,
    logs,
    audit,
    clock,
    keys,
    observability: (functionName) => platformMetrics.observability(functionName),
    ...options.alerting,
  });
  // The daily log retention sweep's twin (functions/log-retention): hourly here, unbounded store.
  const logRetention = setInterval(
    () =>
      void sweepLogRetention({
        tenants,
        limits: guardrails.limits,
        logs,
        clock,
        storeRetentionDays: Number.POSITIVE_INFINITY,
        budget: 100_000,
      }).catch((error) => console.error('log retention sweep failed', error)),
    3_600_000,
  );
  logRetention.unref();
  const websiteChecks = startLocalWebsiteChecks(
    { tenants, metrics, alerts: alerting.store, clock, region },
    {
      allowLoopback: options.alerting?.webhook?.allowLoopback === true,
      ...(options.alerting?.tickIntervalMs === 0 ? { intervalMs: 0 } : {}),
      ...options.websiteChecks,
    },
  );
  // The report scheduler's twin (functions/report-scheduler): the same runner on an hourly timer.
  const reportSchedules = startLocalReportSchedules(
    {
      tenants,
      alerts: alerting.store,
      metrics,
      ledger: alerting.ledger,
      sender: alerting.notices.sender,
      files: reports.files,
      clock,
      region,
    },
    {
      ...(options.alerting?.tickIntervalMs === 0 ? { intervalMs: 0 } : {}),
      ...options.reportSchedules,
    },
  );
  // The replay Lambda's twin: samples refused for now are parked again, refused for good dead-lettered.
  const replayObservability = platformMetrics.observability('replay');
  const spillReplay = startSpillReplay(
    spill,
    metrics,
    tenants,
    options.spillReplayIntervalMs ?? 1000,
    replayObservability,
    refusalSettler({
      spill,
      deadLetters: alerting.deadLetters,
      now: () => clock.now().getTime(),
      maxReplays: 5,
      onDeadLettered: (count, details) => {
        replayObservability.metrics.addMetric(METRIC.spillReplayDeadLetteredSamples, MetricUnit.Count, count);
        replayObservability.logger.error('store refused spilled samples for good; dead-lettered', details);
      },
    }),
  );

  // Offboarding jobs run in this process, through the same worker code as the SQS-driven Lambda.
  const offboardingWorker = {
    region: region.region,
    tenants,
    audit,
    clock,
    keys,
    archives,
    emailRecipients: { references: alerting.store },
    global: [
      tenants,
      audit,
      alerting.store,
      alerting.ledger,
      alerting.deadLetters,
      alerting.notices.store,
      metricMetadata,
    ],
    regional: [
      logs,
      // Parked batches before the store: the purge waits for a running replay, then the store's
      // erasure removes whatever that replay wrote.
      spill,
      ...(isTenantDataHolder(baseMetrics) ? [baseMetrics] : []),
      ...guardrails.holders,
      reports.files,
    ],
  };
  const offboardingQueue = new InProcessOffboardingQueue(
    () => async (message) => {
      await runOffboardingPart(offboardingWorker, message);
      // The part erased the tenant's rows (secure_delete overwrote them); the write-ahead logs
      // still hold the pages from before until they are checkpointed and truncated.
      truncateWriteAheadLogs();
    },
    { onError: (error) => console.error('offboarding part failed; retrying', error) },
  );

  // A security notice's fan-out past one run's tenants goes on in the background, through the same
  // code as the admin function's asynchronous self-invocation on AWS.
  const noticeFanout = new InProcessNoticeFanout(
    () => noticeFanoutWorker,
    (error) => console.error('notice fan-out run failed; retrying', error),
  );
  const adminDeps: AdminDeps = {
    tenants,
    providerTokenHash: async () => tokenHash,
    clock,
    observability: platformMetrics.observability('admin'),
    keys,
    audit,
    archives,
    consoleTokens: consoleIdentity,
    consoleUsers: consoleIdentity,
    metrics,
    alerts: alerting.store,
    notices: { ...alerting.notices, fanoutQueue: noticeFanout },
    region,
    offboarding: { queue: offboardingQueue, region: region.region, regions: [region.region] },
  };
  const noticeFanoutWorker = createNoticeFanoutWorker(adminDeps);
  const handlers: Record<FunctionName, HttpHandler> = {
    admin: createAdminHandler(adminDeps),
    api: createApiHandler({
      tenants,
      metrics,
      keys,
      audit,
      clock,
      observability: platformMetrics.observability('api'),
      consoleUsers: consoleIdentity,
      logs,
      alerts: alerting.store,
      region,
      onCollectorUp: alerting.onCollectorUp,
    }),
    limits: createLimitsHandler({
      ...guardrails,
      tenants,
      providerTokenHash: async () => tokenHash,
      clock,
      observability: platformMetrics.observability('limits'),
      audit,
    }),
    ingest: createIngestHandler({
      tenants,
      metrics: new SpillingMetricStore(metrics, spill),
      clock,
      observability: ingestObservability,
      guard: createIngestGuard({
        ...guardrails,
        clock,
        observability: ingestObservability,
        onLimitUsage: alerting.onLimitUsage,
      }),
      afterWrite: alerting.afterWrite,
      resources: alerting.resources,
      metadata: metricMetadata,
      logs,
    }),
    alerts: alerting.handler,
    query: createQueryHandler({
      tenants,
      // The store itself, not its fault-injection wrapper: reads go where the samples are.
      backend: regionBackend(baseMetrics, promqlEngine),
      leases: guardrails.queryLeases,
      engine: promqlEngine,
      metadata: metricMetadata,
      ...(options.queryLimits ? { limits: options.queryLimits } : {}),
      clock,
      observability: platformMetrics.observability('query'),
    }),
  };

  const server: Server = createServer(async (req, res) => {
    const startedAt = performance.now();
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method === 'GET' && url.pathname === '/healthz')
        return writeResult(res, json(200, { status: 'ok' }));
      if (req.method === 'POST' && url.pathname === CONSOLE_AUTH_PATH) {
        const input = await readRequestBody(req, 64 * 1024);
        return writeResult(
          res,
          await cognitoCall(consoleIdentity, req.headers['x-amz-target'], input, req.socket.remoteAddress),
        );
      }
      if (site.serve(req.method ?? 'GET', url.pathname, res)) return;
      if (req.method === 'GET' && url.pathname === PLATFORM_METRICS_PATH) {
        const event = toApiGatewayEvent(req, url, Buffer.alloc(0), PLATFORM_METRICS_PATH, {});
        try {
          await authenticateProviderAudited(event, tokenHash, audit, clock, consoleIdentity);
          const query = parseMetricQuery({ ...(event.queryStringParameters ?? {}) });
          return writeResult(res, json(200, { series: await platformMetrics.query(query) }));
        } catch (error) {
          if (error instanceof DomainError) return writeResult(res, errorResult(error));
          throw error;
        }
      }
      const candidates = ROUTES.map((route) => ({
        route,
        params: matchPath(route.path, url.pathname),
      })).filter((c) => c.params !== undefined);
      if (candidates.length === 0) {
        return writeResult(
          res,
          json(404, { error: { code: 'not_found', message: `no route ${url.pathname}` } }),
        );
      }
      const match = candidates.find((c) => c.route.method === req.method);
      if (!match) {
        return writeResult(
          res,
          json(405, { error: { code: 'method_not_allowed', message: `${req.method} is not allowed here` } }),
        );
      }
      const body = await readRequestBody(req);
      const event = toApiGatewayEvent(req, url, body, match.route.path, match.params ?? {});
      const result = await handlers[match.route.function](
        event,
        lambdaContext(match.route.function, event.requestContext.requestId),
      );
      writeResult(res, result);
      // What API Gateway publishes per API in AWS: Latency, 4XXError, 5XXError.
      platformMetrics.record('Latency', {}, performance.now() - startedAt, 'Milliseconds');
      if (result.statusCode >= 400)
        platformMetrics.record(result.statusCode >= 500 ? '5XXError' : '4XXError', {}, 1);
    } catch (error) {
      if (error instanceof RequestTooLargeError) {
        return writeResult(
          res,
          json(413, { error: { code: 'payload_too_large', message: error.message, field: 'body' } }),
        );
      }
      console.error('local server error', error);
      writeResult(res, json(500, { error: { code: 'internal', message: 'internal error' } }));
    }
  });

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  endpoints[serving] ??= { ingest: url, api: url };
  return {
    url,
    region,
    port,
    dataDir,
    providerAdminToken: token,
    tokenGenerated: generated,
    alerting,
    websiteChecks,
    reportSchedules,
    platformMetrics,
    reports,
    authFailures: (minutes = 10) => {
      const now = clock.now().getTime();
      const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
      return audit.authFailures(minute(now - minutes * 60_000), minute(now));
    },
    offboardingIdle: () => offboardingQueue.idle(),
    noticeFanoutIdle: () => noticeFanout.idle(),
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections();
      await offboardingQueue.close();
      await noticeFanout.close();
      await platformMetrics.close();
      platformMetricStore.close();
      await spillReplay.stop();
      websiteChecks.close();
      clearInterval(logRetention);
      await reportSchedules.close();
      await alerting.close();
      tenants.close();
      guardrails.close();
      metricMetadata.close();
      logs.close();
      sqliteAudit.close();
      consoleIdentity.close();
      sqliteMetrics?.close();
    },
  };
}

/** The provider view's metrics, local only (in AWS the provider's CloudWatch dashboard shows them). */
const PLATFORM_METRICS_PATH = '/admin/v1/platform-metrics/query';

/** Where the console signs in locally (in AWS: the Cognito user pool's endpoint). */
const CONSOLE_AUTH_PATH = '/console-auth';

/** One call of Cognito's JSON protocol on the local twin: 200 with the answer, 400 `{__type, message}`. */
async function cognitoCall(
  identity: LocalConsoleIdentity,
  target: string | string[] | undefined,
  body: Buffer,
  sourceIp: string | undefined,
) {
  const answer = (status: number, payload: unknown) => ({
    ...json(status, payload),
    headers: { 'content-type': 'application/x-amz-json-1.1', 'cache-control': 'no-store' },
  });
  try {
    const action = String(target ?? '').replace(/^AWSCognitoIdentityProviderService\./, '');
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      throw new CognitoError('InvalidParameterException', 'the body must be JSON');
    }
    return answer(200, await identity.call(action, input, sourceIp));
  } catch (error) {
    if (error instanceof CognitoError) return answer(400, { __type: error.type, message: error.message });
    throw error;
  }
}

const isTenantDataHolder = (store: unknown): store is TenantDataHolder =>
  typeof (store as TenantDataHolder).exportTenant === 'function' &&
  typeof (store as TenantDataHolder).deleteTenant === 'function';
