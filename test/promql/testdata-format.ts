/**
 * A reader and runner for Prometheus' promql test-file format (promql/test.go): `load <interval>`
 * blocks of series in expanding notation (`0+10x5`, `_`, `stale`, `1x3`), then `eval instant at <time>
 * <query>` / `eval_ordered` / `eval_fail` with the expected samples below. Our own cases in this format
 * live in test/promql/testdata/*.test.
 */
import type { Labels } from '#domain/label-matchers';
import { compileMatchers } from '#domain/label-matchers';
import { parseSampleValue } from '#domain/special-values';
import type { RawSeries, SelectSeries } from '#ports/series-source';
import { evaluateInstant, type QueryResult } from '#promql/engine';
import { parseDurationMs, parseExpr } from '#promql/parser';
import { labelsKey, labelsString } from '#promql/series';

export interface EvalCase {
  readonly line: number;
  readonly query: string;
  readonly timeMs: number;
  readonly mode: 'eval' | 'ordered' | 'fail';
  /** Expected samples; `labels` undefined for a scalar result. */
  readonly expected: { labels: Labels | undefined; value: number }[];
  /** The series loaded when this case runs. */
  readonly series: readonly RawSeries[];
}

function parseLabels(text: string, line: number): Labels {
  if (text === '{}') return {};
  const expr = parseExpr(text);
  if (expr.type !== 'VectorSelector') throw new Error(`line ${line}: expected a series, got ${text}`);
  const labels: Record<string, string> = {};
  for (const m of expr.matchers) labels[m.name] = m.value;
  return labels;
}

function parseValue(text: string, line: number): number {
  const v = parseSampleValue(text);
  if (v === undefined) throw new Error(`line ${line}: bad value ${text}`);
  return v;
}

/** Expands `0+10x3 _ stale 5` into per-step values (undefined: no sample; 'stale': a stale marker). */
export function expandValues(tokens: readonly string[], line: number): (number | 'stale' | undefined)[] {
  const out: (number | 'stale' | undefined)[] = [];
  for (const token of tokens) {
    if (token === '_') out.push(undefined);
    else if (token === 'stale') out.push('stale');
    else {
      const m = /^(_|[^x]+?)(?:([+-])([^x]+))?x(\d+)$/.exec(token);
      if (!m) {
        out.push(parseValue(token, line));
        continue;
      }
      const times = Number(m[4]);
      if (m[1] === '_') {
        for (let i = 0; i < times; i++) out.push(undefined);
        continue;
      }
      const start = parseValue(m[1]!, line);
      const step = m[3] ? (m[2] === '-' ? -1 : 1) * parseValue(m[3], line) : 0;
      for (let i = 0; i <= times; i++) out.push(start + step * i);
    }
  }
  return out;
}

function splitSeriesLine(text: string): [string, string] {
  // The series is everything up to the closing brace, or the first whitespace when it has none.
  const brace = text.indexOf('}');
  const cut = brace >= 0 ? brace + 1 : text.search(/\s/);
  return cut < 0 ? [text, ''] : [text.slice(0, cut), text.slice(cut).trim()];
}

