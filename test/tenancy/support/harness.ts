/**
 * The customer and provider APIs in-process on either backend — SQLite (what `npm start` runs) or the
 * DynamoDB adapters on the real DynamoDB Local engine — with the local key ring and audit log of that
 * backend. Requests are API Gateway events dispatched through ROUTES, exactly as the local server
 * and API Gateway do, so every tenancy test runs against both.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbAuditLog } from '#adapters/aws/dynamodb-audit-log';
import { DynamoDbTenantStore } from '#adapters/aws/dynamodb-tenant-store';
import { FileArchiveStore } from '#adapters/local/file-archive-store';
import { InProcessOffboardingQueue } from '#adapters/local/in-process-offboarding-queue';
import { LocalKeyService } from '#adapters/local/local-key-service';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { SqliteLogStore } from '#adapters/local/sqlite-log-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { hashSecret } from '#domain/credentials';
import { configureAuth } from '#http/auth';
import { createObservability, type Observability } from '#http/handler';
import { matchPath, ROUTES } from '#http/routes';
import type { HttpEvent, HttpHandler } from '#http/types';
import type { AuditLog, AuditLogReader } from '#ports/audit-log';
import { type Clock, systemClock } from '#ports/clock';
import type { KeyService } from '#ports/key-service';
import type { LogStore } from '#ports/log-store';
import type { TenantDataHolder } from '#ports/tenant-data';
import type { TenantStore } from '#ports/tenant-store';
import { createAdminHandler } from '../../../functions/admin/app';
import { createApiHandler } from '../../../functions/api/app';
import { createIngestHandler } from '../../../functions/ingest/app';
import { runOffboardingPart } from '../../../functions/offboarding/job';
import type { DynamoDbLocal } from '../../support/dynamodb-local';

process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_TRACE_ENABLED ??= 'false';
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';

export const PROVIDER_TOKEN = 'obs_provider_harness-provider-token-0123456789abcdefghijklmnop';
export const SOURCE_IP = '198.51.100.7';

export interface CallOptions {
  token?: string;
  body?: unknown;
  rawBody?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected loosely
  body: any;
  text: string;
  headers: Record<string, string>;
}

export interface Harness {
  readonly backend: 'sqlite' | 'dynamodb';
  readonly tenants: TenantStore & TenantDataHolder;
  readonly audit: AuditLog & AuditLogReader & TenantDataHolder;
  readonly keys: LocalKeyService;
  readonly metrics: SqliteMetricStore;
  readonly dataDir: string;
  call(method: string, path: string, options?: CallOptions): Promise<CallResult>;
  onboard(name?: string): Promise<{ tenantId: string; adminToken: string }>;
  /** POST …/offboard (expects 202), waits for the in-process job, answers the job's status. */
  offboard(tenantId: string): Promise<CallResult>;
  /** Resolves when every queued offboarding part has run. */
  offboardingIdle(): Promise<void>;
  /** Every stored item of the tenant table and audit log, serialised (for secret scans). */
  storedText(): Promise<string>;
}

export interface HarnessOptions {
  clock?: Clock;
  /** Wraps the key service (fault injection). */
  wrapKeys?: (keys: LocalKeyService) => KeyService;
  cacheTtlMs?: number;
  /** Wraps the audit log (fault injection). */
  wrapAudit?: (
    audit: AuditLog & AuditLogReader & TenantDataHolder,
  ) => AuditLog & AuditLogReader & TenantDataHolder;
  /** Each function's Powertools utilities (default: createObservability, no tracer). */
  observability?: (serviceName: string) => Observability;
  /** The API's log store (default: SQLite FTS5 in the data directory). */
  logs?: LogStore;
}

