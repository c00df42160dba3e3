/**
 * Compares two answers to one PromQL query in the Prometheus HTTP API's `data` shape
 * ({resultType, result}, values as strings, times as float seconds): same series, same timestamps,
 * values within 1e-6 relative, NaN equal to NaN. Used against a real Prometheus for the engine and,
 * through the platform's /api/v1 endpoints, for the whole read path.
 */
import type { Labels } from '#domain/label-matchers';
import { parseSampleValue, specialValueText } from '#domain/special-values';
import type { QueryResult } from '#promql/engine';
import { labelsKey, labelsString } from '#promql/series';

type ApiSample = [number, string];

export type ApiData =
  | { resultType: 'vector'; result: { metric: Labels; value: ApiSample }[] }
  | { resultType: 'matrix'; result: { metric: Labels; values: ApiSample[] }[] }
  | { resultType: 'scalar' | 'string'; result: ApiSample };

/** The answer of a Prometheus-compatible /api/v1/query or query_range: data, or the error. */
export type ApiAnswer =
  | { status: 'success'; data: ApiData }
  | { status: 'error'; errorType: string; error: string };

const text = (v: number) => specialValueText(v) ?? String(v);

/** The engine's result in the HTTP API's shape. */
export function toApiData(r: QueryResult): ApiData {
  switch (r.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        result: r.result.map((s) => ({ metric: s.metric, value: [s.timeMs / 1000, text(s.value)] })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: r.result.map((s) => ({
          metric: s.metric,
          values: s.timestampsMs.map((t, i): ApiSample => [t / 1000, text(s.values[i]!)]),
        })),
      };
    case 'scalar':
      return { resultType: 'scalar', result: [r.result.timeMs / 1000, text(r.result.value)] };
    case 'string':
      return { resultType: 'string', result: [r.result.timeMs / 1000, r.result.value] };
  }
}

/** Prometheus' almostEqual: relative error below 1e-6, NaN equal to NaN. */
export function almostEqual(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const diff = Math.abs(a - b);
  if (!Number.isFinite(diff)) return false;
  return diff / Math.max(Math.abs(a), Math.abs(b)) <= 1e-6 || diff < 1e-300;
}

const num = (s: string) => parseSampleValue(s) ?? Number.NaN;
const ms = (t: number) => Math.round(t * 1000);

function samplesMatch(want: ApiSample, got: ApiSample): boolean {
  if (ms(want[0]) !== ms(got[0])) return false;
  return almostEqual(num(want[1]), num(got[1]));
}

export interface CompareOptions {
  /** Compare the order of an instant vector's values too (sort, sort_desc). */
  readonly ordered?: boolean;
}

/** Undefined when both answers agree; otherwise what differs, in one line. */
export function compareAnswers(
  want: ApiAnswer,
  got: ApiAnswer,
  options: CompareOptions = {},
): string | undefined {
  if (want.status === 'error' || got.status === 'error') {
    if (want.status === 'error' && got.status === 'error') return undefined;
    return want.status === 'error'
      ? `expected error "${want.error}", got a ${got.status === 'success' ? got.data.resultType : ''} result`
      : `unexpected error: ${(got as { error: string }).error}`;
  }
  return compareData(want.data, got.data, options);
}

export function compareData(want: ApiData, got: ApiData, options: CompareOptions = {}): string | undefined {
  if (want.resultType !== got.resultType) return `result type ${got.resultType}, want ${want.resultType}`;
  if (want.resultType === 'scalar' || want.resultType === 'string') {
    const g = got.result as ApiSample;
    if (want.resultType === 'string')
      return want.result[1] === g[1] ? undefined : `string ${g[1]}, want ${want.result[1]}`;
    return samplesMatch(want.result, g)
      ? undefined
      : `scalar ${g[1]}@${g[0]}, want ${want.result[1]}@${want.result[0]}`;
  }
  type Entry = { metric: Labels; value?: ApiSample; values?: ApiSample[] };
  const wantSeries = want.result as Entry[];
  const gotSeries = got.result as Entry[];
  const wantByKey = new Map(wantSeries.map((s) => [labelsKey(s.metric), s] as const));
  const gotByKey = new Map(gotSeries.map((s) => [labelsKey(s.metric), s] as const));
  const missing = [...wantByKey.keys()].filter((k) => !gotByKey.has(k));
  const extra = [...gotByKey.keys()].filter((k) => !wantByKey.has(k));
  if (missing.length > 0 || extra.length > 0 || wantSeries.length !== gotSeries.length) {
    const show = (keys: string[], from: Map<string, { metric: Labels }>) =>
      keys
        .slice(0, 3)
        .map((k) => labelsString(from.get(k)!.metric))
        .join(' ');
    return `series differ: ${missing.length} missing (${show(missing, wantByKey)}), ${extra.length} extra (${show(extra, gotByKey)}), ${gotSeries.length} got vs ${wantSeries.length} want`;
  }
  for (const [key, w] of wantByKey) {
    const g = gotByKey.get(key)!;
    if (w.value) {
      const gv = g.value ?? [Number.NaN, ''];
      if (!samplesMatch(w.value, gv))
        return `${labelsString(w.metric)}: ${gv[1]}@${gv[0]}, want ${w.value[1]}@${w.value[0]}`;
      continue;
    }
    const gv = g.values ?? [];
    const wv = w.values ?? [];
    if (gv.length !== wv.length) return `${labelsString(w.metric)}: ${gv.length} points, want ${wv.length}`;
    for (let i = 0; i < gv.length; i++)
      if (!samplesMatch(wv[i]!, gv[i]!))
        return `${labelsString(w.metric)}: point ${i} ${gv[i]![1]}@${gv[i]![0]}, want ${wv[i]![1]}@${wv[i]![0]}`;
  }
  if (options.ordered && want.resultType === 'vector') {
    const values = (entries: Entry[]) => entries.map((s) => s.value?.[1]).join(',');
    if (values(wantSeries) !== values(gotSeries))
      return `order differs: ${values(gotSeries)}, want ${values(wantSeries)}`;
  }
  return undefined;
}
