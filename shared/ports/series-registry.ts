/**
 * Active series per tenant and per metric, counted globally (not per function instance).
 *
 * A series is registered in the hour window it is seen in (ACTIVE_SERIES_WINDOW_MS); the active
 * count is max(count(this window), count(previous window)), so a series is active one to two
 * windows after its last sample. A series already registered in either window is always admitted
 * (existing series keep ingesting); a new one only while both counts are under the limit.
 */
export interface SeriesRef {
  /** Stable id of the series (hash of metric and sorted dimensions). */
  readonly id: string;
  readonly metric: string;
}

export interface SeriesLimits {
  readonly maxActiveSeries: number;
  readonly maxActiveSeriesPerMetric: number;
}

export type SeriesRefusal = 'max-series' | 'max-series-per-metric';

export interface SeriesAdmission {
  /** Series ids refused, with the limit that refused them. Absent ids were admitted. */
  readonly refused: ReadonlyMap<string, SeriesRefusal>;
}

export interface SeriesUsage {
  readonly activeSeries: number;
  /** Busiest metrics first (at most 20). */
  readonly perMetric: readonly { readonly metric: string; readonly activeSeries: number }[];
}

export interface SeriesRegistry {
  admit(
    tenantId: string,
    series: readonly SeriesRef[],
    limits: SeriesLimits,
    nowMs: number,
  ): Promise<SeriesAdmission>;
  usage(tenantId: string, nowMs: number): Promise<SeriesUsage>;
}