export async function startHarness(
  backend: 'sqlite' | 'dynamodb',
  ddb?: DynamoDbLocal,
  options: HarnessOptions = {},
): Promise<Harness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tenancy-'));
  const clock = options.clock ?? systemClock;
  const observability = options.observability ?? createObservability;
  let tenants: TenantStore & TenantDataHolder;
  let audit: AuditLog & AuditLogReader & TenantDataHolder;
  let storedText: () => Promise<string>;
  if (backend === 'dynamodb') {
    if (!ddb) throw new Error('the dynamodb backend needs DynamoDB Local');
    const table = await ddb.createTable();
    tenants = new DynamoDbTenantStore(ddb.documentClient, table);
    audit = new DynamoDbAuditLog(ddb.documentClient, table);
    storedText = async () => {
      const items: unknown[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await ddb.documentClient.send(
          new ScanCommand({ TableName: table, ExclusiveStartKey: startKey }),
        );
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return JSON.stringify(items);
    };
  } else {
    const sqliteTenants = new SqliteTenantStore(join(dataDir, 'tenants.sqlite'));
    const sqliteAudit = new SqliteAuditLog(join(dataDir, 'audit.sqlite'));
    tenants = sqliteTenants;
    audit = sqliteAudit;
    storedText = async () => JSON.stringify([sqliteTenants.rawItems(), sqliteAudit.rawEvents()]);
  }
  if (options.wrapAudit) audit = options.wrapAudit(audit);
  const localKeys = new LocalKeyService(dataDir, clock);
  const keys = options.wrapKeys ? options.wrapKeys(localKeys) : localKeys;
  const metrics = new SqliteMetricStore(join(dataDir, 'metrics.sqlite'));
  configureAuth(tenants, {
    audit,
    clock,
    ...(options.cacheTtlMs === undefined ? {} : { cacheTtlMs: options.cacheTtlMs }),
  });
  const archives = new FileArchiveStore(dataDir);
  // Offboarding parts run in-process, through the worker code (functions/offboarding/job.ts).
  const offboardingQueue = new InProcessOffboardingQueue(
    () => (message) =>
      runOffboardingPart(
        {
          region: 'local',
          tenants,
          audit,
          clock,
          keys,
          archives,
          global: [tenants as unknown as TenantDataHolder, audit as unknown as TenantDataHolder],
          regional: [metrics],
        },
        message,
      ),
  );
  const handlers: Record<string, HttpHandler> = {
    admin: createAdminHandler({
      tenants,
      providerTokenHash: async () => hashSecret(PROVIDER_TOKEN),
      clock,
      observability: observability('admin'),
      keys,
      audit,
      archives,
      offboarding: { queue: offboardingQueue, region: 'local', regions: ['local'] },
    }),
    api: createApiHandler({
      tenants,
      metrics,
      logs: options.logs ?? new SqliteLogStore(join(dataDir, 'logs.sqlite')),
      keys,
      audit,
      clock,
      observability: observability('api'),
    }),
    ingest: createIngestHandler({ tenants, metrics, clock, observability: observability('ingest') }),
  };

  async function call(method: string, path: string, o: CallOptions = {}): Promise<CallResult> {
    const route = ROUTES.find((r) => r.method === method && matchPath(r.path, path));
    if (!route) throw new Error(`no route ${method} ${path}`);
    const handler = handlers[route.function];
    if (!handler) throw new Error(`no handler for function ${route.function}`);
    const headers: Record<string, string> = { ...(o.headers ?? {}) };
    if (o.token) headers.Authorization = `Bearer ${o.token}`;
    let body: string | null = null;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const params = matchPath(route.path, path) ?? {};
    const event = {
      resource: route.path,
      path,
      httpMethod: method,
      headers,
      multiValueHeaders: {},
      queryStringParameters: o.query && Object.keys(o.query).length > 0 ? o.query : null,
      multiValueQueryStringParameters: null,
      pathParameters: Object.keys(params).length > 0 ? params : null,
      stageVariables: null,
      body,
      isBase64Encoded: false,
      requestContext: {
        requestId: 'test',
        identity: { sourceIp: SOURCE_IP },
        httpMethod: method,
        path,
        resourcePath: route.path,
      },
    } as unknown as HttpEvent;
    const result = await handler(event, {
      functionName: route.function,
      awsRequestId: 'test',
      getRemainingTimeInMillis: () => 30_000,
    } as never);
    const text = result.isBase64Encoded ? Buffer.from(result.body, 'base64').toString('latin1') : result.body;
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    return {
      status: result.statusCode,
      body: parsed,
      text,
      headers: Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, String(v)])),
    };
  }

  return {
    backend,
    tenants,
    audit,
    keys: localKeys,
    metrics,
    dataDir,
    call,
    storedText,
    offboardingIdle: () => offboardingQueue.idle(),
    offboard: async (tenantId) => {
      const started = await call('POST', `/admin/v1/tenants/${tenantId}/offboard`, { token: PROVIDER_TOKEN });
      if (started.status !== 202) throw new Error(`offboarding refused: ${started.status} ${started.text}`);
      await offboardingQueue.idle();
      return call('GET', started.body.statusPath, { token: PROVIDER_TOKEN });
    },
    onboard: async (name = 'acme') => {
      const r = await call('POST', '/admin/v1/tenants', { token: PROVIDER_TOKEN, body: { name } });
      if (r.status !== 201) throw new Error(`onboarding failed: ${r.status} ${r.text}`);
      return r.body as { tenantId: string; adminToken: string };
    },
  };
}
