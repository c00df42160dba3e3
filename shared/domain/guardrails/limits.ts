/**
 * Per-tenant ingest limits, in the spirit of Grafana Mimir's distributor and ingester limits
 * (`ingestion_rate`, `ingestion_burst_size`, `request_rate`, `max_global_series_per_user`,
 * `max_global_series_per_metric`, `max_label_names_per_series`, `max_label_name_length`,
 * `max_label_value_length`, `creation_grace_period`, HA tracker `accept_ha_samples`).
 *
 * A tenant stores only its overrides; the effective limits are DEFAULT_TENANT_LIMITS overlaid with
 * them. No limit may exceed what the metric stores can hold (STORE_CAPS): a sample that passes the
 * tenant's limits is never refused by a store for its shape.
 */
import { LIMITS } from '../metrics';
import * as z from '../zod';

export interface HaLimits {
  /** Deduplicate Prometheus HA pairs (opt-in). */
  readonly enabled: boolean;
  /** Label naming the HA cluster (Mimir's `ha_cluster_label`). */
  readonly clusterLabel: string;
  /** Label naming the replica; dropped from stored samples (Mimir's `ha_replica_label`). */
  readonly replicaLabel: string;
  /** A leader silent this long loses the election to the next replica that sends. */
  readonly failoverTimeoutSeconds: number;
}

export interface TenantLimits {
  /** Samples per second, steady state (token bucket refill), across every function instance. */
  readonly ingestionRate: number;
  /** Samples a tenant may send at once above the steady rate (token bucket size). */
  readonly ingestionBurstSize: number;
  /** Ingest requests per second (0: no request limit, the sample rate still applies). */
  readonly requestRate: number;
  readonly requestBurstSize: number;
  /** Active series of the tenant (a series is active for ACTIVE_SERIES_WINDOW_MS to 2× that after its last sample). */
  readonly maxActiveSeries: number;
  /** Active series of one metric name. */
  readonly maxActiveSeriesPerMetric: number;
  /** Dimensions (labels) of one series, metric name not counted. */
  readonly maxLabelNamesPerSeries: number;
  /** Bytes (UTF-8). */
  readonly maxLabelNameLength: number;
  /** Bytes (UTF-8). */
  readonly maxLabelValueLength: number;
  /** Request body, bytes as received (compressed if the client compressed it). */
  readonly maxRequestBytes: number;
  /** How old a sample may be when it arrives. */
  readonly maxSampleAgeSeconds: number;
  /** How far in the future a sample's timestamp may be. */
  readonly maxFutureSkewSeconds: number;
  readonly ha: HaLimits;
  /** Log bytes per second (records as stored: message and attributes), across every instance. */
  readonly logIngestionBytesRate: number;
  /** Log bytes a tenant may send at once above the steady rate; one request never holds more. */
  readonly logIngestionBurstBytes: number;
  /**
   * Days the tenant's log lines are kept. The region's store keeps lines at most its own retention
   * (`logDataRetentionDays`, the bucket's lifecycle rule): a longer setting keeps them that long.
   */
  readonly logRetentionDays: number;
}

/** The platform's default log retention (infra config `logDataRetentionDays`, 30 unless set). */
export const DEFAULT_LOG_RETENTION_DAYS = 30;

/** The days a tenant's lines are kept: its setting, never longer than the store keeps anything. */
export function effectiveLogRetentionDays(limits: TenantLimits, storeRetentionDays: number): number {
  return Math.min(limits.logRetentionDays, storeRetentionDays);
}

/** The hard ceiling of each limit: what our stores accept (shared/domain/metrics.ts LIMITS). */
export const STORE_CAPS = {
  maxLabelNamesPerSeries: LIMITS.maxDimensionsPerSample,
  maxLabelNameLength: LIMITS.dimensionNameMaxBytes,
  maxLabelValueLength: LIMITS.dimensionValueMaxBytes,
  maxRequestBytes: LIMITS.maxBodyBytes,
  maxSampleAgeSeconds: LIMITS.memoryStoreRetentionHours * 3600,
  maxFutureSkewSeconds: LIMITS.futureSkewMs / 1000,
} as const;

/**
 * Documented defaults (README, "Ingest limits"). Mimir's defaults where they fit our stores:
 * 10 000 samples/s with a 200 000 burst, 150 000 series, 30 labels, 2 048-byte values; label names
 * are capped at Timestream's 60 bytes and sample age at the memory-store retention.
 */
