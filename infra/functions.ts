/**
 * The function registry: every HTTP-facing Lambda function, by the FunctionName that routes in
 * shared/http/routes.ts refer to, with exactly the access it needs. Adding a function is one entry
 * here (the type forces it when FunctionName grows); routes pick it up from ROUTES.
 */
import type { FunctionName } from '#http/routes';
import type { LogStoreAccess } from './constructs/log-store';
import type { MetricStoreAccess } from './constructs/metric-store';
import type { TableAccess, TenantKeyAccess } from './constructs/platform-function';

export interface FunctionSpec {
  /** Handler file, relative to the repository root, exporting `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Access to the metadata (tenant) table: sets TABLE_NAME. */
  readonly table?: TableAccess;
  /** Access to the regional ingest-state table (guardrails): sets INGEST_STATE_TABLE. */
  readonly ingestState?: TableAccess;
  /** Access to the region's metric store: sets METRIC_STORE and its location. */
  readonly metricStore?: MetricStoreAccess;
  /** The region's log store (infra/constructs/log-store.ts): sets LOG_STREAM and the rest. */
  readonly logs?: LogStoreAccess;
  /** Per-tenant KMS keys: 'use' (encrypt/decrypt) or 'manage' (also create, replicate, destroy). */
  readonly tenantKeys?: TenantKeyAccess;
  /** The offboarding archive bucket: sets ARCHIVE_BUCKET. */
  readonly archives?: 'read' | 'readWrite';
  /** Reads the provider admin token secret: sets PROVIDER_TOKEN_SECRET_ARN. */
  readonly providerToken?: boolean;
  readonly memorySize?: number;
  /** Lambda timeout (default 10 s, platform-function.ts). */
  readonly timeoutSeconds?: number;
  /** Also invoked asynchronously (by itself): failed events go to an on-failure queue. */
  readonly asyncInvocations?: boolean;
}

export const HTTP_FUNCTIONS: Readonly<Record<FunctionName, FunctionSpec>> = {
  ingest: {
    entry: 'functions/ingest/handler.ts',
    description: 'Collector ingest: authenticate ingest key, decode, validate, write datapoints',
    // Reads credentials; appends the audit event of each authentication.
    table: 'readAppendAudit',
    ingestState: 'readWrite',
    metricStore: 'write',
    logs: 'ingest',
    memorySize: 1024,
  },
  api: {
    entry: 'functions/api/handler.ts',
    description: 'Tenant API: collectors, tokens, metric queries, confidential fields',
    table: 'readWrite',
    metricStore: 'read',
    tenantKeys: 'use',
    logs: 'search',
    // Log searches are Athena queries (seconds); API Gateway's 29 s integration limit caps them.
    timeoutSeconds: 29,
  },
  admin: {
    entry: 'functions/admin/handler.ts',
    description:
      'Provider admin API: tenant onboarding, offboarding jobs (the worker erases), benchmarks, security notices',
    table: 'readWrite',
    // The anonymised benchmarks (GET /admin/v1/benchmarks) query every tenant's series: read only.
    metricStore: 'read',
    // Creates each tenant's key at onboarding (the offboarding worker destroys it); opens notice
    // channels' webhook secrets (sealed under the tenant's key) to sign security notices.
    tenantKeys: 'manage',
    // Downloads of offboarding archives (the worker writes them).
    archives: 'read',
    providerToken: true,
    // A security notice's fan-out goes on in the function's own asynchronous invocations; each run
    // stops starting pages 5 s before its timeout, which is API Gateway's 29 s integration limit.
    asyncInvocations: true,
    timeoutSeconds: 29,
  },
  alerts: {
    entry: 'functions/alerts/handler.ts',
    description: 'Alert rules, escalation chains, downtime, alert history and acknowledgement',
    table: 'readWrite',
    metricStore: 'read',
    // Seals webhook signing secrets under the tenant's key before a chain is stored.
    tenantKeys: 'use',
    // An alert's detail carries its resource's log lines (correlation).
    logs: 'search',
  },
  query: {
    entry: 'functions/query/handler.ts',
    description: 'Prometheus HTTP API: PromQL queries, series, labels (Grafana)',
    // Authenticates tenant tokens; appends the audit event of each authentication.
    table: 'readAppendAudit',
    // Per-tenant query concurrency leases, shared by every instance (max_concurrent_queries_per_tenant).
    ingestState: 'queryLeases',
    metricStore: 'read',
    // The engine holds a query's samples in memory (max_samples bounds them).
    memorySize: 1769,
    // API Gateway's 29 s integration limit caps a query anyway (the handler's query_timeout is 28 s).
    timeoutSeconds: 29,
  },
  limits: {
    entry: 'functions/limits/handler.ts',
    description: 'Tenant limits (provider) and usage (tenant)',
    table: 'readWrite',
    ingestState: 'read',
    providerToken: true,
  },
};
