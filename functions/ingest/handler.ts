import { alertBusConfigured } from '#adapters/aws/eventbridge-alert-wiring';
import { awsIngestGuard } from '#adapters/aws/guardrails-wiring';
import { awsLogStore, awsMetricMetadata, awsMetricStore, awsTenantStore } from '#adapters/aws/wiring';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import { lambdaObservability } from '#http/tracing';
import { systemClock } from '#ports/clock';
import { awsAlertEngine } from '../alert-evaluator/aws-wiring';
import { createIngestHandler } from './app';

const observability = lambdaObservability('ingest');
const tenants = awsTenantStore();
const metrics = awsMetricStore();
// The log routes are served where the log-store construct bound this function (docs/logs.md).
const logs = awsLogStore();
// One cached index of the tenants' resources for linking pushes and for on-ingest evaluation.
const resources = new TenantResourceDirectory(tenants);
// Evaluation on ingest when the alerting construct gave this function the bus (ALERT_BUS_NAME).
const alerts = alertBusConfigured()
  ? awsAlertEngine({ tenants, metrics, resources, observability })
  : undefined;

export const handler = createIngestHandler({
  tenants,
  metrics,
  clock: systemClock,
  observability,
  resources,
  metadata: awsMetricMetadata(),
  ...(logs ? { logs } : {}),
  guard: awsIngestGuard(
    observability,
    systemClock,
    alerts
      ? {
          // The built-in tenant-limit alert; never fails the ingest.
          onLimitUsage: (tenantId, usage) =>
            alerts.onLimitUsage(tenantId, usage).catch((error) => {
              observability.logger.error('tenant limit alert evaluation failed', { error: error as Error });
            }),
        }
      : {},
  ),
  ...(alerts
    ? {
        afterWrite: (tenantId, samples) =>
          // The samples are stored; the scheduled pass evaluates them if this fails. Never fail ingest for it.
          alerts.onIngest(tenantId, samples).catch((error) => {
            observability.logger.error('alert evaluation on ingest failed', { error: error as Error });
          }),
      }
    : {}),
});
