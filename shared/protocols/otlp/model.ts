/**
 * The decoded form of an OTLP ExportMetricsServiceRequest, shared by the protobuf and the JSON
 * decoders so one mapper (shared/domain/ingest/otlp-metrics.ts) serves both. It keeps what ingest
 * stores and drops the rest (exemplars, dropped-attribute counts, schema URLs); a metric's description
 * and unit are kept for the metric-metadata store:
 * - attributes are flattened to `[key0, value0, key1, value1, …]` with every AnyValue rendered as a
 *   string (see anyValueString);
 * - 64-bit integers (timestamps in ns, counts, asInt) are JavaScript numbers (exact up to 2^53).
 */
export type Attributes = string[];

export const TEMPORALITY = { unspecified: 0, delta: 1, cumulative: 2 } as const;
/** DataPointFlags.NO_RECORDED_VALUE_MASK: the point marks the absence of a value (staleness). */
export const FLAG_NO_RECORDED_VALUE = 1;

export interface OtlpRequest {
  resourceMetrics: OtlpResourceMetrics[];
}

export interface OtlpResourceMetrics {
  attributes: Attributes;
  scopeMetrics: OtlpScopeMetrics[];
}

export interface OtlpScopeMetrics {
  name: string;
  version: string;
  attributes: Attributes;
  metrics: OtlpMetric[];
}

export type OtlpMetric = MetricDescription &
  (
    | { name: string; type: 'gauge'; points: NumberPoint[] }
    | { name: string; type: 'sum'; temporality: number; monotonic: boolean; points: NumberPoint[] }
    | { name: string; type: 'histogram'; temporality: number; points: HistogramPoint[] }
    | {
        name: string;
        type: 'exponentialHistogram';
        temporality: number;
        points: ExponentialHistogramPoint[];
      }
    | { name: string; type: 'summary'; points: SummaryPoint[] }
    /** A metric with no data field set (or one this version does not know): nothing to store. */
    | { name: string; type: 'empty'; points: [] }
  );

/** What a metric says of itself besides its name; absent when empty (as protobuf leaves them). */
export interface MetricDescription {
  description?: string;
  unit?: string;
}

interface PointBase {
  attributes: Attributes;
  timeUnixNano: number;
  flags: number;
}

export interface NumberPoint extends PointBase {
  /** Undefined when neither asDouble nor asInt is set. */
  value: number | undefined;
}

export interface HistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  bucketCounts: number[];
  explicitBounds: number[];
  min: number | undefined;
  max: number | undefined;
}

export interface Buckets {
  offset: number;
  bucketCounts: number[];
}

export interface ExponentialHistogramPoint extends PointBase {
  count: number;
  sum: number | undefined;
  scale: number;
  zeroCount: number;
  zeroThreshold: number;
  positive: Buckets;
  negative: Buckets;
  min: number | undefined;
  max: number | undefined;
}

export interface SummaryPoint extends PointBase {
  count: number;
  sum: number;
  quantileValues: { quantile: number; value: number }[];
}

/** Counts OTLP data points (the unit of partial_success.rejected_data_points). */
export function countDataPoints(request: OtlpRequest): number {
  let n = 0;
  for (const rm of request.resourceMetrics)
    for (const sm of rm.scopeMetrics) for (const m of sm.metrics) n += m.points.length;
  return n;
}
