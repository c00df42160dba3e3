import { awsAlertBus, awsAlertStore } from '../../shared/adapters/aws/eventbridge-alert-wiring';
import { awsTenantStore, regionMetricStore } from '../../shared/adapters/aws/wiring';
import { systemClock } from '../../shared/ports/clock';
import type { MetricStore } from '../../shared/ports/metric-store';
import type { TenantStore } from '../../shared/ports/tenant-store';
import { AlertEngine } from './engine';
import { TenantStoreTopology } from './topology';

/** The alert engine on AWS adapters (DynamoDB alert store, EventBridge bus, the region's metric store). */
export function awsAlertEngine(deps: { tenants?: TenantStore; metrics?: MetricStore } = {}): AlertEngine {
  return new AlertEngine({
    store: awsAlertStore(),
    metrics: deps.metrics ?? regionMetricStore(),
    bus: awsAlertBus(),
    topology: new TenantStoreTopology(deps.tenants ?? awsTenantStore()),
    clock: systemClock,
  });
}