/** Reads a test file into its eval cases. */
export function parseTestFile(text: string): EvalCase[] {
  const lines = text.split('\n');
  const cases: EvalCase[] = [];
  let series: RawSeries[] = [];
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.trim();
    if (raw === '' || raw.startsWith('#')) continue;
    if (raw === 'clear') {
      series = [];
      continue;
    }
    const load = /^load\s+(\S+)$/.exec(raw);
    if (load) {
      const interval = parseDurationMs(load[1]!);
      if (!interval) throw new Error(`line ${i + 1}: bad interval`);
      series = [...series];
      while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!) && !lines[i + 1]!.trim().startsWith('#')) {
        i++;
        const [metric, values] = splitSeriesLine(lines[i]!.trim());
        const labels = parseLabels(metric, i + 1);
        const expanded = expandValues(values.split(/\s+/).filter(Boolean), i + 1);
        const timestampsMs: number[] = [];
        const vs: number[] = [];
        const stale: number[] = [];
        expanded.forEach((v, step) => {
          if (v === undefined) return;
          timestampsMs.push(step * interval);
          vs.push(v === 'stale' ? Number.NaN : v);
          stale.push(v === 'stale' ? 1 : 0);
        });
        series.push({ labels, timestampsMs, values: vs, stale: Uint8Array.from(stale) });
      }
      continue;
    }
    const evalLine = /^eval(?:_(fail|ordered))?\s+instant\s+at\s+(\S+)\s+(.+)$/.exec(raw);
    if (!evalLine) throw new Error(`line ${i + 1}: cannot read ${JSON.stringify(raw)}`);
    const at = evalLine[2]!;
    const timeMs = /^\d+$/.test(at) ? Number(at) * 1000 : parseDurationMs(at);
    if (timeMs === undefined) throw new Error(`line ${i + 1}: bad time ${at}`);
    const expected: EvalCase['expected'] = [];
    const start = i + 1;
    while (i + 1 < lines.length && /^\s+\S/.test(lines[i + 1]!)) {
      i++;
      const text = lines[i]!.trim();
      if (/^[^{\s]*\{|^[a-zA-Z_:][\w:]*\s/.test(text)) {
        const [metric, value] = splitSeriesLine(text);
        expected.push({ labels: parseLabels(metric, i + 1), value: parseValue(value, i + 1) });
      } else expected.push({ labels: undefined, value: parseValue(text, i + 1) });
    }
    cases.push({
      line: start,
      query: evalLine[3]!,
      timeMs,
      mode: evalLine[1] === 'fail' ? 'fail' : evalLine[1] === 'ordered' ? 'ordered' : 'eval',
      expected,
      series,
    });
  }
  return cases;
}

/** An in-memory SelectSeries over fixed series: matchers and the time range applied as a store would. */
export function memorySelect(series: readonly RawSeries[]): SelectSeries {
  return async ({ matchers, startMs, endMs }) => {
    const matches = compileMatchers(matchers);
    const out: RawSeries[] = [];
    for (const s of series) {
      if (!matches(s.labels)) continue;
      const keep: number[] = [];
      for (let i = 0; i < s.timestampsMs.length; i++) {
        const t = s.timestampsMs[i]!;
        if (t >= startMs && t <= endMs) keep.push(i);
      }
      if (keep.length === 0) continue;
      out.push({
        labels: s.labels,
        timestampsMs: keep.map((i) => s.timestampsMs[i]!),
        values: keep.map((i) => s.values[i]!),
        ...(s.stale ? { stale: Uint8Array.from(keep.map((i) => s.stale![i]!)) } : {}),
      });
    }
    return out;
  };
}

const almostEqual = (a: number, b: number) => {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (a === b) return true;
  const diff = Math.abs(a - b);
  if (a === 0 || b === 0 || diff < Number.MIN_VALUE) return diff < 1e-6 * Number.MIN_VALUE;
  return diff / (Math.abs(a) + Math.abs(b)) < 1e-6;
};

/** Runs one case; returns a description of the mismatch, or undefined when it passes. */
export async function runCase(c: EvalCase): Promise<string | undefined> {
  let result: QueryResult;
  try {
    result = await evaluateInstant({
      query: c.query,
      timeMs: c.timeMs,
      select: memorySelect(c.series),
      limits: { maxSamples: 50_000_000, timeoutMs: 10_000 },
    });
  } catch (e) {
    return c.mode === 'fail' ? undefined : `unexpected error: ${(e as Error).message}`;
  }
  if (c.mode === 'fail') return `expected an error, got ${result.resultType}`;
  if (result.resultType === 'scalar') {
    const want = c.expected[0];
    if (!want || c.expected.length !== 1 || want.labels !== undefined)
      return `got scalar ${result.result.value}`;
    return almostEqual(want.value, result.result.value)
      ? undefined
      : `scalar ${result.result.value} != ${want.value}`;
  }
  if (result.resultType !== 'vector') return `unexpected result type ${result.resultType}`;
  const got = result.result;
  if (got.length !== c.expected.length)
    return `got ${got.length} samples, want ${c.expected.length}: ${got.map((s) => `${labelsString(s.metric)} ${s.value}`).join('; ')}`;
  for (let i = 0; i < c.expected.length; i++) {
    const want = c.expected[i]!;
    const key = labelsKey(want.labels ?? {});
    const index = c.mode === 'ordered' ? i : got.findIndex((s) => labelsKey(s.metric) === key);
    const sample = got[index];
    if (!sample || labelsKey(sample.metric) !== key) return `missing ${labelsString(want.labels ?? {})}`;
    if (!almostEqual(want.value, sample.value))
      return `${labelsString(want.labels ?? {})}: got ${sample.value}, want ${want.value}`;
  }
  return undefined;
}
