/**
 * The ingest guard: every ingest route (native, OTLP, Prometheus remote write) runs its request
 * through `guard.run`, which applies the tenant's limits in the order Mimir's distributor does —
 * request rate, request size, idempotency, HA dedup, per-sample limits, ingestion rate, active
 * series — then writes what is left and answers with a status real clients act on:
 *
 * - 429 + Retry-After (exponential, jittered): a rate limit; retrying later succeeds.
 * - 400 naming the first refused samples (stable ids, the limit's value), after storing the rest:
 *   a limit retrying cannot fix (too many series, label too long, sample too old).
 * - 413: a request larger than the tenant's maxRequestBytes.
 * - 422 / 429: an Idempotency-Key reused with another body / the same request still in progress.
 * - 202: every sample came from an HA replica that is not its cluster's leader (not stored).
 * - 503 + Retry-After: our state or store is unavailable, or the deadline (before API Gateway's
 *   29 s integration timeout) passed.
 */
import { createHash } from 'node:crypto';
import {
  IdempotencyAlreadyInProgressError,
  IdempotencyConfig,
  IdempotencyItemNotFoundError,
  IdempotencyUnknownError,
  IdempotencyValidationError,
  makeIdempotent,
} from '@aws-lambda-powertools/idempotency';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { BadRequestError, DomainError, ForbiddenError, UnavailableError } from '#domain/errors';
import {
  DISCARD_ERROR_ID,
  type DiscardReason,
  GUARDRAIL_ERROR,
  type SampleRejection,
} from '#domain/guardrails/errors';
import { effectiveLimits, LIMITS_CACHE_TTL_MS, type TenantLimits } from '#domain/guardrails/limits';
import { sampleLimitViolation } from '#domain/guardrails/sample-limits';
import { type BucketSpec, retryAfterSeconds, takeTokens } from '#domain/guardrails/token-bucket';
import type { LimitUsage } from '#domain/guardrails/usage';
import type { RejectedSample, Sample, WriteResult } from '#domain/metrics';
import { seriesKey } from '#domain/metrics';
import { rawBody } from '#http/body';
import type { Observability } from '#http/handler';
import { json } from '#http/response';
import { type HttpEvent, type HttpResult, header } from '#http/types';
import type { Clock } from '#ports/clock';
import { isRetryable } from '#ports/dependency-failure';
import type { HaTracker } from '#ports/ha-tracker';
import { IDEMPOTENCY_KEY_PREFIX, type IdempotencyStore } from '#ports/idempotency-store';
import { METRIC, TENANT_METRIC_DIMENSION } from '#ports/operational-metrics';
import type { BucketName, RateLimiter } from '#ports/rate-limiter';
import type { SeriesRef, SeriesRegistry } from '#ports/series-registry';
import type { TenantLimitsStore } from '#ports/tenant-limits';
import { USAGE_COUNTER, type UsageLedger } from '#ports/usage-ledger';
import { usageReport } from './usage-report';

export interface IngestGuardDeps {
  readonly limits: TenantLimitsStore;
  readonly rate: RateLimiter;
  readonly series: SeriesRegistry;
  readonly ha: HaTracker;
  readonly idempotency: IdempotencyStore;
  readonly usage: UsageLedger;
  readonly clock: Clock;
  readonly observability: Observability;
  /** The guard answers within this many ms of the request's start (API Gateway gives up at 29 s). */
  readonly deadlineMs?: number;
  readonly random?: () => number;
  /** Called (at most once a minute per tenant and limit, per instance) when usage reaches 80 %. */
  readonly onLimitWarning?: (tenantId: string, usage: LimitUsage) => Promise<void>;
  /**
   * Called with the usage of every limit at each such check (not only those at 80 %), so a consumer
   * can also see usage fall back: the alert engine's built-in tenant-limit alert.
   */
  readonly onLimitUsage?: (tenantId: string, usage: readonly LimitUsage[]) => Promise<void>;
}

