import type { LabelMatcher, Labels } from '../domain/label-matchers';

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
