import { describe, expect, it } from 'vitest';
import { HA_UPDATE_TIMEOUT_MS, haDecision } from '#domain/guardrails/ha';
import {
  DEFAULT_TENANT_LIMITS,
  effectiveLimits,
  STORE_CAPS,
  tenantLimitOverridesSchema,
} from '#domain/guardrails/limits';
import { sampleLimitViolation } from '#domain/guardrails/sample-limits';
import { burstUsed, retryAfterSeconds, takeTokens } from '#domain/guardrails/token-bucket';
import { limitUsage, limitWarnings } from '#domain/guardrails/usage';

describe('token bucket (GCRA)', () => {
  const spec = { ratePerSecond: 10, burst: 100 };

  it('lets a full bucket give its burst at once, then refuses with the exact wait', () => {
    const first = takeTokens(undefined, 0, 100, spec);
    expect(first).toMatchObject({ allowed: true, remaining: 0 });
    const refused = takeTokens(first.tatMs, 0, 5, spec);
    expect(refused).toMatchObject({ allowed: false, retryAfterMs: 500, tatMs: first.tatMs });
    expect(takeTokens(first.tatMs, 500, 5, spec).allowed).toBe(true);
  });

  it('refills at the rate and never beyond the burst', () => {
    const empty = takeTokens(undefined, 0, 100, spec).tatMs;
    expect(takeTokens(empty, 3000, 30, spec).allowed).toBe(true);
    expect(takeTokens(empty, 3000, 31, spec).allowed).toBe(false);
    // An hour idle still holds only the burst.
    expect(takeTokens(empty, 3_600_000, 101, spec).allowed).toBe(false);
    expect(takeTokens(empty, 3_600_000, 100, spec).allowed).toBe(true);
  });

  it('treats a zero rate as no limit, and reports how much of the burst is used', () => {
    expect(takeTokens(undefined, 0, 1e9, { ratePerSecond: 0, burst: 0 }).allowed).toBe(true);
    const tat = takeTokens(undefined, 0, 50, spec).tatMs;
    expect(burstUsed(tat, 0, spec)).toBe(0.5);
    expect(burstUsed(tat, 10_000, spec)).toBe(0);
  });

  it('backs Retry-After off exponentially over refusals in a row, with jitter, capped', () => {
    expect(retryAfterSeconds(300, 1, () => 0)).toBe(1);
    expect(retryAfterSeconds(2500, 1, () => 0)).toBe(3);
    expect(retryAfterSeconds(1000, 3, () => 0)).toBe(4);
    expect(retryAfterSeconds(1000, 3, () => 0.99)).toBe(7);
    expect(retryAfterSeconds(1000, 20, () => 0.99)).toBe(60);
  });
});

describe('HA leader decision', () => {
  it('elects the first replica, refreshes its heartbeat only every update timeout, fails over after the timeout', () => {
    expect(haDecision(undefined, 'a', 0, 30_000)).toEqual({ accept: true, write: 'elect' });
    const leader = { replica: 'a', lastSeenMs: 0 };
    expect(haDecision(leader, 'a', HA_UPDATE_TIMEOUT_MS - 1, 30_000)).toEqual({
      accept: true,
      write: 'none',
    });
    expect(haDecision(leader, 'a', HA_UPDATE_TIMEOUT_MS, 30_000)).toEqual({ accept: true, write: 'refresh' });
    expect(haDecision(leader, 'b', 30_000, 30_000)).toEqual({ accept: false, leader: 'a' });
    expect(haDecision(leader, 'b', 30_001, 30_000)).toEqual({ accept: true, write: 'elect' });
    // A short failover timeout refreshes the heartbeat at half of it.
    expect(haDecision(leader, 'a', 1500, 3000)).toEqual({ accept: true, write: 'refresh' });
  });
});