/** What one protocol route hands the guard. */
export interface GuardedRequest {
  readonly tenantId: string;
  /** The request's samples; throws a 4xx DomainError for input that cannot be decoded. */
  decode(): Sample[] | Promise<Sample[]>;
  /** Stores samples (the metric store plus any after-write hook); indices refer to its argument. */
  write(samples: readonly Sample[]): Promise<WriteResult>;
  /** The protocol's own success answer (native 202, OTLP partial success, remote write 204 …). */
  respond(outcome: IngestOutcome): HttpResult;
}

/**
 * What a log route hands the guard: its records are charged in bytes to the tenant's `log-bytes`
 * bucket (logIngestionBytesRate / logIngestionBurstBytes); request rate, body size (LM Logs' 8 MB),
 * idempotent retries, the deadline and the answers (429 + Retry-After …) are the metrics routes'.
 */
export interface GuardedLogRequest {
  readonly tenantId: string;
  /** Decodes the request (a 4xx DomainError for bad input) and says what storing it costs. */
  decode(): Promise<{ readonly bytes: number }>;
  /** Stores what decode kept and answers (partial success, 413 naming oversized records …). */
  write(): Promise<HttpResult>;
}

export interface IngestOutcome {
  readonly accepted: number;
  /** Samples the store or its validation refused, indices into the decoded request. */
  readonly rejected: readonly RejectedSample[];
  /** Samples from HA replicas that are not the leader (not stored). */
  readonly deduplicated: number;
}

export interface IngestGuard {
  /** `context` (the Lambda's) bounds the deadline by the function's own remaining time. */
  run(event: HttpEvent, request: GuardedRequest, context?: Context): Promise<HttpResult>;
  /** The same guard for a log request (`maxBodyBytes`: the route's body limit, LM Logs' 8 MB). */
  runLogs(
    event: HttpEvent,
    request: GuardedLogRequest,
    maxBodyBytes: number,
    context?: Context,
  ): Promise<HttpResult>;
  limitsFor(tenantId: string): Promise<TenantLimits>;
}

export const IDEMPOTENCY_WINDOW_SECONDS = 3600;
const DEFAULT_DEADLINE_MS = 25_000;
/** API Gateway REST's integration timeout. */
const GATEWAY_TIMEOUT_MS = 29_000;
/** Time kept to write the answer after the deadline fires. */
const ANSWER_MARGIN_MS = 1_000;
const MAX_NAMED_REJECTIONS = 10;
const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,256}$/;
/** Headers other systems use to name a tenant; we only check they agree with the credential. */
const TENANT_HEADERS = ['x-scope-orgid', 'x-tenant-id'] as const;

/**
 * Samples still in the running, as parallel arrays (no wrapper object per sample): `samples[i]` came
 * from the decoded request's `indices[i]`, or from its `i` when `indices` is absent (nothing dropped
 * yet, so `samples` is the decoded array itself).
 */
interface Candidates {
  readonly samples: readonly Sample[];
  readonly indices: readonly number[] | undefined;
}

const indexIn = (c: Candidates, i: number): number =>
  c.indices === undefined ? i : (c.indices[i] as number);

/** The candidates `keep` says yes to; the same object when it says yes to all. */
function filterCandidates(c: Candidates, keep: (sample: Sample, i: number) => boolean): Candidates {
  let samples: Sample[] | undefined;
  let indices: number[] | undefined;
  for (let i = 0; i < c.samples.length; i++) {
    const sample = c.samples[i] as Sample;
    if (keep(sample, i)) {
      samples?.push(sample);
      indices?.push(indexIn(c, i));
    } else if (samples === undefined) {
      samples = c.samples.slice(0, i);
      indices = Array.from({ length: i }, (_, j) => indexIn(c, j));
    }
  }
  return samples === undefined ? c : { samples, indices };
}

/** What prepare() learned, for commit(). */
interface Prepared {
  readonly decoded: readonly Sample[];
  readonly valid: Candidates;
  readonly rejections: SampleRejection[];
  readonly discards: Map<DiscardReason, number>;
  readonly discard: (index: number, reason: DiscardReason, message: string, limit?: number) => void;
  readonly deduplicated: number;
  readonly sampleBucket: BucketSpec;
  readonly refuseRate: (retryAfterMs: number) => Promise<GuardrailRefusal>;
}