export const DEFAULT_TENANT_LIMITS: TenantLimits = {
  ingestionRate: 10_000,
  ingestionBurstSize: 200_000,
  requestRate: 100,
  requestBurstSize: 200,
  maxActiveSeries: 150_000,
  maxActiveSeriesPerMetric: 20_000,
  maxLabelNamesPerSeries: 30,
  maxLabelNameLength: STORE_CAPS.maxLabelNameLength,
  maxLabelValueLength: 2048,
  maxRequestBytes: STORE_CAPS.maxRequestBytes,
  maxSampleAgeSeconds: STORE_CAPS.maxSampleAgeSeconds,
  maxFutureSkewSeconds: 600,
  ha: { enabled: false, clusterLabel: 'cluster', replicaLabel: '__replica__', failoverTimeoutSeconds: 30 },
  // 5 MiB/s steady, 16 MiB at once: twice LM Logs' 8 MB payload passes from a full bucket.
  logIngestionBytesRate: 5 * 1024 * 1024,
  logIngestionBurstBytes: 16 * 1024 * 1024,
  logRetentionDays: DEFAULT_LOG_RETENTION_DAYS,
};

/** How long limits read from the store are trusted by one function instance. */
export const LIMITS_CACHE_TTL_MS = 30_000;

/** A series stays active this long (up to twice this long) after its last sample. */
export const ACTIVE_SERIES_WINDOW_MS = 3600_000;

/** Share of a limit at which the tenant is warned. */
export const LIMIT_WARNING_RATIO = 0.8;

const count = (max = 10_000_000) => z.number().check(z.int(), z.gte(0), z.lte(max));
const positive = (max: number) => z.number().check(z.int(), z.gte(1), z.lte(max));
const labelName = z
  .string()
  .check(z.minLength(1), z.maxLength(60), z.regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, 'must be a label name'));

/** What the provider may PUT: any subset of the limits, each within the store caps. */
export const tenantLimitOverridesSchema = z.strictObject({
  ingestionRate: z.optional(positive(1_000_000)),
  ingestionBurstSize: z.optional(positive(10_000_000)),
  requestRate: z.optional(count(100_000)),
  requestBurstSize: z.optional(count(1_000_000)),
  maxActiveSeries: z.optional(positive(10_000_000)),
  maxActiveSeriesPerMetric: z.optional(positive(10_000_000)),
  maxLabelNamesPerSeries: z.optional(positive(STORE_CAPS.maxLabelNamesPerSeries)),
  maxLabelNameLength: z.optional(positive(STORE_CAPS.maxLabelNameLength)),
  maxLabelValueLength: z.optional(positive(STORE_CAPS.maxLabelValueLength)),
  maxRequestBytes: z.optional(positive(STORE_CAPS.maxRequestBytes)),
  maxSampleAgeSeconds: z.optional(positive(STORE_CAPS.maxSampleAgeSeconds)),
  maxFutureSkewSeconds: z.optional(count(STORE_CAPS.maxFutureSkewSeconds)),
  logIngestionBytesRate: z.optional(positive(1024 * 1024 * 1024)),
  logIngestionBurstBytes: z.optional(positive(4 * 1024 * 1024 * 1024)),
  logRetentionDays: z.optional(positive(3650)),
  ha: z.optional(
    z.strictObject({
      enabled: z.optional(z.boolean()),
      clusterLabel: z.optional(labelName),
      replicaLabel: z.optional(labelName),
      failoverTimeoutSeconds: z.optional(positive(3600)),
    }),
  ),
});

export type TenantLimitOverrides = z.infer<typeof tenantLimitOverridesSchema>;

/** The overrides as stored, with their version for optimistic concurrency. */
export interface StoredLimitOverrides {
  readonly tenantId: string;
  readonly overrides: TenantLimitOverrides;
  readonly version: number;
  readonly updatedAt: string;
}

export function effectiveLimits(overrides: TenantLimitOverrides | undefined): TenantLimits {
  if (!overrides) return DEFAULT_TENANT_LIMITS;
  const { ha, ...rest } = overrides;
  const defined = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
  const haDefined = Object.fromEntries(Object.entries(ha ?? {}).filter(([, v]) => v !== undefined));
  return {
    ...DEFAULT_TENANT_LIMITS,
    ...defined,
    ha: { ...DEFAULT_TENANT_LIMITS.ha, ...haDefined },
  };
}
