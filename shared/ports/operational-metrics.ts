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
  /** Per tenant (dimension `tenant`): samples stored after the ingest guardrails. */
  samplesAccepted: 'SamplesAccepted',
  /** Per tenant and `reason` (shared/domain/guardrails/errors.ts DiscardReason): samples not stored. */
  samplesDiscarded: 'SamplesDiscarded',
  /** Per tenant and `limit`: usage in percent of a limit, emitted at 80 % and above. */
  tenantLimitWarning: 'TenantLimitWarning',
  alertEvaluatorLagSeconds: 'AlertEvaluatorLagSeconds',
  alertsRaised: 'AlertsRaised',
  /** Alert events waiting in the outbox after the bus failed (0 once a scheduled pass drained it). */
  alertEventsPending: 'AlertEventsPending',
  /** Alert events the bus refused for good (malformed, too large), set aside as dead letters. */
  alertEventsDeadLettered: 'AlertEventsDeadLettered',
  notificationsSent: 'NotificationsSent',
  notificationFailures: 'NotificationFailures',
  /** Deliveries the notifier skipped because another copy of the event had already sent them. */
  notificationsDeduplicated: 'NotificationsDeduplicated',
  /**
   * Deliveries sent whose claim the notifier could not confirm as sent, after its retries: a copy of
   * the event reaching another notifier once the claim's 2-minute lease has run out sends it again.
   */
  notificationConfirmFailures: 'NotificationConfirmFailures',
  /**
   * Parked batches (spill queue, local spill directory) deleted unwritten on replay because their
   * tenant is offboarding, offboarded or unknown: writing them would bring back erased data.
   */
  spillReplayDroppedBatches: 'SpillReplayDroppedBatches',
  /** Samples the store refused for good on replay (or after the replay's retries): dead letters. */
  spillReplayDeadLetteredSamples: 'SpillReplayDeadLetteredSamples',
  /**
   * Batches parked, waiting for the replay (local spill directory, after each pass). In AWS the
   * dashboard graphs the spill queue's own ApproximateNumberOfMessagesVisible under the same title.
   */
  spillQueueDepth: 'SpillQueueDepth',
  /** Scheduled SLA reports e-mailed (one per recipient), and those that failed (functions/report-scheduler). */
  scheduledReportsSent: 'ScheduledReportsSent',
  scheduledReportFailures: 'ScheduledReportFailures',
} as const;

/** Dimension that carries the tenant on per-tenant usage metrics. */
export const TENANT_METRIC_DIMENSION = 'tenant';