/** A refusal of the whole request with its guardrail id; turned into a response by the guard. */
export class GuardrailRefusal extends Error {
  constructor(
    readonly status: number,
    readonly id: string,
    message: string,
    readonly extra: { limit?: number; retryAfterSeconds?: number; field?: string } = {},
  ) {
    super(message);
  }
}

export function createIngestGuard(deps: IngestGuardDeps): IngestGuard {
  const { logger, metrics: emf } = deps.observability;
  const deadlineMs = deps.deadlineMs ?? DEFAULT_DEADLINE_MS;
  const random = deps.random ?? Math.random;
  const limitsCache = new Map<string, { limits: TenantLimits; fetchedAt: number }>();
  const refusalStreak = new Map<string, number>();
  const lastWarningCheck = new Map<string, number>();
  /**
   * The highest TAT this instance has seen per bucket: a lower bound of the stored one (a TAT
   * never decreases), so a cost it cannot pay is refused without a write. Never admits anything.
   */
  const knownTat = new Map<string, number>();
  const jmesPathFunctions = sharedJmesPathFunctions();

  function localRefusal(tenantId: string, bucket: BucketName, cost: number, spec: BucketSpec, nowMs: number) {
    const lower = knownTat.get(`${tenantId} ${bucket}`);
    if (lower === undefined) return undefined;
    const decision = takeTokens(lower, nowMs, cost, spec);
    return decision.allowed ? undefined : decision;
  }

  async function takeTokensShared(
    tenantId: string,
    bucket: BucketName,
    cost: number,
    spec: BucketSpec,
    nowMs: number,
  ) {
    const decision = await deps.rate.take(tenantId, bucket, cost, spec, nowMs);
    const key = `${tenantId} ${bucket}`;
    if (knownTat.size > 10_000) knownTat.clear();
    knownTat.set(key, Math.max(knownTat.get(key) ?? Number.NEGATIVE_INFINITY, decision.tatMs));
    return decision;
  }

  async function limitsFor(tenantId: string): Promise<TenantLimits> {
    const now = Date.now();
    const cached = limitsCache.get(tenantId);
    if (cached && now - cached.fetchedAt < LIMITS_CACHE_TTL_MS) return cached.limits;
    const stored = await deps.limits.get(tenantId);
    const limits = effectiveLimits(stored?.overrides);
    if (limitsCache.size > 10_000) limitsCache.clear();
    limitsCache.set(tenantId, { limits, fetchedAt: now });
    return limits;
  }

  /** Retry-After for the tenant's n-th refusal in a row (reset by its next success). */
  function throttled(tenantId: string, id: string, message: string, waitMs: number, limit: number) {
    const streak = (refusalStreak.get(tenantId) ?? 0) + 1;
    refusalStreak.set(tenantId, streak);
    return new GuardrailRefusal(429, id, message, {
      limit,
      retryAfterSeconds: retryAfterSeconds(waitMs, streak, random),
    });
  }

  /**
   * Per-tenant metrics are single-metric EMF documents with their own dimensions. One emitter serves
   * them all: each addMetric publishes and clears its dimensions, and building a new one per request
   * (singleMetric() constructs a Console) cost more than the rest of the guard's metrics.
   */
  let tenantMetrics: ReturnType<typeof emf.singleMetric> | undefined;
  function tenantMetric(
    dimensions: Record<string, string>,
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number,
  ) {
    tenantMetrics ??= emf.singleMetric();
    tenantMetrics.addDimensions(dimensions);
    tenantMetrics.addMetric(name, unit, value);
  }

  function discarded(tenantId: string, reason: DiscardReason, count: number) {
    if (count === 0) return;
    tenantMetric(
      { [TENANT_METRIC_DIMENSION]: tenantId, reason },
      METRIC.samplesDiscarded,
      MetricUnit.Count,
      count,
    );
  }

  /**
   * Everything that needs no shared write: decode, HA dedup, per-sample limits, and a refusal when
   * this instance already knows the bucket cannot pay (so a flooding tenant costs no writes).
   * Returns the answer, or the step that takes tokens, admits series and writes (run idempotently).
   */
  async function prepare(
    request: GuardedRequest,
    limits: TenantLimits,
    startMs: number,
    completedAnswer: () => Promise<HttpResult | undefined>,
  ): Promise<HttpResult | (() => Promise<HttpResult>)> {
    const { tenantId } = request;
    const decoded = await request.decode();
    const rejections: SampleRejection[] = [];
    const discards = new Map<DiscardReason, number>();
    const discard = (index: number, reason: DiscardReason, message: string, limit?: number) => {
      discards.set(reason, (discards.get(reason) ?? 0) + 1);
      if (reason !== 'ha-replica-not-leader')
        rejections.push({
          index,
          reason,
          id: DISCARD_ERROR_ID[reason],
          message,
          ...(limit === undefined ? {} : { limit }),
        });
    };

    // HA dedup: samples of a non-leader replica are dropped; the leader's lose the replica label.
    let candidates: Candidates = { samples: decoded, indices: undefined };
    let deduplicated = 0;
    if (limits.ha.enabled) {
      const { clusterLabel, replicaLabel } = limits.ha;
      const verdicts = new Map<string, boolean>();
      const samples: Sample[] = [];
      const indices: number[] = [];
      for (let i = 0; i < decoded.length; i++) {
        const sample = decoded[i] as Sample;
        const cluster = sample.dimensions[clusterLabel];
        const replica = sample.dimensions[replicaLabel];
        if (cluster === undefined || replica === undefined) {
          samples.push(sample);
          indices.push(i);
          continue;
        }
        const group = `${cluster}\u0000${replica}`;
        let accept = verdicts.get(group);
        if (accept === undefined) {
          const check = await deps.ha.check(
            tenantId,
            cluster,
            replica,
            startMs,
            limits.ha.failoverTimeoutSeconds * 1000,
          );
          accept = check.accept;
          verdicts.set(group, accept);
        }
        if (!accept) {
          deduplicated++;
          discard(i, 'ha-replica-not-leader', 'replica is not the cluster leader');
          continue;
        }
        const { [replicaLabel]: _replica, ...dimensions } = sample.dimensions;
        samples.push({ ...sample, dimensions });
        indices.push(i);
      }
      candidates = { samples, indices };
      if (deduplicated > 0 && samples.length === 0) {
        await record(tenantId, 0, discards);
        return json(202, {
          accepted: 0,
          deduplicated,
          id: GUARDRAIL_ERROR.haReplicaNotLeader,
          message: 'samples from an HA replica that is not the leader of its cluster are not stored',
        });
      }
    }

    // Per-sample limits: cheap, no shared state.
    const valid = filterCandidates(candidates, (sample, i) => {
      const violation = sampleLimitViolation(sample, limits, startMs);
      if (violation) discard(indexIn(candidates, i), violation.reason, violation.message, violation.limit);
      return violation === undefined;
    });

    // Ingestion rate: the samples that could be stored cost tokens.
    if (valid.samples.length > limits.ingestionBurstSize) {
      throw new GuardrailRefusal(
        400,
        GUARDRAIL_ERROR.requestExceedsBurst,
        `request holds ${valid.samples.length} samples, more than the burst of ${limits.ingestionBurstSize}; split it`,
        { limit: limits.ingestionBurstSize, field: 'body' },
      );
    }
    const sampleBucket = { ratePerSecond: limits.ingestionRate, burst: limits.ingestionBurstSize };
    const refuseRate = async (retryAfterMs: number) => {
      await record(tenantId, 0, new Map([['rate-limited', valid.samples.length]]));
      return throttled(
        tenantId,
        GUARDRAIL_ERROR.ingestionRateLimited,
        `ingestion rate limit of ${limits.ingestionRate} samples/s (burst ${limits.ingestionBurstSize}) exceeded`,
        retryAfterMs,
        limits.ingestionRate,
      );
    };
    if (valid.samples.length > 0) {
      const local = localRefusal(tenantId, 'samples', valid.samples.length, sampleBucket, startMs);
      if (local) {
        // A retry of a request that already succeeded gets its answer, not a refusal.
        const answer = await completedAnswer();
        if (answer) return answer;
        throw await refuseRate(local.retryAfterMs);
      }
    }
    return () =>
      commit(request, limits, startMs, {
        decoded,
        valid,
        rejections,
        discards,
        discard,
        deduplicated,
        sampleBucket,
        refuseRate,
      });
  }

  async function commit(
    request: GuardedRequest,
    limits: TenantLimits,
    startMs: number,
    prepared: Prepared,
  ): Promise<HttpResult> {
    const { tenantId } = request;
    const { decoded, valid, rejections, discards, discard, deduplicated, sampleBucket, refuseRate } =
      prepared;
    if (valid.samples.length > 0) {
      const decision = await takeTokensShared(
        tenantId,
        'samples',
        valid.samples.length,
        sampleBucket,
        startMs,
      );
      if (!decision.allowed) throw await refuseRate(decision.retryAfterMs);
    }

    // Active series: new series beyond the limits are refused, existing ones pass.
    const series = valid.samples.map((sample) => ({ id: seriesId(sample), metric: sample.metric }));
    const admission = await deps.series.admit(tenantId, series, limits, startMs);
    const admitted =
      admission.refused.size === 0
        ? valid
        : filterCandidates(valid, (sample, i) => {
            const refusal = admission.refused.get((series[i] as SeriesRef).id);
            if (refusal === 'max-series')
              discard(
                indexIn(valid, i),
                refusal,
                `new series would exceed the limit of ${limits.maxActiveSeries} active series`,
                limits.maxActiveSeries,
              );
            else if (refusal === 'max-series-per-metric')
              discard(
                indexIn(valid, i),
                refusal,
                `new series of ${sample.metric} would exceed the limit of ${limits.maxActiveSeriesPerMetric} active series per metric`,
                limits.maxActiveSeriesPerMetric,
              );
            return refusal === undefined;
          });

    const result =
      admitted.samples.length > 0 ? await request.write(admitted.samples) : { accepted: 0, rejected: [] };
    const storeRejected = result.rejected.map((r) => ({
      index: r.index < admitted.samples.length ? indexIn(admitted, r.index) : r.index,
      reason: r.reason,
    }));
    if (storeRejected.length > 0) discards.set('store-rejected', storeRejected.length);
    refusalStreak.delete(tenantId);
    await record(tenantId, result.accepted, discards);
    await warnNearLimits(tenantId, limits, startMs);

    if (rejections.length > 0) {
      // The guard answers this request itself, so it counts it; otherwise the handler's respond does
      // (it sees the protocol's datapoints), and a request is never counted twice.
      emf.addMetric(METRIC.datapointsAccepted, MetricUnit.Count, result.accepted);
      emf.addMetric(METRIC.datapointsRejected, MetricUnit.Count, storeRejected.length + rejections.length);
      rejections.sort((a, b) => a.index - b.index);
      const first = rejections[0]!;
      return json(400, {
        error: {
          code: 'bad_request',
          id: first.id,
          message: `${rejections.length} of ${decoded.length} samples refused by limits; the rest were stored. First: ${first.message}`,
          field: `samples[${first.index}]`,
          ...(first.limit === undefined ? {} : { limit: first.limit }),
        },
        accepted: result.accepted,
        deduplicated,
        discarded: Object.fromEntries(discards),
        rejections: rejections.slice(0, MAX_NAMED_REJECTIONS),
        rejected: storeRejected,
      });
    }
    return request.respond({ accepted: result.accepted, rejected: storeRejected, deduplicated });
  }

  async function record(tenantId: string, accepted: number, discards: Map<DiscardReason, number>) {
    tenantMetric({ [TENANT_METRIC_DIMENSION]: tenantId }, METRIC.samplesAccepted, MetricUnit.Count, accepted);
    for (const [reason, n] of discards) discarded(tenantId, reason, n);
    const counts: Record<string, number> = {
      [USAGE_COUNTER.accepted]: accepted,
      [USAGE_COUNTER.requests]: 1,
    };
    for (const [reason, n] of discards) counts[USAGE_COUNTER.discarded(reason)] = n;
    try {
      await deps.usage.add(tenantId, minuteOf(deps.clock.now().getTime()), counts);
    } catch (error) {
      // Usage counters are for reporting; the samples are already stored.
      logger.warn('usage counters not recorded', { error: error as Error, tenantId });
    }
  }

  async function warnNearLimits(tenantId: string, limits: TenantLimits, nowMs: number) {
    const last = lastWarningCheck.get(tenantId) ?? 0;
    if (nowMs - last < 60_000) return;
    lastWarningCheck.set(tenantId, nowMs);
    try {
      const report = await usageReport(deps, tenantId, limits, nowMs);
      for (const warning of report.warnings) {
        tenantMetric(
          { [TENANT_METRIC_DIMENSION]: tenantId, limit: warning.limit },
          METRIC.tenantLimitWarning,
          MetricUnit.Percent,
          Math.round(warning.ratio * 100),
        );
        logger.warn('tenant near a limit', { tenantId, ...warning });
        await deps.onLimitWarning?.(tenantId, warning);
      }
      await deps.onLimitUsage?.(tenantId, report.usage);
    } catch (error) {
      logger.warn('limit warning check failed', { error: error as Error, tenantId });
    }
  }

  /** Decides a request before its idempotent step: an answer, or the step that writes and answers. */
  type Prepare = (
    limits: TenantLimits,
    startMs: number,
    completedAnswer: () => Promise<HttpResult | undefined>,
  ) => Promise<HttpResult | (() => Promise<HttpResult>)>;

  function run(event: HttpEvent, request: GuardedRequest, context?: Context): Promise<HttpResult> {
    return runWith(
      event,
      request.tenantId,
      (limits) => limits.maxRequestBytes,
      (limits, startMs, completedAnswer) => prepare(request, limits, startMs, completedAnswer),
      context,
    );
  }

  function runLogs(
    event: HttpEvent,
    request: GuardedLogRequest,
    maxBodyBytes: number,
    context?: Context,
  ): Promise<HttpResult> {
    return runWith(
      event,
      request.tenantId,
      () => maxBodyBytes,
      (limits, startMs, completedAnswer) => prepareLogs(request, limits, startMs, completedAnswer),
      context,
    );
  }

  /** Log requests cost their bytes; a request larger than the burst can never pass (413, split it). */
  async function prepareLogs(
    request: GuardedLogRequest,
    limits: TenantLimits,
    startMs: number,
    completedAnswer: () => Promise<HttpResult | undefined>,
  ): Promise<HttpResult | (() => Promise<HttpResult>)> {
    const { tenantId } = request;
    const { bytes } = await request.decode();
    const rate = limits.logIngestionBytesRate;
    const burst = limits.logIngestionBurstBytes;
    if (bytes > burst)
      throw new GuardrailRefusal(
        413,
        GUARDRAIL_ERROR.logRequestExceedsBurst,
        `request holds ${bytes} bytes of logs, more than the burst of ${burst} bytes; split it`,
        { limit: burst, field: 'body' },
      );
    const bucket = { ratePerSecond: rate, burst };
    const refuse = (retryAfterMs: number) =>
      throttled(
        tenantId,
        GUARDRAIL_ERROR.logIngestionRateLimited,
        `log ingestion rate limit of ${rate} bytes/s (burst ${burst} bytes) exceeded`,
        retryAfterMs,
        rate,
      );
    if (bytes > 0) {
      const local = localRefusal(tenantId, 'log-bytes', bytes, bucket, startMs);
      if (local) {
        const answer = await completedAnswer();
        if (answer) return answer;
        throw refuse(local.retryAfterMs);
      }
    }
    return async () => {
      if (bytes > 0) {
        const decision = await takeTokensShared(tenantId, 'log-bytes', bytes, bucket, startMs);
        if (!decision.allowed) throw refuse(decision.retryAfterMs);
      }
      refusalStreak.delete(tenantId);
      return request.write();
    };
  }

  async function runWith(
    event: HttpEvent,
    tenantId: string,
    maxBodyBytes: (limits: TenantLimits) => number,
    prepareRequest: Prepare,
    context?: Context,
  ): Promise<HttpResult> {
    const startMs = deps.clock.now().getTime();
    // Answer before whichever comes first: our deadline, the gateway's 29 s since it received the
    // request, or the function's own timeout (minus a margin to send the answer).
    const received = event.requestContext?.requestTimeEpoch;
    const remaining = context?.getRemainingTimeInMillis?.();
    const budgetMs = Math.max(
      100,
      Math.min(
        deadlineMs,
        remaining === undefined ? Number.POSITIVE_INFINITY : remaining - ANSWER_MARGIN_MS,
        received === undefined
          ? Number.POSITIVE_INFINITY
          : received + GATEWAY_TIMEOUT_MS - ANSWER_MARGIN_MS - Date.now(),
      ),
    );
    const deadlineAt = Date.now() + budgetMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new GuardrailRefusal(
              503,
              GUARDRAIL_ERROR.deadlineExceeded,
              'ingest did not finish in time; retry',
              {
                retryAfterSeconds: 1 + Math.floor(random() * 4),
              },
            ),
          ),
        budgetMs,
      );
    });
    try {
      return await Promise.race([
        guarded(event, tenantId, maxBodyBytes, prepareRequest, startMs, deadlineAt),
        deadline,
      ]);
    } catch (error) {
      return refusalResult(error, tenantId);
    } finally {
      clearTimeout(timer);
    }
  }

  async function guarded(
    event: HttpEvent,
    tenantId: string,
    maxBodyBytes: (limits: TenantLimits) => number,
    prepareRequest: Prepare,
    startMs: number,
    deadlineAt: number,
  ) {
    // The tenant is the credential's; a request naming another one (Mimir's X-Scope-OrgID) is refused.
    for (const name of TENANT_HEADERS) {
      const named = header(event, name);
      if (named !== undefined && named.trim() !== tenantId)
        throw new ForbiddenError(`${name} names another tenant than the ingest key's`, name);
    }
    const limits = await limitsFor(tenantId);
    if (limits.requestRate > 0) {
      const bucket = { ratePerSecond: limits.requestRate, burst: Math.max(1, limits.requestBurstSize) };
      const decision =
        localRefusal(tenantId, 'requests', 1, bucket, startMs) ??
        (await takeTokensShared(tenantId, 'requests', 1, bucket, startMs));
      if (!decision.allowed) {
        throw throttled(
          tenantId,
          GUARDRAIL_ERROR.requestRateLimited,
          `request rate limit of ${limits.requestRate} requests/s (burst ${limits.requestBurstSize}) exceeded`,
          decision.retryAfterMs,
          limits.requestRate,
        );
      }
    }
    const body = rawBody(event);
    const maxBytes = maxBodyBytes(limits);
    if (body.length > maxBytes) {
      throw new GuardrailRefusal(
        413,
        GUARDRAIL_ERROR.maxRequestSize,
        `request body of ${body.length} bytes is larger than the limit of ${maxBytes} bytes`,
        { limit: maxBytes, field: 'body' },
      );
    }
    const headerKey = header(event, 'idempotency-key');
    if (headerKey !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(headerKey))
      throw new BadRequestError(
        'Idempotency-Key must be 1 to 256 printable ASCII characters',
        'idempotency-key',
      );
    const bodyHash = createHash('sha256')
      .update(tenantId)
      .update('\n')
      .update(event.path ?? '')
      .update('\n')
      .update(body)
      .digest('base64url');
    const persistenceStore = deps.idempotency.persistenceFor(tenantId);
    const config = new IdempotencyConfig({
      jmesPathOptions: jmesPathFunctions,
      eventKeyJmesPath: '[tenantId, key]',
      payloadValidationJmesPath: 'bodyHash',
      expiresAfterSeconds: IDEMPOTENCY_WINDOW_SECONDS,
      hashFunction: 'sha256',
      // The in-progress record expires with our deadline, so a request that died mid-way can be retried.
      lambdaContext: { getRemainingTimeInMillis: () => Math.max(0, deadlineAt - Date.now()) } as Context,
    });
    const input = { tenantId, key: headerKey ?? bodyHash, bodyHash };
    /** The stored answer to this very request if it completed before (asked only before refusing it). */
    const completedAnswer = async (): Promise<HttpResult | undefined> => {
      persistenceStore.configure({ config, keyPrefix: IDEMPOTENCY_KEY_PREFIX });
      try {
        const record = await persistenceStore.getRecord(input);
        return record.getStatus() === 'COMPLETED' && !record.isExpired()
          ? (record.getResponse() as unknown as HttpResult)
          : undefined;
      } catch (error) {
        if (error instanceof IdempotencyItemNotFoundError) return undefined;
        throw error;
      }
    };
    try {
      const prepared = await prepareRequest(limits, startMs, completedAnswer);
      if (typeof prepared !== 'function') return prepared;
      const idempotent = makeIdempotent(
        async (_input: { tenantId: string; key: string; bodyHash: string }) => prepared(),
        { persistenceStore, keyPrefix: IDEMPOTENCY_KEY_PREFIX, config },
      );
      return (await idempotent(input)) as HttpResult;
    } catch (error) {
      if (error instanceof IdempotencyValidationError) {
        throw new GuardrailRefusal(
          422,
          GUARDRAIL_ERROR.idempotencyKeyReused,
          'this Idempotency-Key was used within the last hour for a different body',
          { field: 'idempotency-key' },
        );
      }
      if (error instanceof IdempotencyAlreadyInProgressError) {
        throw new GuardrailRefusal(
          429,
          GUARDRAIL_ERROR.idempotencyInProgress,
          'the same request is in progress',
          {
            retryAfterSeconds: 1 + Math.floor(random() * 2),
          },
        );
      }
      throw error;
    }
  }

  function refusalResult(error: unknown, tenantId: string): HttpResult {
    if (error instanceof GuardrailRefusal) {
      const { limit, retryAfterSeconds: retryAfter, field } = error.extra;
      if (error.status === 429) emf.addMetric(METRIC.ingestThrottled, MetricUnit.Count, 1);
      return json(
        error.status,
        {
          error: {
            code: codeFor(error.status),
            id: error.id,
            message: error.message,
            ...(field ? { field } : {}),
            ...(limit === undefined ? {} : { limit }),
          },
        },
        retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
      );
    }
    if (error instanceof DomainError) {
      if (error.status >= 500) return storeUnavailable(error, tenantId);
      throw error; // bad input: the shared error mapping answers it
    }
    if (error instanceof IdempotencyUnknownError || isRetryable(error))
      return storeUnavailable(error, tenantId);
    throw error; // a bug: the shared error mapping logs it and answers 500
  }

  function storeUnavailable(error: unknown, tenantId: string): HttpResult {
    // Our own state or store failing (throttled DynamoDB, Timestream down): the collector retries.
    logger.warn('ingest unavailable', { error: error as Error, tenantId });
    const retryAfter =
      error instanceof UnavailableError ? error.retryAfterSeconds : retryAfterSeconds(1000, 1, random, 30);
    return json(
      503,
      {
        error: {
          code: 'unavailable',
          id: GUARDRAIL_ERROR.unavailable,
          message: 'ingest is unavailable; retry later',
        },
      },
      { 'retry-after': String(Math.max(1, retryAfter)) },
    );
  }

  return { run, runLogs, limitsFor };
}

