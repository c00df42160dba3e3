/**
 * PromQL's functions over numbers, with Prometheus 2.42's arithmetic (promql/functions.go,
 * quantile.go): rate extrapolation, Kahan-compensated sums, the regression behind deriv and
 * predict_linear, classic-bucket histogram_quantile with its monotonicity fix.
 */

/** One series' points inside a range window: indices [lo, hi) of ts/vs, never empty. */
export interface Window {
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
  readonly lo: number;
  readonly hi: number;
  /** The evaluation step's time (ms). */
  readonly stepMs: number;
  /** The window's bounds, inclusive (ms). */
  readonly startMs: number;
  readonly endMs: number;
  readonly rangeMs: number;
  /** Scalar arguments besides the range (e.g. quantile_over_time's φ), this step's values. */
  readonly args: readonly number[];
  /**
   * When given, resets[i] is how many points in 1..i are below the point before them: a window
   * [lo, hi) holds a counter reset iff resets[hi - 1] > resets[lo].
   */
  readonly resets?: ArrayLike<number>;
}

/** Result value, or undefined when the function yields no sample for this window. */
export type RangeFunction = (w: Window) => number | undefined;

/** Neumaier's compensated sum step, as Prometheus' kahanSumInc. */
function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

function extrapolatedRate(w: Window, isCounter: boolean, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  const n = hi - lo;
  if (n < 2) return undefined;
  const first = vs[lo]!;
  const last = vs[hi - 1]!;
  let result = last - first;
  if (isCounter && (w.resets === undefined || w.resets[hi - 1]! > w.resets[lo]!)) {
    let prev = first;
    for (let i = lo + 1; i < hi; i++) {
      const cur = vs[i]!;
      if (cur < prev) result += prev;
      prev = cur;
    }
  }
  let durationToStart = (ts[lo]! - w.startMs) / 1000;
  const durationToEnd = (w.endMs - ts[hi - 1]!) / 1000;
  const sampledInterval = (ts[hi - 1]! - ts[lo]!) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (n - 1);
  if (isCounter && result > 0 && first >= 0) {
    const durationToZero = sampledInterval * (first / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  extrapolateToInterval += durationToStart < threshold ? durationToStart : averageDurationBetweenSamples / 2;
  extrapolateToInterval += durationToEnd < threshold ? durationToEnd : averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= w.rangeMs / 1000;
  return result * factor;
}

function instantValue(w: Window, isRate: boolean): number | undefined {
  const { ts, vs, lo, hi } = w;
  if (hi - lo < 2) return undefined;
  const last = vs[hi - 1]!;
  const prev = vs[hi - 2]!;
  let result = isRate && last < prev ? last : last - prev;
  const interval = ts[hi - 1]! - ts[hi - 2]!;
  if (interval === 0) return undefined;
  if (isRate) result /= interval / 1000;
  return result;
}

function linearRegression(w: Window, interceptTimeMs: number): [number, number] {
  const { ts, vs, lo, hi } = w;
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = vs[lo]!;
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const v = vs[i]!;
    if (constY && i > lo && v !== initY) constY = false;
    n += 1;
    const x = (ts[i]! - interceptTimeMs) / 1e3;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(v, sumY, cY);
    [sumXY, cXY] = kahanInc(x * v, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  if (constY) {
    if (!Number.isFinite(initY) && !Number.isNaN(initY)) return [Number.NaN, Number.NaN];
    return [0, initY];
  }
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  return [slope, sumY / n - (slope * sumX) / n];
}

/** Go's sort of a vectorByValueHeap: NaN first, then ascending. */
function sortNaNFirst(values: number[]): number[] {
  return values.sort((a, b) => {
    if (Number.isNaN(a)) return Number.isNaN(b) ? 0 : -1;
    if (Number.isNaN(b)) return 1;
    return a - b;
  });
}

/** Prometheus' quantile(): φ-quantile with linear interpolation between the closest ranks. */
export function quantile(q: number, input: number[]): number {
  if (input.length === 0 || Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const values = sortNaNFirst(input);
  const n = values.length;
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return values[lower]! * (1 - weight) + values[upper]! * weight;
}

function windowValues(w: Window): number[] {
  return Array.from({ length: w.hi - w.lo }, (_, k) => w.vs[w.lo + k]!);
}

function variance(w: Window): number {
  let count = 0;
  let mean = 0;
  let cMean = 0;
  let aux = 0;
  let cAux = 0;
  for (let i = w.lo; i < w.hi; i++) {
    const v = w.vs[i]!;
    count++;
    const delta = v - (mean + cMean);
    [mean, cMean] = kahanInc(delta / count, mean, cMean);
    [aux, cAux] = kahanInc(delta * (v - (mean + cMean)), aux, cAux);
  }
  return (aux + cAux) / count;
}

export const RANGE_FUNCTIONS: Readonly<Record<string, RangeFunction>> = {
  rate: (w) => extrapolatedRate(w, true, true),
  increase: (w) => extrapolatedRate(w, true, false),
  delta: (w) => extrapolatedRate(w, false, false),
  irate: (w) => instantValue(w, true),
  idelta: (w) => instantValue(w, false),
  avg_over_time: (w) => {
    let mean = 0;
    let count = 0;
    let c = 0;
    for (let i = w.lo; i < w.hi; i++) {
      const v = w.vs[i]!;
      count++;
      if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
        if (!Number.isFinite(v) && !Number.isNaN(v) && mean > 0 === v > 0) continue;
        if (Number.isFinite(v)) continue;
      }
      [mean, c] = kahanInc(v / count - mean / count, mean, c);
    }
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) return mean;
    return mean + c;
  },
  count_over_time: (w) => w.hi - w.lo,
  last_over_time: (w) => w.vs[w.hi - 1],
  present_over_time: () => 1,
  absent_over_time: () => 1,
  max_over_time: (w) => {
    let max = w.vs[w.lo]!;
    for (let i = w.lo; i < w.hi; i++) if (w.vs[i]! > max || Number.isNaN(max)) max = w.vs[i]!;
    return max;
  },
  min_over_time: (w) => {
    let min = w.vs[w.lo]!;
    for (let i = w.lo; i < w.hi; i++) if (w.vs[i]! < min || Number.isNaN(min)) min = w.vs[i]!;
    return min;
  },
  sum_over_time: (w) => {
    let sum = 0;
    let c = 0;
    for (let i = w.lo; i < w.hi; i++) [sum, c] = kahanInc(w.vs[i]!, sum, c);
    if (!Number.isFinite(sum) && !Number.isNaN(sum)) return sum;
    return sum + c;
  },
  quantile_over_time: (w) => quantile(w.args[0]!, windowValues(w)),
  stddev_over_time: (w) => Math.sqrt(variance(w)),
  stdvar_over_time: (w) => variance(w),
  resets: (w) => {
    let resets = 0;
    for (let i = w.lo + 1; i < w.hi; i++) if (w.vs[i]! < w.vs[i - 1]!) resets++;
    return resets;
  },
  changes: (w) => {
    let changes = 0;
    for (let i = w.lo + 1; i < w.hi; i++) {
      const cur = w.vs[i]!;
      const prev = w.vs[i - 1]!;
      if (cur !== prev && !(Number.isNaN(cur) && Number.isNaN(prev))) changes++;
    }
    return changes;
  },
  deriv: (w) => (w.hi - w.lo < 2 ? undefined : linearRegression(w, w.ts[w.lo]!)[0]),
  predict_linear: (w) => {
    if (w.hi - w.lo < 2) return undefined;
    const [slope, intercept] = linearRegression(w, w.stepMs);
    return slope * w.args[0]! + intercept;
  },
  holt_winters: (w) => {
    const sf = w.args[0]!;
    const tf = w.args[1]!;
    if (w.hi - w.lo < 2) return undefined;
    let s0 = 0;
    let s1 = w.vs[w.lo]!;
    let b = w.vs[w.lo + 1]! - w.vs[w.lo]!;
    for (let i = 1; i < w.hi - w.lo; i++) {
      const x = sf * w.vs[w.lo + i]!;
      b = i - 1 === 0 ? b : tf * (s1 - s0) + (1 - tf) * b;
      const y = (1 - sf) * (s1 + b);
      s0 = s1;
      s1 = x + y;
    }
    return s1;
  },
};

/** Range functions whose scalar arguments come before (index 0) or after the range. */
export const RANGE_ARGUMENT_INDEX: Readonly<Record<string, number>> = { quantile_over_time: 1 };

/** Go's math.Pow special cases where JavaScript's differs (1^NaN and (-1)^±Inf are 1 in Go). */
export function goPow(x: number, y: number): number {
  if (y === 0 || x === 1) return 1;
  if (x === -1 && (y === Number.POSITIVE_INFINITY || y === Number.NEGATIVE_INFINITY)) return 1;
  return x ** y;
}

const dateOf = (seconds: number) => new Date(Math.trunc(seconds) * 1000);

/** Element-wise functions of one instant vector (the metric name is dropped). */
export const VECTOR_FUNCTIONS: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  ceil: Math.ceil,
  floor: Math.floor,
  exp: Math.exp,
  sqrt: Math.sqrt,
  ln: Math.log,
  log2: Math.log2,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  asinh: Math.asinh,
  acosh: Math.acosh,
  atanh: Math.atanh,
  rad: (v) => (v * Math.PI) / 180,
  deg: (v) => (v * 180) / Math.PI,
  sgn: (v) => (v < 0 ? -1 : v > 0 ? 1 : v),
};

/** Date functions of a Unix time in seconds, in UTC (Go's time.Unix(int64(v), 0).UTC()). */
export const DATE_FUNCTIONS: Readonly<Record<string, (seconds: number) => number>> = {
  days_in_month: (s) => {
    const d = dateOf(s);
    return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  },
  day_of_month: (s) => dateOf(s).getUTCDate(),
  day_of_week: (s) => dateOf(s).getUTCDay(),
  day_of_year: (s) => {
    const d = dateOf(s);
    return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
  },
  hour: (s) => dateOf(s).getUTCHours(),
  minute: (s) => dateOf(s).getUTCMinutes(),
  month: (s) => dateOf(s).getUTCMonth() + 1,
  year: (s) => dateOf(s).getUTCFullYear(),
};

export interface Bucket {
  upperBound: number;
  count: number;
}

/** Prometheus' bucketQuantile over classic buckets (`le`), with its coalescing and monotonicity fix. */
export function bucketQuantile(q: number, input: Bucket[]): number {
  if (Number.isNaN(q)) return Number.NaN;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const sorted = [...input].sort((a, b) => a.upperBound - b.upperBound);
  if (sorted[sorted.length - 1]!.upperBound !== Number.POSITIVE_INFINITY) return Number.NaN;
  const buckets: Bucket[] = [];
  for (const b of sorted) {
    const last = buckets[buckets.length - 1];
    if (last && last.upperBound === b.upperBound) last.count += b.count;
    else buckets.push({ ...b });
  }
  let max = buckets[0]!.count;
  for (let i = 1; i < buckets.length; i++) {
    if (buckets[i]!.count > max) max = buckets[i]!.count;
    else if (buckets[i]!.count < max) buckets[i]!.count = max;
  }
  if (buckets.length < 2) return Number.NaN;
  const observations = buckets[buckets.length - 1]!.count;
  if (observations === 0) return Number.NaN;
  let rank = q * observations;
  // sort.Search over all but the +Inf bucket.
  let b = 0;
  while (b < buckets.length - 1 && !(buckets[b]!.count >= rank)) b++;
  if (b === buckets.length - 1) return buckets[buckets.length - 2]!.upperBound;
  if (b === 0 && buckets[0]!.upperBound <= 0) return buckets[0]!.upperBound;
  let bucketStart = 0;
  const bucketEnd = buckets[b]!.upperBound;
  let count = buckets[b]!.count;
  if (b > 0) {
    bucketStart = buckets[b - 1]!.upperBound;
    count -= buckets[b - 1]!.count;
    rank -= buckets[b - 1]!.count;
  }
  return bucketStart + (bucketEnd - bucketStart) * (rank / count);
}

/** Go's strconv.ParseFloat for an `le` label value; undefined when it is not a number. */
export function parseGoFloat(text: string): number | undefined {
  const t = text.toLowerCase();
  if (/^[+-]?(inf|infinity)$/.test(t))
    return t.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  if (/^[+-]?nan$/.test(t)) return Number.NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(t) || /^[+-]?0x[0-9a-f]+$/.test(t)) {
    return t.includes('x')
      ? (t.startsWith('-') ? -1 : 1) * Number.parseInt(t.replace(/^[+-]?0x/, ''), 16)
      : Number(t);
  }
  return undefined;
}
