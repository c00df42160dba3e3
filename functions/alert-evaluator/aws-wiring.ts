import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { awsAlertBus, awsAlertStore, awsDeadLetterStore } from '#adapters/aws/eventbridge-alert-wiring';
import { awsRegionSettings, awsTenantStore, regionMetricStore } from '#adapters/aws/wiring';
import { tenantOwnership } from '#adapters/tenancy/tenant-region';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import { createObservability, type Observability } from '#http/handler';
import { systemClock } from '#ports/clock';
import type { LogStore } from '#ports/log-store';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { ResourceDirectory } from '#ports/resource-directory';
import type { RuleExpressions } from '#ports/rule-expressions';
import type { TenantStore } from '#ports/tenant-store';
import { AlertEngine } from './engine';
import { TenantStoreTopology } from './topology';

/** The alert engine on AWS adapters (DynamoDB alert store, EventBridge bus, the region's metric store). */
export function awsAlertEngine(
  deps: {
    tenants?: TenantStore;
    metrics?: MetricStore;
    /** The calling function's resource directory (ingest shares its cache with push linking). */
    resources?: ResourceDirectory;
    /** PromQL rules' evaluation: wired by the scheduled evaluator, the only caller that evaluates them. */
    expressions?: RuleExpressions;
    /** Log rules' counts (the scheduled evaluator, bound to the region's log store for search). */
    logs?: Pick<LogStore, 'search'>;
    /** The calling function's logger and metrics (outbox warnings and AlertEventsPending). */
    observability?: Pick<Observability, 'logger' | 'metrics'>;
  } = {},
): AlertEngine {
  const { logger, metrics } = deps.observability ?? createObservability('alert-engine');
  const tenants = deps.tenants ?? awsTenantStore();
  const resources = deps.resources ?? new TenantResourceDirectory(tenants);
  return new AlertEngine({
    store: awsAlertStore(),
    metrics: deps.metrics ?? regionMetricStore(),
    ...(deps.expressions ? { expressions: deps.expressions } : {}),
    ...(deps.logs ? { logs: deps.logs } : {}),
    bus: awsAlertBus(),
    topology: new TenantStoreTopology(resources),
    resources,
    clock: systemClock,
    log: (message, fields) => logger.warn(message, fields),
    // Only the tenant's home region evaluates and escalates it (the global table has every tenant).
    owns: tenantOwnership(tenants, awsRegionSettings()),
    // A single metric is flushed at once: correct inside or outside the handler's logMetrics.
    onEventsPending: (count) =>
      metrics.singleMetric().addMetric(METRIC.alertEventsPending, MetricUnit.Count, count),
    deadLetters: awsDeadLetterStore(),
    onEventsDeadLettered: (count) =>
      metrics.singleMetric().addMetric(METRIC.alertEventsDeadLettered, MetricUnit.Count, count),
  });
}
