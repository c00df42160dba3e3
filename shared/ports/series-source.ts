import type { LabelMatcher, Labels } from '#domain/label-matchers';
import type { QueryBudget } from '#domain/query-limits';

/** One selector's worth of raw data: the series matching all matchers, samples in [startMs, endMs]. */
export interface SeriesSelection {
  readonly matchers: readonly LabelMatcher[];
  readonly startMs: number;
  /** Inclusive. */
  readonly endMs: number;
}

/** A series with its raw samples, timestamps ascending. */
export interface RawSeries {
  /** Every label, the metric name as `__name__`; never the tenant. */
  readonly labels: Labels;
  readonly timestampsMs: ArrayLike<number>;
  readonly values: ArrayLike<number>;
  /**
   * 1 where the sample is Prometheus' stale marker (its value is NaN); absent when the series has none.
   * A flag, not NaN bits: see shared/domain/special-values.ts.
   */
  readonly stale?: Uint8Array;
}

/**
 * What the PromQL engine reads: raw series for one tenant, already scoped (the tenant is bound by the
 * caller from the credential). Implementations push matchers and the time range down to the store and
 * throw a QueryLimitError (or the store's UnavailableError) rather than read without bound.
 */
export type SelectSeries = (selection: SeriesSelection) => Promise<readonly RawSeries[]>;

/**
 * The same series as SelectSeries, one at a time, in Prometheus' series order (labels.Compare: label
 * pairs by name, then value), so a consumer can fold each into an aggregation and drop it: memory for
 * one series, not all of them. A yielded series' arrays may be reused by the store for a later one:
 * read them before asking for the next. Limits are charged as series are read, as for SelectSeries.
 */
export type StreamSeries = (selection: SeriesSelection) => AsyncIterable<RawSeries>;

/**
 * Which series exist, labels only (no samples): what Prometheus' /api/v1/series, /api/v1/labels and
 * /api/v1/label/{name}/values answer from. Bound to one tenant by the caller, like SelectSeries.
 */
export type ListSeries = (selection: SeriesSelection) => Promise<readonly Labels[]>;

/** One tenant's series as one query reads them, every read charged to that query's budget. */
export interface TenantSeriesReader {
  readonly select: SelectSeries;
  readonly stream: StreamSeries;
  readonly listSeries: ListSeries;
}

/** A store the PromQL API reads: the tenant comes from the credential, the budget from the query. */
export interface SeriesReaderSource {
  seriesReader(tenantId: string, budget: QueryBudget): TenantSeriesReader;
}
