/** A tenant's usage against each limit, and the warnings at LIMIT_WARNING_RATIO. */
import { LIMIT_WARNING_RATIO, type TenantLimits } from './limits';

export interface LimitUsage {
  /** The limit's name in TenantLimits. */
  readonly limit: keyof TenantLimits;
  readonly used: number;
  readonly value: number;
  /** used / value. */
  readonly ratio: number;
}

export interface UsageInputs {
  readonly activeSeries: number;
  /** The busiest metric's active series. */
  readonly busiestMetric?: { readonly metric: string; readonly activeSeries: number } | undefined;
  /** Accepted samples per second over the last full minute. */
  readonly samplesPerSecond: number;
  /** Requests per second over the last full minute. */
  readonly requestsPerSecond: number;
  /** Share of the ingestion burst in use now (0..1). */
  readonly ingestionBurstUsed: number;
}

export function limitUsage(inputs: UsageInputs, limits: TenantLimits): LimitUsage[] {
  const entry = (limit: keyof TenantLimits, used: number, value: number): LimitUsage => ({
    limit,
    used,
    value,
    ratio: value > 0 ? round(used / value) : 0,
  });
  const usage = [
    entry('maxActiveSeries', inputs.activeSeries, limits.maxActiveSeries),
    entry(
      'maxActiveSeriesPerMetric',
      inputs.busiestMetric?.activeSeries ?? 0,
      limits.maxActiveSeriesPerMetric,
    ),
    entry('ingestionRate', round(inputs.samplesPerSecond), limits.ingestionRate),
    entry(
      'ingestionBurstSize',
      Math.round(inputs.ingestionBurstUsed * limits.ingestionBurstSize),
      limits.ingestionBurstSize,
    ),
  ];
  if (limits.requestRate > 0)
    usage.push(entry('requestRate', round(inputs.requestsPerSecond), limits.requestRate));
  return usage;
}

export const limitWarnings = (usage: readonly LimitUsage[]): LimitUsage[] =>
  usage.filter((u) => u.ratio >= LIMIT_WARNING_RATIO);

const round = (n: number): number => Math.round(n * 1000) / 1000;
