/**
 * The engine's in-memory values. An instant vector evaluated over N steps is a list of step series
 * (one value slot per step and a presence flag), so labels are computed once per series rather than
 * once per step; a range vector is raw points per series.
 */
import { type Labels, METRIC_NAME_LABEL } from '#domain/label-matchers';
import { QueryExecutionError } from './errors';

export interface StepSeries {
  readonly labels: Labels;
  readonly values: Float64Array;
  readonly present: Uint8Array;
}

export interface PointSeries {
  readonly labels: Labels;
  readonly timestampsMs: Float64Array;
  readonly values: Float64Array;
}

export type Value =
  | { readonly kind: 'vector'; readonly series: StepSeries[] }
  | { readonly kind: 'scalar'; readonly values: Float64Array }
  | { readonly kind: 'string'; readonly value: string }
  | { readonly kind: 'matrix'; readonly series: PointSeries[] };

const SEP = '\xff';

/** A canonical key of a label set (names sorted). */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  let key = '';
  for (const n of names) key += n + SEP + labels[n] + SEP;
  return key;
}

/**
 * A string whose order is Prometheus' labels.Compare order (label pairs in name order, name then
 * value, a shorter set first): NUL separators sort below every character a label can hold.
 */
export function labelsSortKey(labels: Labels): string {
  let key = '';
  for (const n of Object.keys(labels).sort()) key += `${n}\u0000${labels[n]}\u0000`;
  return key;
}

export function dropMetricName(labels: Labels): Labels {
  if (!(METRIC_NAME_LABEL in labels)) return labels;
  const { [METRIC_NAME_LABEL]: _, ...rest } = labels;
  return rest;
}

/**
 * Sorts in place in Prometheus' series order (labels.Compare), one key computed per item; the items
 * are sorted with their keys beside them (no map lookup per comparison: a hot path of every query).
 */
export function sortByLabels<T>(items: T[], labelsOf: (item: T) => Labels): T[] {
  const keyed = items.map((item) => ({ item, key: labelsSortKey(labelsOf(item)) }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < keyed.length; i++) items[i] = keyed[i]!.item;
  return items;
}

/** Prometheus' labels.String(): `{a="1", b="2"}` with the name first when present. */
export function labelsString(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}

export const DUPLICATE_LABELSET = 'vector cannot contain metrics with the same labelset';

/**
 * Collects output series by label set. `perStep` refuses two values for one label set at one step
 * (Prometheus checks each step's vector); otherwise one label set may appear only once at all
 * (its check on a function's whole output matrix).
 */
export class SeriesCollector {
  private readonly byKey = new Map<string, StepSeries>();

  constructor(
    private readonly steps: number,
    private readonly perStep = true,
  ) {}

  target(labels: Labels, key = labelsKey(labels)): StepSeries {
    let s = this.byKey.get(key);
    if (!s) {
      s = { labels, values: new Float64Array(this.steps), present: new Uint8Array(this.steps) };
      this.byKey.set(key, s);
    } else if (!this.perStep) throw new QueryExecutionError(DUPLICATE_LABELSET);
    return s;
  }

  static set(series: StepSeries, step: number, value: number): void {
    if (series.present[step]) throw new QueryExecutionError(DUPLICATE_LABELSET);
    series.present[step] = 1;
    series.values[step] = value;
  }

  /** The series with at least one value, in the order first seen. */
  result(): StepSeries[] {
    const out: StepSeries[] = [];
    for (const s of this.byKey.values()) if (s.present.includes(1)) out.push(s);
    return out;
  }
}

/** Go's strconv.FormatFloat(v, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatPlain(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  const s = String(v);
  if (!s.includes('e')) return s;
  const [mantissa, exp] = s.split('e') as [string, string];
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace(/^-/, '').replace('.', '');
  const point =
    (mantissa.replace(/^-/, '').indexOf('.') === -1
      ? mantissa.replace(/^-/, '').length
      : mantissa.replace(/^-/, '').indexOf('.')) + Number(exp);
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