describe('per-sample limits', () => {
  const limits = {
    ...DEFAULT_TENANT_LIMITS,
    maxLabelNamesPerSeries: 2,
    maxLabelNameLength: 4,
    maxLabelValueLength: 3,
  };
  const sample = (dimensions: Record<string, string>, timestampMs = 1_000_000) => ({
    metric: 'm',
    dimensions,
    timestampMs,
    value: 1,
  });

  it('names the first violated limit with its value and field', () => {
    expect(sampleLimitViolation(sample({ a: '1', b: '2', c: '3' }), limits, 1_000_000)).toMatchObject({
      reason: 'max-label-names-per-series',
      limit: 2,
    });
    expect(sampleLimitViolation(sample({ abcde: '1' }), limits, 1_000_000)).toMatchObject({
      reason: 'label-name-too-long',
      limit: 4,
    });
    // Bytes, not characters: "é" is two bytes.
    expect(sampleLimitViolation(sample({ a: 'éé' }), limits, 1_000_000)).toMatchObject({
      reason: 'label-value-too-long',
      field: 'dimensions.a',
    });
    expect(sampleLimitViolation(sample({ a: 'abc' }), limits, 1_000_000)).toBeUndefined();
  });

  it('bounds the sample age and future skew', () => {
    const now = 100 * 86_400_000;
    const tooOld = now - limits.maxSampleAgeSeconds * 1000 - 1;
    expect(sampleLimitViolation(sample({}, tooOld), limits, now)?.reason).toBe('sample-too-old');
    expect(sampleLimitViolation(sample({}, tooOld + 1), limits, now)).toBeUndefined();
    const tooNew = now + limits.maxFutureSkewSeconds * 1000 + 1;
    expect(sampleLimitViolation(sample({}, tooNew), limits, now)?.reason).toBe('sample-too-far-in-future');
  });

  it('judges a shared dimensions object again under other limits, and every sample by its own time', () => {
    const shared = { a: 'abcd' };
    expect(sampleLimitViolation(sample(shared), limits, 1_000_000)?.reason).toBe('label-value-too-long');
    const roomier = { ...limits, maxLabelValueLength: 10 };
    expect(sampleLimitViolation(sample(shared), roomier, 1_000_000)).toBeUndefined();
    const tooOld = 1_000_000 - roomier.maxSampleAgeSeconds * 1000 - 1;
    expect(sampleLimitViolation(sample(shared, tooOld), roomier, 1_000_000)?.reason).toBe('sample-too-old');
    expect(sampleLimitViolation(sample(shared), roomier, 1_000_000)).toBeUndefined();
  });
});

describe('limits model', () => {
  it('overlays overrides on the defaults, HA field by field', () => {
    const limits = effectiveLimits({ ingestionRate: 5, ha: { enabled: true, replicaLabel: 'replica' } });
    expect(limits.ingestionRate).toBe(5);
    expect(limits.maxActiveSeries).toBe(DEFAULT_TENANT_LIMITS.maxActiveSeries);
    expect(limits.ha).toEqual({ ...DEFAULT_TENANT_LIMITS.ha, enabled: true, replicaLabel: 'replica' });
  });

  it('keeps defaults within what the stores can hold and refuses overrides beyond it', () => {
    for (const [name, cap] of Object.entries(STORE_CAPS))
      expect(DEFAULT_TENANT_LIMITS[name as keyof typeof STORE_CAPS]).toBeLessThanOrEqual(cap);
    expect(
      tenantLimitOverridesSchema.safeParse({ maxLabelValueLength: STORE_CAPS.maxLabelValueLength + 1 })
        .success,
    ).toBe(false);
    expect(tenantLimitOverridesSchema.safeParse({ ingestionRate: 0 }).success).toBe(false);
    expect(tenantLimitOverridesSchema.safeParse({ ha: { replicaLabel: '1bad' } }).success).toBe(false);
  });

  it('reports usage per limit and warns from 80 %', () => {
    const usage = limitUsage(
      { activeSeries: 120_000, samplesPerSecond: 1000, requestsPerSecond: 1, ingestionBurstUsed: 0.9 },
      DEFAULT_TENANT_LIMITS,
    );
    expect(limitWarnings(usage).map((u) => u.limit)).toEqual(['maxActiveSeries', 'ingestionBurstSize']);
  });
});