/**
 * Powertools' JMESPath functions, built once (each IdempotencyConfig would build its own). Every
 * search makes a TreeInterpreter that walks the functions' prototype chain again for their names;
 * the names never change, so the walk is done here once.
 */
function sharedJmesPathFunctions() {
  const functions = new IdempotencyConfig({}).jmesPathOptions.customFunctions;
  if (functions) {
    const names = functions.introspectMethods();
    functions.introspectMethods = () => names;
  }
  return functions;
}

/** Ids already hashed, so a steady scrape of the same series hashes nothing (bounded). */
const seriesIds = new Map<string, string>();
const MAX_REMEMBERED_SERIES_IDS = 200_000;

/** Stable, short id of a series: sha-256 of its key. */
export function seriesId(sample: Sample): string {
  const key = seriesKey(sample.metric, sample.dimensions);
  let id = seriesIds.get(key);
  if (id === undefined) {
    id = createHash('sha256').update(key).digest('base64url').slice(0, 22);
    if (seriesIds.size >= MAX_REMEMBERED_SERIES_IDS) seriesIds.clear();
    seriesIds.set(key, id);
  }
  return id;
}

const minuteOf = (ms: number): number => ms - (ms % 60_000);

function codeFor(status: number): string {
  switch (status) {
    case 429:
      return 'throttled';
    case 413:
      return 'payload_too_large';
    case 422:
      return 'unprocessable';
    case 503:
      return 'unavailable';
    default:
      return 'bad_request';
  }
}
