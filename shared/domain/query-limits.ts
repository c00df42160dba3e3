/**
 * Bounds on the work one read can cost, shared by the Prometheus API (functions/query), the platform's
 * own /v1/metrics/query and the stores that read for them. Names follow Mimir's limits where one
 * exists (max_query_length, max_fetched_series_per_query, max_samples as Prometheus'
 * --query.max-samples); every refusal names its limit, so a caller knows which knob it hit.
 *
 * Stores check the series and sample counts while they read (a QueryBudget is charged per series and
 * per sample as they are decoded), never after the whole answer is in memory.
 */
import { ThrottledError, UnavailableError, UnprocessableError } from './errors';

export interface QueryLimits {
  /** Longest time range one query may read (AMP's 32 days). */
  readonly maxQueryLengthMs: number;
  /** Series one query may read, all its selectors together. */
  readonly maxSeries: number;
  /** Samples one query may read, all its selectors together (Prometheus' 50 M). */
  readonly maxSamples: number;
  /** Points per series of a range query (Prometheus' 11,000). */
  readonly maxResolutionPoints: number;
  /** Wall time of one query (Prometheus' 2 minutes). */
  readonly timeoutMs: number;
  /** Queries of one tenant running at once in one function instance. */
  readonly maxConcurrentQueries: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  maxQueryLengthMs: 32 * 86_400_000,
  maxSeries: 100_000,
  maxSamples: 50_000_000,
  maxResolutionPoints: 11_000,
  timeoutMs: 120_000,
  maxConcurrentQueries: 8,
};

/**
 * /v1/metrics/query keeps every raw point as a [time, value] pair until it is bucketed (~80 bytes
 * each in V8), so it reads at most 5 M points: 50 M would not fit a Lambda's memory.
 */
export const METRICS_QUERY_LIMITS: QueryLimits = { ...DEFAULT_QUERY_LIMITS, maxSamples: 5_000_000 };

/** The name each limit is refused with. */
export const QUERY_LIMIT_NAMES = {
  maxQueryLengthMs: 'max_query_length',
  maxSeries: 'max_fetched_series_per_query',
  maxSamples: 'max_samples',
  maxResolutionPoints: 'max_resolution_points',
  timeoutMs: 'query_timeout',
  maxConcurrentQueries: 'max_concurrent_queries_per_tenant',
} as const satisfies Record<keyof QueryLimits, string>;

export type QueryLimitName = (typeof QUERY_LIMIT_NAMES)[keyof typeof QUERY_LIMIT_NAMES];

/** A query refused because it would exceed a limit: 422, the limit named in `limit` and `field`. */
export class QueryLimitExceededError extends UnprocessableError {
  constructor(
    readonly limit: QueryLimitName,
    message: string,
  ) {
    super(`${limit}: ${message}`, limit);
  }
}

/** A query that ran out of time or concurrency: 503 (retry later), the limit named. */
export class QueryUnavailableError extends UnavailableError {
  constructor(
    readonly limit: QueryLimitName,
    message: string,
    retryAfterSeconds = 1,
  ) {
    super(`${limit}: ${message}`, retryAfterSeconds);
  }
}

/** A query refused for the tenant's concurrency: 429, retry after `retryAfterSeconds`. */
export class QueryThrottledError extends ThrottledError {
  constructor(
    readonly limit: QueryLimitName,
    message: string,
    retryAfterSeconds = 1,
  ) {
    super(`${limit}: ${message}`, retryAfterSeconds);
  }
}

/** Refuses a range longer than the limit (checked before anything is read). */
export function checkQueryLength(startMs: number, endMs: number, limits: QueryLimits): void {
  if (endMs - startMs > limits.maxQueryLengthMs)
    throw new QueryLimitExceededError(
      QUERY_LIMIT_NAMES.maxQueryLengthMs,
      `the query range (${formatDays(endMs - startMs)}) is longer than the limit of ${formatDays(limits.maxQueryLengthMs)}`,
    );
}

/** Refuses a range query with more points per series than the limit (Prometheus' 11,000 check). */
export function checkResolution(startMs: number, endMs: number, stepMs: number, limits: QueryLimits): void {
  if ((endMs - startMs) / stepMs > limits.maxResolutionPoints)
    throw new QueryLimitExceededError(
      QUERY_LIMIT_NAMES.maxResolutionPoints,
      `exceeded maximum resolution of ${limits.maxResolutionPoints} points per timeseries. Try decreasing the query resolution (?step=XX)`,
    );
}

const formatDays = (ms: number) => `${Math.round((ms / 86_400_000) * 100) / 100} days`;

/**
 * What one query may still read. Every selector of the query charges the same budget, so the limits
 * hold for the query, not per selector; `signal` (the query's deadline) is checked at each charge.
 */
export class QueryBudget {
  private series = 0;
  private samples = 0;

  constructor(
    readonly limits: Pick<QueryLimits, 'maxSeries' | 'maxSamples'>,
    readonly signal?: AbortSignal,
  ) {}

  chargeSeries(count = 1): void {
    this.series += count;
    if (this.series > this.limits.maxSeries)
      throw new QueryLimitExceededError(
        QUERY_LIMIT_NAMES.maxSeries,
        `the query would read more than ${this.limits.maxSeries} series; narrow its selectors`,
      );
    this.checkDeadline();
  }

  chargeSamples(count: number): void {
    this.samples += count;
    if (this.samples > this.limits.maxSamples)
      throw new QueryLimitExceededError(
        QUERY_LIMIT_NAMES.maxSamples,
        `the query would read more than ${this.limits.maxSamples} samples; shorten its range or narrow its selectors`,
      );
  }

  checkDeadline(): void {
    if (this.signal?.aborted)
      throw this.signal.reason instanceof Error
        ? this.signal.reason
        : new QueryUnavailableError(QUERY_LIMIT_NAMES.timeoutMs, 'the query timed out');
  }

  get seriesRead(): number {
    return this.series;
  }
  get samplesRead(): number {
    return this.samples;
  }
  /** Samples the query may still read. */
  get samplesLeft(): number {
    return Math.max(0, this.limits.maxSamples - this.samples);
  }
}
