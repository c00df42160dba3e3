/**
 * Query limits as the engine sees them: the names and defaults are the domain's (Mimir's names), so the
 * engine and the API refuse with the same words. The engine enforces maxSamples, maxSeries and the
 * timeout; the API enforces the rest before evaluation.
 */
import type { QueryLimitName } from '#domain/query-limits';

export type { QueryLimitName } from '#domain/query-limits';
/** One set of defaults for the engine and the API that binds it (shared/domain/query-limits.ts). */
export { DEFAULT_QUERY_LIMITS } from '#domain/query-limits';

/** What the engine itself enforces; the API enforces the rest of QueryLimits before evaluation. */
export interface QueryLimits {
  /** Samples held in memory at once (Prometheus' --query.max-samples). */
  readonly maxSamples: number;
  /** Series one query may read from the store; unbounded when absent. */
  readonly maxSeries?: number;
  readonly timeoutMs: number;
}

/** The refusal text for each limit, Mimir's wording where it has one. */
export const QUERY_LIMIT_MESSAGES: Readonly<Record<QueryLimitName, string>> = {
  max_samples: 'query processing would load too many samples into memory in query execution',
  max_fetched_series_per_query: 'the query exceeded the maximum number of series',
  query_timeout: 'query timed out in expression evaluation',
  max_query_length: 'the query time range exceeds the limit',
  max_resolution_points:
    'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
  max_concurrent_queries_per_tenant: 'too many concurrent queries for this tenant',
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
