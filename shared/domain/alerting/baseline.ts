/**
 * Dynamic thresholds: a per-series seasonal baseline and its expected band.
 *
 * Method (seasonal median / MAD): the season (a day or a week, in UTC unless an offset is given) is cut
 * into slots (`slotMinutes`, default 30). For every slot, the history's values that fell in the same
 * slot of earlier days (or weeks) give an expected value, their median, and a spread, the median
 * absolute deviation scaled by 1.4826 so that it estimates σ for normal noise. Both are robust: up to
 * half of a slot's history may be anomalous without moving them much, so past incidents do not widen the
 * band. A value is outside the band when |value − median| > sensitivity × spread; how far outside sets
 * the severity (×1 warning, ×1.5 error, ×2 critical). Slots with too little history borrow the two
 * neighbouring slots; still too little and the series is not judged (no alert from no knowledge).
 * The spread never drops below `minSpread` (absolute) nor 1 % of |median|, so a flat series does not
 * alert on rounding noise.
 */
import type { Point } from '../query';
import type { Severity } from './thresholds';

export type Seasonality = 'daily' | 'weekly';

export interface DynamicThreshold {
  readonly seasonality: Seasonality;
  /** Band half-width in robust standard deviations; default 3. */
  readonly sensitivity?: number;
  /** Which side alerts; default both. */
  readonly direction?: 'above' | 'below' | 'both';
  readonly slotMinutes?: number;
  /** Fewest history values a slot needs; default 6. */
  readonly minHistory?: number;
  readonly minSpread?: number;
  /** Local-time offset of the season's day boundary, in minutes east of UTC. */
  readonly utcOffsetMinutes?: number;
}

export const SEASON_MS: Readonly<Record<Seasonality, number>> = {
  daily: 86_400_000,
  weekly: 7 * 86_400_000,
};

/** How much history a baseline wants: four seasons. */
export const historyMs = (config: DynamicThreshold): number => 4 * SEASON_MS[config.seasonality];

export interface SlotStats {
  readonly median: number;
  readonly spread: number;
  readonly count: number;
}

export interface Baseline {
  readonly config: DynamicThreshold;
  readonly slots: readonly (SlotStats | undefined)[];
}

export interface Band {
  readonly expected: number;
  readonly lower: number;
  readonly upper: number;
}

const PRIOR_WEIGHT = 48;
const slotMs = (c: DynamicThreshold) => (c.slotMinutes ?? 30) * 60_000;

