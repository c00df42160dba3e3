/**
 * Stable error ids of the ingest guardrails (like Mimir's `err-mimir-*` catalogue): clients and
 * runbooks match on the id, never on the message. Each id has one HTTP status.
 */
export const GUARDRAIL_ERROR = {
  /** 429: samples/s above the tenant's token bucket. Retry later. */
  ingestionRateLimited: 'err-tenant-ingestion-rate-limited',
  /** 429: requests/s above the tenant's request bucket. Retry later. */
  requestRateLimited: 'err-tenant-request-rate-limited',
  /** 400: one request holds more samples than the burst; it can never pass. Split it. */
  requestExceedsBurst: 'err-tenant-request-exceeds-burst',
  /** 413: body larger than maxRequestBytes. */
  maxRequestSize: 'err-tenant-max-request-size',
  /** 400 (per sample): a new series beyond maxActiveSeries. */
  maxSeries: 'err-tenant-max-series',
  /** 400 (per sample): a new series beyond maxActiveSeriesPerMetric. */
  maxSeriesPerMetric: 'err-tenant-max-series-per-metric',
  /** 400 (per sample): more labels than maxLabelNamesPerSeries. */
  maxLabelNamesPerSeries: 'err-tenant-max-label-names-per-series',
  /** 400 (per sample): a label name longer than maxLabelNameLength. */
  labelNameTooLong: 'err-tenant-label-name-too-long',
  /** 400 (per sample): a label value longer than maxLabelValueLength. */
  labelValueTooLong: 'err-tenant-label-value-too-long',
  /** 400 (per sample): older than maxSampleAgeSeconds. */
  sampleTooOld: 'err-tenant-sample-too-old',
  /** 400 (per sample): further ahead than maxFutureSkewSeconds. */
  sampleTooFarInFuture: 'err-tenant-sample-too-far-in-future',
  /** 422: an Idempotency-Key reused with a different body. */
  idempotencyKeyReused: 'err-tenant-idempotency-key-reused',
  /** 429: the same request is being processed right now. */
  idempotencyInProgress: 'err-tenant-idempotency-in-progress',
  /** 202: samples from an HA replica that is not the cluster's leader; not stored. */
  haReplicaNotLeader: 'err-tenant-ha-replica-not-leader',
  /** 429: log bytes/s above the tenant's log bucket. Retry later. */
  logIngestionRateLimited: 'err-tenant-log-ingestion-rate-limited',
  /** 413: one log request holds more bytes than the tenant's log burst; it can never pass. Split it. */
  logRequestExceedsBurst: 'err-tenant-log-request-exceeds-burst',
  /** 503: our own store or limit state is unavailable or throttled. */
  unavailable: 'err-tenant-ingest-unavailable',
  /** 503: the request could not finish before the deadline (API Gateway answers 504 at 29 s). */
  deadlineExceeded: 'err-tenant-ingest-deadline',
} as const;

export type GuardrailErrorId = (typeof GUARDRAIL_ERROR)[keyof typeof GUARDRAIL_ERROR];

/** Why a sample was discarded: the reason dimension of the DiscardedSamples metric and of usage. */
export type DiscardReason =
  | 'max-series'
  | 'max-series-per-metric'
  | 'max-label-names-per-series'
  | 'label-name-too-long'
  | 'label-value-too-long'
  | 'sample-too-old'
  | 'sample-too-far-in-future'
  | 'ha-replica-not-leader'
  | 'rate-limited'
  | 'invalid'
  | 'store-rejected';

export const DISCARD_ERROR_ID: Record<DiscardReason, string> = {
  'max-series': GUARDRAIL_ERROR.maxSeries,
  'max-series-per-metric': GUARDRAIL_ERROR.maxSeriesPerMetric,
  'max-label-names-per-series': GUARDRAIL_ERROR.maxLabelNamesPerSeries,
  'label-name-too-long': GUARDRAIL_ERROR.labelNameTooLong,
  'label-value-too-long': GUARDRAIL_ERROR.labelValueTooLong,
  'sample-too-old': GUARDRAIL_ERROR.sampleTooOld,
  'sample-too-far-in-future': GUARDRAIL_ERROR.sampleTooFarInFuture,
  'ha-replica-not-leader': GUARDRAIL_ERROR.haReplicaNotLeader,
  'rate-limited': GUARDRAIL_ERROR.ingestionRateLimited,
  invalid: 'err-tenant-invalid-sample',
  'store-rejected': 'err-tenant-store-rejected',
};

/** One refused sample, as named to the client. */
export interface SampleRejection {
  /** Index of the sample in the decoded request. */
  readonly index: number;
  readonly reason: DiscardReason;
  readonly id: string;
  readonly message: string;
  /** The limit's value, when a limit refused it. */
  readonly limit?: number;
}
