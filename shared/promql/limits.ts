/**
 * Query limits, named as Grafana Mimir names them, with its defaults where it has them. The engine
 * enforces maxSamples, maxSeries and the timeout; the API enforces the rest before evaluation.
 */

export type QueryLimitName =
  | 'max_samples'
  | 'max_fetched_series_per_query'
  | 'query_timeout'
  | 'max_query_length'
  | 'max_resolution_points'
  | 'max_concurrent_queries';

export interface QueryLimits {
  /** Samples held in memory at once (Prometheus' --query.max-samples). */
  readonly maxSamples: number;
  /** Series one query may read from the store; unbounded when absent. */
  readonly maxSeries?: number;
  readonly timeoutMs: number;
}

export const DEFAULT_QUERY_LIMITS = {
  /** Prometheus' and Mimir's 50 M. */
  maxSamples: 50_000_000,
  /** Mimir's max_fetched_series_per_query is unlimited by default; a tenant here gets a bound. */
  maxSeries: 500_000,
  /** Mimir's querier.timeout, Prometheus' --query.timeout: 2 minutes. */
  timeoutMs: 120_000,
  /** Mimir's max_query_length is unlimited; AMP's 32 days. */
  maxQueryLengthMs: 32 * 24 * 3600 * 1000,
  /** Prometheus refuses a query_range with more than 11,000 points per series. */
  maxResolutionPoints: 11_000,
  /** Queries one tenant runs at once. */
  maxConcurrentQueries: 20,
} as const;

/** The refusal text for each limit, Mimir's wording where it has one. */
export const QUERY_LIMIT_MESSAGES: Readonly<Record<QueryLimitName, string>> = {
  max_samples: 'query processing would load too many samples into memory in query execution',
  max_fetched_series_per_query: 'the query exceeded the maximum number of series',
  query_timeout: 'query timed out in expression evaluation',
  max_query_length: 'the query time range exceeds the limit',
  max_resolution_points:
    'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
  max_concurrent_queries: 'too many concurrent queries for this tenant',
};

/** A query refused because it would exceed a limit; `limit` names which. */
export class QueryLimitError extends Error {
  constructor(
    readonly limit: QueryLimitName,
    message: string = QUERY_LIMIT_MESSAGES[limit],
  ) {
    super(`${message} (limit: ${limit})`);
    this.name = 'QueryLimitError';
  }
}

/** The caller's AbortSignal fired (the client went away or the API's own deadline passed). */
export class QueryCanceledError extends Error {
  constructor(reason = 'query was canceled') {
    super(reason);
    this.name = 'QueryCanceledError';
  }
}