export function slotIndex(timestampMs: number, config: DynamicThreshold): number {
  const period = SEASON_MS[config.seasonality];
  const shifted = timestampMs + (config.utcOffsetMinutes ?? 0) * 60_000;
  const inSeason = ((shifted % period) + period) % period;
  return Math.floor(inSeason / slotMs(config));
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  const mid = n >> 1;
  return n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function spreadOf(residuals: number[], config: DynamicThreshold, level: number): number {
  residuals.sort((a, b) => a - b);
  const m = median(residuals);
  const deviations = residuals.map((r) => Math.abs(r - m)).sort((a, b) => a - b);
  return Math.max(1.4826 * median(deviations), config.minSpread ?? 0, Math.abs(level) * 0.01, 1e-9);
}

/**
 * Learns a baseline from a series' history (any order). Two passes: slot medians, then each slot's
 * spread from the residuals against the expectation interpolated between slot centres (so a steep
 * daily ramp inside one slot is not mistaken for noise), pooled with the neighbouring slots.
 */
export function learnBaseline(history: readonly Point[], config: DynamicThreshold): Baseline {
  const slotCount = Math.round(SEASON_MS[config.seasonality] / slotMs(config));
  const bySlot: Point[][] = Array.from({ length: slotCount }, () => []);
  // NaN and ±Inf are data, but no median or spread can be learned from them.
  for (const p of history) if (Number.isFinite(p[1])) bySlot[slotIndex(p[0], config)]?.push(p);
  const minHistory = config.minHistory ?? 6;
  const around = (i: number) => [
    ...(bySlot[i] ?? []),
    ...(bySlot[(i - 1 + slotCount) % slotCount] ?? []),
    ...(bySlot[(i + 1) % slotCount] ?? []),
  ];
  const medians = bySlot.map((points, i) => {
    const own = points.length >= minHistory ? points : around(i);
    return own.length >= minHistory ? median(own.map((p) => p[1]).sort((a, b) => a - b)) : undefined;
  });
  const partial: Baseline = {
    config,
    slots: medians.map((m) => (m === undefined ? undefined : { median: m, spread: 0, count: 0 })),
  };
  const residualsBySlot = bySlot.map((points) =>
    points.flatMap(([t, v]) => {
      const e = interpolated(partial, t);
      return e === undefined ? [] : [v - e];
    }),
  );
  const local = medians.map((m, i) => {
    if (m === undefined) return undefined;
    const residuals = [
      ...(residualsBySlot[i] ?? []),
      ...(residualsBySlot[(i - 1 + slotCount) % slotCount] ?? []),
      ...(residualsBySlot[(i + 1) % slotCount] ?? []),
    ];
    return { median: m, spread: spreadOf(residuals, config, m), n: residuals.length };
  });
  // A slot's spread from a few dozen residuals is noisy; shrink it toward the series-wide spread
  // (empirical Bayes, with the global estimate weighted as PRIOR_WEIGHT residuals).
  const known = local.filter((x) => x !== undefined);
  const global = known.length ? median(known.map((x) => x.spread).sort((a, b) => a - b)) : 0;
  const slots = local.map((x, i) => {
    if (!x) return undefined;
    const spread = Math.sqrt((x.n * x.spread ** 2 + PRIOR_WEIGHT * global ** 2) / (x.n + PRIOR_WEIGHT));
    return {
      median: x.median,
      spread: Math.max(spread, config.minSpread ?? 0, 1e-9),
      count: bySlot[i]?.length ?? 0,
    };
  });
  return { config, slots };
}

/** The expected value at t: linear between the centres of the two nearest slots that are known. */
function interpolated(baseline: Baseline, t: number): number | undefined {
  const config = baseline.config;
  const width = slotMs(config);
  const n = baseline.slots.length;
  const period = SEASON_MS[config.seasonality];
  const shifted = t + (config.utcOffsetMinutes ?? 0) * 60_000;
  const position = (((shifted % period) + period) % period) / width - 0.5;
  const lo = Math.floor(position);
  const frac = position - lo;
  const a = baseline.slots[(lo + n) % n];
  const b = baseline.slots[(lo + 1) % n];
  if (a && b) {
    // A jump of more than a quarter between neighbouring slots is a step (a weekend starting), not a
    // ramp: take the value of the slot t is in.
    if (Math.abs(b.median - a.median) > 0.25 * Math.max(Math.abs(a.median), Math.abs(b.median)))
      return frac < 0.5 ? a.median : b.median;
    return a.median + (b.median - a.median) * frac;
  }
  return (a ?? b)?.median;
}

/** The expected band at a time, or undefined when the baseline knows too little about that slot. */
export function expectedBand(baseline: Baseline, timestampMs: number): Band | undefined {
  const slot = baseline.slots[slotIndex(timestampMs, baseline.config)];
  const expected = interpolated(baseline, timestampMs);
  if (!slot || expected === undefined) return undefined;
  const width = (baseline.config.sensitivity ?? 3) * slot.spread;
  return { expected, lower: expected - width, upper: expected + width };
}

/** The severity of a value against the baseline, or undefined when inside the band (or unknown). */
export function dynamicSeverity(
  baseline: Baseline,
  timestampMs: number,
  value: number,
): Severity | undefined {
  const slot = baseline.slots[slotIndex(timestampMs, baseline.config)];
  const expected = interpolated(baseline, timestampMs);
  if (!slot || expected === undefined) return undefined;
  const direction = baseline.config.direction ?? 'both';
  const deviation = value - expected;
  if (direction === 'above' && deviation <= 0) return undefined;
  if (direction === 'below' && deviation >= 0) return undefined;
  const z = Math.abs(deviation) / slot.spread;
  const k = baseline.config.sensitivity ?? 3;
  if (z > 2 * k) return 'critical';
  if (z > 1.5 * k) return 'error';
  if (z > k) return 'warning';
  return undefined;
}
