/** A tenant's usage against its limits: GET /v1/usage, and the ingest guard's 80 % warnings. */
import type { TenantLimits } from '#domain/guardrails/limits';
import { burstUsed } from '#domain/guardrails/token-bucket';
import { type LimitUsage, limitUsage, limitWarnings } from '#domain/guardrails/usage';
import type { RateLimiter } from '#ports/rate-limiter';
import type { SeriesRegistry } from '#ports/series-registry';
import { USAGE_COUNTER, type UsageLedger, type UsageMinute } from '#ports/usage-ledger';

export interface UsageReportDeps {
  readonly rate: RateLimiter;
  readonly series: SeriesRegistry;
  readonly usage: UsageLedger;
}

export interface SampleCounts {
  readonly accepted: number;
  readonly requests: number;
  /** Discarded samples by reason (shared/domain/guardrails/errors.ts DiscardReason). */
  readonly discarded: Readonly<Record<string, number>>;
}

export interface UsageReport {
  readonly generatedAt: string;
  readonly limits: TenantLimits;
  readonly usage: readonly LimitUsage[];
  /** Limits at 80 % or more. */
  readonly warnings: readonly LimitUsage[];
  readonly activeSeries: {
    readonly total: number;
    readonly topMetrics: readonly { readonly metric: string; readonly activeSeries: number }[];
  };
  readonly samples: { readonly lastMinute: SampleCounts; readonly lastHour: SampleCounts };
}

export async function usageReport(
  deps: UsageReportDeps,
  tenantId: string,
  limits: TenantLimits,
  nowMs: number,
): Promise<UsageReport> {
  const thisMinute = nowMs - (nowMs % 60_000);
  const [series, tat, minutes] = await Promise.all([
    deps.series.usage(tenantId, nowMs),
    deps.rate.peek(tenantId, 'samples'),
    deps.usage.read(tenantId, thisMinute - 60 * 60_000, thisMinute),
  ]);
  const lastFullMinute = sum(minutes.filter((m) => m.minuteMs === thisMinute - 60_000));
  const lastHour = sum(minutes.filter((m) => m.minuteMs < thisMinute));
  const usage = limitUsage(
    {
      activeSeries: series.activeSeries,
      busiestMetric: series.perMetric[0],
      samplesPerSecond: lastFullMinute.accepted / 60,
      requestsPerSecond: lastFullMinute.requests / 60,
      ingestionBurstUsed: burstUsed(tat, nowMs, {
        ratePerSecond: limits.ingestionRate,
        burst: limits.ingestionBurstSize,
      }),
    },
    limits,
  );
  return {
    generatedAt: new Date(nowMs).toISOString(),
    limits,
    usage,
    warnings: limitWarnings(usage),
    activeSeries: { total: series.activeSeries, topMetrics: series.perMetric },
    samples: { lastMinute: lastFullMinute, lastHour },
  };
}

function sum(minutes: readonly UsageMinute[]): SampleCounts {
  let accepted = 0;
  let requests = 0;
  const discarded: Record<string, number> = {};
  const prefix = USAGE_COUNTER.discarded('');
  for (const { counts } of minutes) {
    for (const [name, n] of Object.entries(counts)) {
      if (name === USAGE_COUNTER.accepted) accepted += n;
      else if (name === USAGE_COUNTER.requests) requests += n;
      else if (name.startsWith(prefix)) {
        const reason = name.slice(prefix.length);
        discarded[reason] = (discarded[reason] ?? 0) + n;
      }
    }
  }
  return { accepted, requests, discarded };
}
