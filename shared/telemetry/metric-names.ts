/**
 * EMF metric names, shared by the functions that emit them and the CDK dashboards and alarms that
 * read them, so a rename cannot silently empty a graph. Namespace: METRICS_NAMESPACE (shared/http/handler).
 */
export const METRIC = {
  datapointsAccepted: 'DatapointsAccepted',
  datapointsRejected: 'DatapointsRejected',
  /** Samples Timestream refused (RejectedRecords). */
  storeRejectedRecords: 'StoreRejectedRecords',
  ingestThrottled: 'IngestThrottled',
  alertEvaluatorLagSeconds: 'AlertEvaluatorLagSeconds',
  alertsRaised: 'AlertsRaised',
  notificationsSent: 'NotificationsSent',
  notificationFailures: 'NotificationFailures',
} as const;

/** Dimension that carries the tenant on per-tenant usage metrics. */
export const TENANT_METRIC_DIMENSION = 'tenant';
