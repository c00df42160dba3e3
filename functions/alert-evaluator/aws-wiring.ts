import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { awsAlertBus, awsAlertStore, awsDeadLetterStore } from '#adapters/aws/eventbridge-alert-wiring';
import { awsTenantStore, regionMetricStore } from '#adapters/aws/wiring';
import { TenantResourceDirectory } from '#adapters/tenant-resource-directory';
import { createObservability, type Observability } from '#http/handler';
import { systemClock } from '#ports/clock';
import type { MetricStore } from '#ports/metric-store';
import { METRIC } from '#ports/operational-metrics';
import type { ResourceDirectory } from '#ports/resource-directory';
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
    /** The calling function's logger and metrics (outbox warnings and AlertEventsPending). */
    observability?: Pick<Observability, 'logger' | 'metrics'>;
  } = {},
): AlertEngine {
  const { logger, metrics } = deps.observability ?? createObservability('alert-engine');
  const resources = deps.resources ?? new TenantResourceDirectory(deps.tenants ?? awsTenantStore());
  return new AlertEngine({
    store: awsAlertStore(),
    metrics: deps.metrics ?? regionMetricStore(),
    bus: awsAlertBus(),
    topology: new TenantStoreTopology(resources),
    resources,
    clock: systemClock,
    log: (message, fields) => logger.warn(message, fields),
    // A single metric is flushed at once: correct inside or outside the handler's logMetrics.
    onEventsPending: (count) =>
      metrics.singleMetric().addMetric(METRIC.alertEventsPending, MetricUnit.Count, count),
    deadLetters: awsDeadLetterStore(),
    onEventsDeadLettered: (count) =>
      metrics.singleMetric().addMetric(METRIC.alertEventsDeadLettered, MetricUnit.Count, count),
  });
}
