/**
 * The PromQL engine: Prometheus 2.42's evaluation semantics (promql/engine.go) over series read
 * through the SelectSeries port. Pure: no I/O besides `select`, which is called once per distinct
 * selector, with the time range the whole query needs from it, before evaluation starts; evaluation
 * itself is synchronous and checks the deadline and the caller's AbortSignal as it goes.
 *
 * Evaluation is step-wise like Prometheus' range evaluation: every node yields, for each series, one
 * value slot per evaluation step; an instant query is a range query of one step.
 */
import {
  compileMatchers,
  type LabelMatcher,
  type Labels,
  METRIC_NAME_LABEL,
  re2Source,
} from '#domain/label-matchers';
import type { RawSeries, SelectSeries, StreamSeries } from '#ports/series-source';
import {
  type AggregateExpr,
  type AtModifier,
  type BinaryExpr,
  type Call,
  COMPARISON_OPS,
  type Expr,
  type MatrixSelector,
  type SubqueryExpr,
  typeOf,
  type VectorSelector,
} from './ast';
import { BadQueryError, QueryExecutionError } from './errors';
import {
  type Bucket,
  bucketQuantile,
  DATE_FUNCTIONS,
  goPow,
  parseGoFloat,
  quantile,
  RANGE_ARGUMENT_INDEX,
  RANGE_FUNCTIONS,
  type RangeFunction,
  VECTOR_FUNCTIONS,
  type Window,
} from './functions';
import { QueryCanceledError, QueryLimitError, type QueryLimits } from './limits';
import { parseExpr } from './parser';
import {
  DUPLICATE_LABELSET,
  dropMetricName,
  formatFloatPlain,
  labelsKey,
  labelsSortKey,
  labelsString,
  type PointSeries,
  SeriesCollector,
  type StepSeries,
  sortByLabels,
  type Value,
} from './series';

/** Prometheus' defaults: --query.lookback-delta and the global evaluation_interval. */
export const DEFAULT_LOOKBACK_DELTA_MS = 5 * 60_000;
export const DEFAULT_SUBQUERY_STEP_MS = 60_000;

interface CommonQuery {
  readonly query: string;
  readonly select: SelectSeries;
  /**
   * The store's series one at a time, for aggregations folded series by series; when absent they
   * are streamed from `select`'s answer.
   */
  readonly stream?: StreamSeries;
  readonly limits: QueryLimits;
  readonly signal?: AbortSignal;
  readonly lookbackDeltaMs?: number;
  /** The step of a subquery written without one (`[5m:]`). */
  readonly defaultSubqueryStepMs?: number;
}

export interface InstantQuery extends CommonQuery {
  readonly timeMs: number;
}

export interface RangeQuery extends CommonQuery {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

export interface InstantSample {
  readonly metric: Labels;
  readonly timeMs: number;
  readonly value: number;
}

export interface RangeSeries {
  readonly metric: Labels;
  readonly timestampsMs: number[];
  readonly values: number[];
}

export type QueryResult =
  | { readonly resultType: 'vector'; readonly result: InstantSample[]; readonly warnings: string[] }
  | { readonly resultType: 'matrix'; readonly result: RangeSeries[]; readonly warnings: string[] }
  | {
      readonly resultType: 'scalar';
      readonly result: { timeMs: number; value: number };
      readonly warnings: string[];
    }
  | {
      readonly resultType: 'string';
      readonly result: { timeMs: number; value: string };
      readonly warnings: string[];
    };

/** Evaluates `query` at one instant (Prometheus' /api/v1/query). */
export async function evaluateInstant(q: InstantQuery): Promise<QueryResult> {
  const expr = parseExpr(q.query);
  const ev = await Evaluator.prepare(expr, q, q.timeMs, q.timeMs, 1);
  const value = ev.run(expr);
  const t = q.timeMs;
  switch (value.kind) {
    case 'scalar':
      return { resultType: 'scalar', result: { timeMs: t, value: value.values[0]! }, warnings: [] };
    case 'string':
      return { resultType: 'string', result: { timeMs: t, value: value.value }, warnings: [] };
    case 'vector':
      return {
        resultType: 'vector',
        result: value.series.map((s) => ({ metric: s.labels, timeMs: t, value: s.values[0]! })),
        warnings: [],
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: value.series.map((s) => ({
          metric: s.labels,
          timestampsMs: Array.from(s.timestampsMs),
          values: Array.from(s.values),
        })),
        warnings: [],
      };
  }
}

/** Evaluates `query` at every step from start to end (Prometheus' /api/v1/query_range). */
export async function evaluateRange(q: RangeQuery): Promise<QueryResult> {
  if (!(q.stepMs > 0))
    throw new BadQueryError('zero or negative query resolution step widths are not accepted');
  if (q.endMs < q.startMs) throw new BadQueryError('end timestamp must not be before start time');
  const expr = parseExpr(q.query);
  const type = typeOf(expr);
  if (type !== 'vector' && type !== 'scalar') {
    const name = type === 'matrix' ? 'range vector' : type;
    throw new BadQueryError(
      `invalid expression type "${name}" for range query, must be Scalar or instant Vector`,
    );
  }
  const ev = await Evaluator.prepare(expr, q, q.startMs, q.endMs, q.stepMs);
  const value = ev.run(expr);
  const times = ev.times;
  const toRange = (labels: Labels, values: Float64Array, present: Uint8Array | undefined): RangeSeries => {
    const timestampsMs: number[] = [];
    const out: number[] = [];
    for (let i = 0; i < times.length; i++) {
      if (present && !present[i]) continue;
      timestampsMs.push(times[i]!);
      out.push(values[i]!);
    }
    return { metric: labels, timestampsMs, values: out };
  };
  if (value.kind === 'scalar')
    return { resultType: 'matrix', result: [toRange({}, value.values, undefined)], warnings: [] };
  if (value.kind !== 'vector')
    throw new QueryExecutionError(`unexpected ${value.kind} result for a range query`);
  const result = value.series
    .map((s) => toRange(s.labels, s.values, s.present))
    .filter((s) => s.values.length > 0);
  sortByLabels(result, (s) => s.metric);
  return { resultType: 'matrix', result, warnings: [] };
}

/** One fetched series, ready for evaluation: sorted labels order, typed arrays, stale flags. */
interface LoadedSeries {
  readonly labels: Labels;
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
  readonly stale: Uint8Array | undefined;
}

/** A series' points without stale markers (what range selectors see). */
interface RangePoints {
  readonly labels: Labels;
  readonly ts: ArrayLike<number>;
  readonly vs: ArrayLike<number>;
}

/** The times one evaluation context runs at. */
interface Frame {
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
}

const selectorKey = (matchers: readonly LabelMatcher[]) =>
  matchers
    .map((m) => `${m.name}\u0000${m.op}\u0000${m.value}`)
    .sort()
    .join('\u0001');

/** Series per distinct selector, and the range each needs. */
interface Selection {
  readonly matchers: readonly LabelMatcher[];
  minMs: number;
  maxMs: number;
  series: LoadedSeries[];
  rangePoints?: RangePoints[];
  /**
   * Nodes of this selector evaluated as its series stream in: aggregations folded series by series
   * (streamedInput) and range-function calls computed series by series (streamedCall).
   */
  readonly folds: (AggregateExpr | Call)[];
  /** Whether any other node reads this selector's series: then they are all held, none folded. */
  held: boolean;
}

/**
 * Aggregations evaluated while the store streams: `sum/avg/min/max/count/group/stddev/stdvar
 * [by|without (…)] (f(sel[r]))` for a range function of one argument, or of a bare instant selector.
 */
const FOLDED_AGGREGATIONS: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'group',
  'stddev',
  'stdvar',
]);

/**
 * The range selector of a call computed series by series: a range function of one argument (its
 * output is the same whether its input streams or is held), else undefined. Parenthesised inputs are
 * held, here and in streamedInput: the tests compare the two paths through that spelling.
 */
function streamedCall(e: Call): MatrixSelector | undefined {
  if (e.args.length !== 1 || e.func === 'absent_over_time' || !RANGE_FUNCTIONS[e.func]) return undefined;
  const arg = e.args[0]!;
  return arg.type === 'MatrixSelector' ? arg : undefined;
}

/** The selector (and range function) of an aggregation that can be folded, else undefined. */
function streamedInput(e: AggregateExpr): { selector: VectorSelector; call?: Call } | undefined {
  if (!FOLDED_AGGREGATIONS.has(e.op)) return undefined;
  const inner = e.expr;
  if (inner.type === 'VectorSelector') return { selector: inner };
  const matrix = inner.type === 'Call' ? streamedCall(inner) : undefined;
  return matrix ? { selector: matrix.selector, call: inner as Call } : undefined;
}

/** A range-function call computed as its selector streamed in, and what rangeCall checks of it. */
interface StreamedCall {
  readonly series: StepSeries[];
  readonly windowPeak: number;
  readonly duplicate: boolean;
}

/**
 * A folded aggregation's result, and what evaluating its input would have held, so max_samples
 * and the duplicate-labelset check refuse exactly what they refuse unfolded.
 */
interface FoldedAggregation {
  readonly value: Value;
  /** Samples the input (the range function's or selector's output) held. */
  readonly inputSamples: number;
  /** The range function's largest window. */
  readonly windowPeak: number;
  /** Two input series with one label set once the function dropped the metric name. */
  readonly duplicate: boolean;
}

const DEADLINE_CHECK_EVERY = 256;

class Evaluator {
  /** Steps of the current frame. */
  times: number[] = [];
  private frame: Frame;
  private samples = 0;
  private ticks = 0;
  /** Aggregations evaluated while their selector streamed in (fold), by node. */
  private readonly folded = new Map<AggregateExpr, FoldedAggregation>();
  /** Range-function calls computed while their selector streamed in (fold), by node. */
  private readonly streamedCalls = new Map<Call, StreamedCall>();
  /** rangeSteps' running count of counter decreases, reused from series to series. */
  private resetScratch = new Int32Array(0);
  private readonly deadline: number;

  private constructor(
    private readonly selections: Map<string, Selection>,
    private readonly query: CommonQuery,
    private readonly queryStartMs: number,
    private readonly queryEndMs: number,
    stepMs: number,
    private readonly lookbackMs: number,
    private readonly subqueryStepMs: number,
    startedAt: number,
  ) {
    this.frame = { startMs: queryStartMs, endMs: queryEndMs, stepMs };
    this.times = frameTimes(this.frame);
    this.deadline = startedAt + query.limits.timeoutMs;
  }

  /** Computes every selector's time range, reads each once, and returns an evaluator over the data. */
  static async prepare(
    expr: Expr,
    q: CommonQuery,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<Evaluator> {
    const startedAt = Date.now();
    const lookbackMs = q.lookbackDeltaMs ?? DEFAULT_LOOKBACK_DELTA_MS;
    const subqueryStepMs = q.defaultSubqueryStepMs ?? DEFAULT_SUBQUERY_STEP_MS;
    const selections = new Map<string, Selection>();
    const need = (vs: VectorSelector, frame: Frame, rangeMs: number, fold?: AggregateExpr | Call) => {
      const [from, to] = atTimes(vs.at, frame, startMs, endMs);
      const minMs = from - vs.offsetMs - (rangeMs || lookbackMs);
      const maxMs = to - vs.offsetMs;
      const key = selectorKey(vs.matchers);
      let s = selections.get(key);
      if (s) {
        s.minMs = Math.min(s.minMs, minMs);
        s.maxMs = Math.max(s.maxMs, maxMs);
      } else {
        s = { matchers: vs.matchers, minMs, maxMs, series: [], folds: [], held: false };
        selections.set(key, s);
      }
      if (fold) s.folds.push(fold);
      else s.held = true;
    };
    const topFrame: Frame = { startMs, endMs, stepMs };
    const walk = (e: Expr, frame: Frame) => {
      // Only in the query's own frame: a subquery's nodes run once per outer step.
      const streamed = e.type === 'Aggregate' && frame === topFrame ? streamedInput(e) : undefined;
      if (streamed) {
        const range = streamed.call ? streamedCall(streamed.call)!.rangeMs : 0;
        need(streamed.selector, frame, range, e as AggregateExpr);
        return;
      }
      const matrix = e.type === 'Call' && frame === topFrame ? streamedCall(e) : undefined;
      if (matrix) {
        need(matrix.selector, frame, matrix.rangeMs, e as Call);
        return;
      }
      switch (e.type) {
        case 'VectorSelector':
          need(e, frame, 0);
          return;
        case 'MatrixSelector':
          need(e.selector, frame, e.rangeMs);
          return;
        case 'Subquery':
          walk(e.expr, subqueryFrame(e, frame, startMs, endMs, subqueryStepMs));
          return;
        case 'Paren':
        case 'Unary':
          walk(e.expr, frame);
          return;
        case 'Binary':
          walk(e.lhs, frame);
          walk(e.rhs, frame);
          return;
        case 'Call':
          for (const a of e.args) walk(a, frame);
          return;
        case 'Aggregate':
          walk(e.expr, frame);
          if (e.param) walk(e.param, frame);
          return;
        default:
          return;
      }
    };
    walk(expr, topFrame);
    const ev = new Evaluator(selections, q, startMs, endMs, stepMs, lookbackMs, subqueryStepMs, startedAt);
    let seriesCount = 0;
    const countSeries = (n: number) => {
      seriesCount += n;
      if (q.limits.maxSeries !== undefined && seriesCount > q.limits.maxSeries)
        throw new QueryLimitError('max_fetched_series_per_query');
    };
    for (const selection of selections.values()) {
      ev.checkDeadline(true);
      const range = { matchers: selection.matchers, startMs: selection.minMs, endMs: selection.maxMs };
      if (!selection.held) {
        await ev.fold(selection, q.stream ? q.stream(range) : streamFromSelect(q.select, range), countSeries);
        continue;
      }
      const raw = await q.select(range);
      countSeries(raw.length);
      selection.series = load(raw, selection.matchers);
    }
    ev.checkDeadline(true);
    return ev;
  }

  /**
   * Evaluates every streamed node of one selector as its series stream in: each series' steps
   * computed into one reused buffer, then added to an aggregation's per-group accumulators (memory:
   * the groups' steps) or kept as a call's output series (its steps), and the series dropped: the
   * selector's samples are never all held.
   */
  private async fold(
    selection: Selection,
    source: AsyncIterable<RawSeries>,
    countSeries: (n: number) => void,
  ): Promise<void> {
    const matches = compileMatchers(selection.matchers);
    const steps = this.steps;
    const values = new Float64Array(steps);
    const present = new Uint8Array(steps);
    const folds = selection.folds.map((node) => {
      const aggregation = node.type === 'Aggregate' ? node : undefined;
      const input = aggregation ? streamedInput(aggregation)! : { selector: undefined, call: node as Call };
      return {
        aggregation,
        call: input.call,
        selector: input.call ? streamedCall(input.call)!.selector : input.selector!,
        fn: input.call ? RANGE_FUNCTIONS[input.call.func]! : undefined,
        matrix: input.call ? streamedCall(input.call) : undefined,
        groupLabels: aggregationGroupLabels(
          aggregation?.without ?? false,
          [...(aggregation?.grouping ?? [])].sort(),
        ),
        groups: new StepAggregator(aggregation?.op ?? 'sum', steps),
        groupOf: new Map<string, number>(),
        outputs: [] as StepSeries[],
        outputKeys: new Set<string>(),
        inputSamples: 0,
        windowPeak: 0,
        duplicate: false,
      };
    });
    let previousKey: string | undefined;
    for await (const raw of source) {
      countSeries(1);
      this.checkDeadline();
      if (!matches(raw.labels)) continue;
      // Sums add in series order: the store's order must be the one the held path sorts into.
      const sortKey = labelsSortKey(raw.labels);
      if (previousKey !== undefined && sortKey < previousKey)
        throw new QueryExecutionError('the store streamed series out of label order');
      previousKey = sortKey;
      const series: LoadedSeries = {
        labels: raw.labels,
        ts: raw.timestampsMs,
        vs: raw.values,
        stale: raw.stale,
      };
      for (const f of folds) {
        let labels: Labels;
        if (f.fn && f.matrix) {
          const points = withoutStale(series);
          const { any, windowPeak } = this.rangeSteps(
            points,
            f.fn,
            f.matrix.rangeMs,
            this.refTime(f.matrix.selector.at, f.matrix.selector.offsetMs),
            [],
            values,
            present,
          );
          if (windowPeak > f.windowPeak) f.windowPeak = windowPeak;
          if (!any) continue;
          labels = f.call!.func === 'last_over_time' ? series.labels : dropMetricName(series.labels);
          const key = labelsKey(labels);
          if (f.outputKeys.has(key)) f.duplicate = true;
          f.outputKeys.add(key);
        } else {
          const ref = this.refTime(f.selector.at, f.selector.offsetMs);
          if (!this.instantSteps(series, ref, values, present, undefined)) continue;
          labels = series.labels;
        }
        if (!f.aggregation) {
          f.outputs.push({ labels, values: values.slice(), present: present.slice() });
          continue;
        }
        const groupLabels = f.groupLabels(labels);
        const groupKey = labelsKey(groupLabels);
        let g = f.groupOf.get(groupKey);
        if (g === undefined) {
          g = f.groups.addGroup(groupLabels);
          f.groupOf.set(groupKey, g);
        }
        for (let i = 0; i < steps; i++)
          if (present[i]) {
            f.inputSamples++;
            f.groups.add(g, i, values[i]!);
          }
      }
    }
    for (const f of folds)
      if (f.aggregation)
        this.folded.set(f.aggregation, {
          value: { kind: 'vector', series: f.groups.result() },
          inputSamples: f.inputSamples,
          windowPeak: f.windowPeak,
          duplicate: f.duplicate,
        });
      else
        this.streamedCalls.set(f.call!, {
          series: f.outputs,
          windowPeak: f.windowPeak,
          duplicate: f.duplicate,
        });
  }

  run(expr: Expr): Value {
    return this.eval(expr);
  }

  checkDeadline(force = false): void {
    if (!force && ++this.ticks % DEADLINE_CHECK_EVERY !== 0) return;
    if (this.query.signal?.aborted) throw new QueryCanceledError();
    if (Date.now() > this.deadline) throw new QueryLimitError('query_timeout');
  }

  private get steps(): number {
    return this.times.length;
  }

  /** Evaluates a node, accounting the samples its result holds against max_samples. */
  private eval(e: Expr): Value {
    this.checkDeadline(true);
    const base = this.samples;
    const value = this.evalNode(e);
    const held = countSamples(value);
    if (this.samples + held > this.query.limits.maxSamples) throw new QueryLimitError('max_samples');
    this.samples = base + held;
    return value;
  }

  private evalNode(e: Expr): Value {
    switch (e.type) {
      case 'NumberLiteral':
        return { kind: 'scalar', values: new Float64Array(this.steps).fill(e.value) };
      case 'StringLiteral':
        return { kind: 'string', value: e.value };
      case 'Paren':
        // Not this.eval: the inner value is the same value, held once (Prometheus counts it once).
        this.checkDeadline(true);
        return this.evalNode(e.expr);
      case 'VectorSelector':
        return { kind: 'vector', series: this.vectorSelector(e, false).series };
      case 'MatrixSelector':
      case 'Subquery': {
        if (this.steps !== 1) throw new QueryExecutionError('cannot do range evaluation of matrix selector');
        const range = this.rangeInput(e);
        const t = this.times[0]!;
        const series: PointSeries[] = [];
        for (const s of range.series) {
          const [lo, hi] = windowBounds(s.ts, range.refMs(t) - range.rangeMs, range.refMs(t));
          if (hi > lo)
            series.push({
              labels: s.labels,
              timestampsMs: Float64Array.from({ length: hi - lo }, (_, k) => s.ts[lo + k]!),
              values: Float64Array.from({ length: hi - lo }, (_, k) => s.vs[lo + k]!),
            });
        }
        return { kind: 'matrix', series };
      }
      case 'Unary': {
        const inner = this.eval(e.expr);
        if (e.op === '+') return inner;
        if (inner.kind === 'scalar') return { kind: 'scalar', values: inner.values.map((v) => -v) };
        const out = new SeriesCollector(this.steps, false);
        for (const s of asVector(inner)) {
          const target = out.target(dropMetricName(s.labels));
          for (let i = 0; i < this.steps; i++)
            if (s.present[i]) SeriesCollector.set(target, i, -s.values[i]!);
        }
        return { kind: 'vector', series: out.result() };
      }
      case 'Binary':
        return this.binary(e);
      case 'Aggregate':
        return this.aggregate(e);
      case 'Call':
        return this.call(e);
    }
  }

  // --- selectors -------------------------------------------------------------------------------

  private selection(vs: VectorSelector): Selection {
    const s = this.selections.get(selectorKey(vs.matchers));
    if (!s) throw new QueryExecutionError('selector was not prepared');
    return s;
  }

  private refTime(at: AtModifier | undefined, offsetMs: number): (t: number) => number {
    if (!at) return (t) => t - offsetMs;
    const fixed = at.kind === 'timestamp' ? at.ms : at.kind === 'start' ? this.queryStartMs : this.queryEndMs;
    return () => fixed - offsetMs;
  }

  /** An instant vector selector at every step, with each value's own sample time when asked. */
  private vectorSelector(
    vs: VectorSelector,
    withTimes: boolean,
  ): { series: StepSeries[]; times: Float64Array[] } {
    const ref = this.refTime(vs.at, vs.offsetMs);
    const series: StepSeries[] = [];
    const times: Float64Array[] = [];
    for (const s of this.selection(vs).series) {
      this.checkDeadline();
      const values = new Float64Array(this.steps);
      const present = new Uint8Array(this.steps);
      const sampleTimes = withTimes ? new Float64Array(this.steps) : undefined;
      if (this.instantSteps(s, ref, values, present, sampleTimes)) {
        series.push({ labels: s.labels, values, present });
        if (sampleTimes) times.push(sampleTimes);
      }
    }
    return { series, times };
  }

  /**
   * One series' instant-selector value at every step into `values`/`present` (every slot written),
   * each value's sample time into `sampleTimes` when given; whether any step has a value.
   */
  private instantSteps(
    s: LoadedSeries,
    ref: (t: number) => number,
    values: Float64Array,
    present: Uint8Array,
    sampleTimes: Float64Array | undefined,
  ): boolean {
    present.fill(0);
    let any = false;
    let j = -1;
    for (let i = 0; i < this.steps; i++) {
      const r = ref(this.times[i]!);
      // Last sample at or before r (refs never decrease within a frame).
      if (j >= 0 && s.ts[j]! > r) j = -1;
      while (j + 1 < s.ts.length && s.ts[j + 1]! <= r) j++;
      if (j < 0 || s.ts[j]! < r - this.lookbackMs || s.stale?.[j]) continue;
      values[i] = s.vs[j]!;
      present[i] = 1;
      if (sampleTimes) sampleTimes[i] = s.ts[j]!;
      any = true;
    }
    return any;
  }

  /** The series a range function reads, and how each step maps to a window. */
  private rangeInput(e: MatrixSelector | SubqueryExpr): {
    series: RangePoints[];
    rangeMs: number;
    refMs: (t: number) => number;
  } {
    if (e.type === 'MatrixSelector') {
      const selection = this.selection(e.selector);
      selection.rangePoints ??= selection.series.map(withoutStale);
      return {
        series: selection.rangePoints,
        rangeMs: e.rangeMs,
        refMs: this.refTime(e.selector.at, e.selector.offsetMs),
      };
    }
    const frame = subqueryFrame(e, this.frame, this.queryStartMs, this.queryEndMs, this.subqueryStepMs);
    const inner = this.inFrame(frame, () => asVector(this.eval(e.expr)));
    const times = frameTimes(frame);
    const series = inner.map((s) => {
      const ts: number[] = [];
      const vs: number[] = [];
      for (let i = 0; i < times.length; i++) {
        if (!s.present[i]) continue;
        ts.push(times[i]!);
        vs.push(s.values[i]!);
      }
      return { labels: s.labels, ts: Float64Array.from(ts), vs: Float64Array.from(vs) };
    });
    return { series, rangeMs: e.rangeMs, refMs: this.refTime(e.at, e.offsetMs) };
  }

  private inFrame<T>(frame: Frame, run: () => T): T {
    const saved = { frame: this.frame, times: this.times };
    this.frame = frame;
    this.times = frameTimes(frame);
    try {
      return run();
    } finally {
      this.frame = saved.frame;
      this.times = saved.times;
    }
  }

  // --- functions -------------------------------------------------------------------------------

  private call(e: Call): Value {
    const name = e.func;
    const steps = this.steps;
    if (name === 'time') return { kind: 'scalar', values: Float64Array.from(this.times, (t) => t / 1000) };
    if (name === 'pi') return { kind: 'scalar', values: new Float64Array(steps).fill(Math.PI) };
    const rangeFn = RANGE_FUNCTIONS[name];
    if (rangeFn) return this.rangeCall(e, rangeFn);
    if (name in DATE_FUNCTIONS && e.args.length === 0) {
      const f = DATE_FUNCTIONS[name]!;
      const out = new SeriesCollector(steps);
      const target = out.target({});
      for (let i = 0; i < steps; i++) SeriesCollector.set(target, i, f(Math.trunc(this.times[i]! / 1000)));
      return { kind: 'vector', series: out.result() };
    }
    if (name === 'timestamp') {
      const arg = unwrapParens(e.args[0]!);
      if (arg.type === 'VectorSelector') {
        const { series, times } = this.vectorSelector(arg, true);
        return this.mapVector(series, (_v, i, k) => times[k]![i]! / 1000, true);
      }
      return this.mapVector(asVector(this.eval(arg)), (_v, i) => this.times[i]! / 1000, true);
    }
    if (name === 'vector') {
      const s = this.scalarArg(e.args[0]!);
      const out = new SeriesCollector(steps);
      const target = out.target({});
      for (let i = 0; i < steps; i++) SeriesCollector.set(target, i, s[i]!);
      return { kind: 'vector', series: out.result() };
    }
    if (name === 'scalar') {
      const input = asVector(this.eval(e.args[0]!));
      const values = new Float64Array(steps);
      for (let i = 0; i < steps; i++) {
        let count = 0;
        let v = Number.NaN;
        for (const s of input)
          if (s.present[i]) {
            count++;
            v = s.values[i]!;
          }
        values[i] = count === 1 ? v : Number.NaN;
      }
      return { kind: 'scalar', values };
    }
    if (name === 'absent') {
      const input = asVector(this.eval(e.args[0]!));
      const out = new SeriesCollector(steps);
      const target = out.target(absentLabels(e.args[0]!));
      for (let i = 0; i < steps; i++) if (!input.some((s) => s.present[i])) SeriesCollector.set(target, i, 1);
      return { kind: 'vector', series: out.result() };
    }
    if (name === 'sort' || name === 'sort_desc') {
      const input = asVector(this.eval(e.args[0]!));
      if (steps !== 1) return { kind: 'vector', series: input };
      const desc = name === 'sort_desc';
      const sorted = [...input].sort((a, b) => sortByValue(a.values[0]!, b.values[0]!, desc));
      return { kind: 'vector', series: sorted };
    }
    if (name === 'histogram_quantile') return this.histogramQuantile(e);
    if (name === 'histogram_count' || name === 'histogram_sum' || name === 'histogram_fraction') {
      // Native histograms only: float samples are skipped, so the result is empty (native histograms
      // are stored as classic buckets: docs/promql-native-histograms.md).
      for (const a of e.args) this.eval(a);
      return { kind: 'vector', series: [] };
    }
    if (name === 'label_replace') return this.labelReplace(e);
    if (name === 'label_join') return this.labelJoin(e);
    const f = VECTOR_FUNCTIONS[name] ?? DATE_FUNCTIONS[name];
    if (f) return this.mapVector(asVector(this.eval(e.args[0]!)), (v) => f(v), true);
    if (name === 'clamp' || name === 'clamp_min' || name === 'clamp_max' || name === 'round') {
      const input = asVector(this.eval(e.args[0]!));
      const a = e.args[1] ? this.scalarArg(e.args[1]) : new Float64Array(steps).fill(1);
      const b = e.args[2] ? this.scalarArg(e.args[2]) : undefined;
      if (name === 'clamp')
        return this.mapVector(
          input,
          (v, i) => Math.max(a[i]!, Math.min(b![i]!, v)),
          true,
          (i) => !(b![i]! < a[i]!),
        );
      if (name === 'clamp_min') return this.mapVector(input, (v, i) => Math.max(a[i]!, v), true);
      if (name === 'clamp_max') return this.mapVector(input, (v, i) => Math.min(a[i]!, v), true);
      return this.mapVector(input, (v, i) => Math.floor(v * (1 / a[i]!) + 0.5) / (1 / a[i]!), true);
    }
    throw new QueryExecutionError(`function "${name}" is not supported`);
  }

  private scalarArg(e: Expr): Float64Array {
    const v = this.eval(e);
    if (v.kind !== 'scalar') throw new QueryExecutionError('expected a scalar argument');
    return v.values;
  }

  /** Applies `f` to each present value; labels lose the metric name when `dropName`. */
  private mapVector(
    input: StepSeries[],
    f: (v: number, step: number, index: number) => number,
    dropName: boolean,
    stepOk: (step: number) => boolean = () => true,
  ): Value {
    const out = new SeriesCollector(this.steps);
    const targets = input.map((s) => out.target(dropName ? dropMetricName(s.labels) : s.labels));
    for (let i = 0; i < this.steps; i++) {
      if (!stepOk(i)) continue;
      for (let k = 0; k < input.length; k++) {
        const s = input[k]!;
        if (s.present[i]) SeriesCollector.set(targets[k]!, i, f(s.values[i]!, i, k));
      }
    }
    return { kind: 'vector', series: out.result() };
  }

  private rangeCall(e: Call, f: (typeof RANGE_FUNCTIONS)[string]): Value {
    const streamed = this.streamedCalls.get(e);
    if (streamed) {
      // The checks below, in their order, on what the stream computed.
      if (this.samples + streamed.windowPeak > this.query.limits.maxSamples)
        throw new QueryLimitError('max_samples');
      if (streamed.duplicate) throw new QueryExecutionError(DUPLICATE_LABELSET);
      return { kind: 'vector', series: streamed.series };
    }
    const name = e.func;
    const rangeIndex = RANGE_ARGUMENT_INDEX[name] ?? 0;
    const scalars: Float64Array[] = e.args.filter((_, i) => i !== rangeIndex).map((a) => this.scalarArg(a));
    const rangeArg = unwrapParens(e.args[rangeIndex]!);
    if (rangeArg.type !== 'MatrixSelector' && rangeArg.type !== 'Subquery')
      throw new QueryExecutionError(`expected a range vector in call to "${name}"`);
    const input = this.rangeInput(rangeArg);
    const steps = this.steps;
    if (name === 'holt_winters') {
      const sf = scalars[0]![0]!;
      const tf = scalars[1]![0]!;
      if (sf <= 0 || sf >= 1)
        throw new QueryExecutionError(
          `invalid smoothing factor. Expected: 0 < sf < 1, got: ${sf.toFixed(6)}`,
        );
      if (tf <= 0 || tf >= 1)
        throw new QueryExecutionError(`invalid trend factor. Expected: 0 < tf < 1, got: ${tf.toFixed(6)}`);
    }
    const out: StepSeries[] = [];
    const seen = new Set<string>();
    let windowPeak = 0;
    for (const s of input.series) {
      this.checkDeadline();
      const values = new Float64Array(steps);
      const present = new Uint8Array(steps);
      const series = this.rangeSteps(s, f, input.rangeMs, input.refMs, scalars, values, present);
      if (series.windowPeak > windowPeak) windowPeak = series.windowPeak;
      if (!series.any) continue;
      const labels = name === 'last_over_time' ? s.labels : dropMetricName(s.labels);
      out.push({ labels, values, present });
    }
    if (this.samples + windowPeak > this.query.limits.maxSamples) throw new QueryLimitError('max_samples');
    if (name === 'absent_over_time') {
      const target = new SeriesCollector(steps).target(absentLabels(rangeArg));
      for (let i = 0; i < steps; i++) if (!out.some((s) => s.present[i])) SeriesCollector.set(target, i, 1);
      return { kind: 'vector', series: target.present.includes(1) ? [target] : [] };
    }
    for (const s of out) {
      const key = labelsKey(s.labels);
      if (seen.has(key)) throw new QueryExecutionError(DUPLICATE_LABELSET);
      seen.add(key);
    }
    return { kind: 'vector', series: out };
  }

  /**
   * One series' range function at every step into `values`/`present` (every slot written): one walk
   * over its points with two indices, one window object updated in place (no allocation per step).
   */
  private rangeSteps(
    s: RangePoints,
    f: RangeFunction,
    rangeMs: number,
    refMs: (t: number) => number,
    scalars: readonly Float64Array[],
    values: Float64Array,
    present: Uint8Array,
  ): { any: boolean; windowPeak: number } {
    present.fill(0);
    const n = s.ts.length;
    // Decreases among the points so far, so a counter's window without one skips its reset walk.
    if (this.resetScratch.length < n)
      this.resetScratch = new Int32Array(Math.max(n, 2 * this.resetScratch.length));
    const resets = this.resetScratch;
    if (n > 0) resets[0] = 0;
    for (let k = 1; k < n; k++) resets[k] = resets[k - 1]! + (s.vs[k]! < s.vs[k - 1]! ? 1 : 0);
    const args: number[] = new Array(scalars.length);
    const w: { -readonly [K in keyof Window]: Window[K] } = {
      ts: s.ts,
      vs: s.vs,
      lo: 0,
      hi: 0,
      stepMs: 0,
      startMs: 0,
      endMs: 0,
      rangeMs,
      args,
      resets,
    };
    let any = false;
    let windowPeak = 0;
    let lo = 0;
    let hi = 0;
    let lastRef = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < this.steps; i++) {
      const t = this.times[i]!;
      const endMs = refMs(t);
      const startMs = endMs - rangeMs;
      if (endMs < lastRef) {
        lo = 0;
        hi = 0;
      }
      lastRef = endMs;
      while (lo < n && s.ts[lo]! < startMs) lo++;
      if (hi < lo) hi = lo;
      while (hi < n && s.ts[hi]! <= endMs) hi++;
      if (hi <= lo) continue;
      if (hi - lo > windowPeak) windowPeak = hi - lo;
      for (let k = 0; k < scalars.length; k++) args[k] = scalars[k]![i]!;
      w.lo = lo;
      w.hi = hi;
      w.stepMs = t;
      w.startMs = startMs;
      w.endMs = endMs;
      const v = f(w);
      if (v === undefined) continue;
      values[i] = v;
      present[i] = 1;
      any = true;
    }
    return { any, windowPeak };
  }

  private histogramQuantile(e: Call): Value {
    const q = this.scalarArg(e.args[0]!);
    const input = asVector(this.eval(e.args[1]!));
    const groups = new Map<string, { labels: Labels; members: { s: StepSeries; le: number }[] }>();
    for (const s of input) {
      const le = parseGoFloat(s.labels['le'] ?? '');
      if (le === undefined) continue;
      const { le: _, ...rest } = s.labels;
      const key = labelsKey(rest);
      let g = groups.get(key);
      if (!g) {
        g = { labels: dropMetricName(rest), members: [] };
        groups.set(key, g);
      }
      g.members.push({ s, le });
    }
    const out = new SeriesCollector(this.steps);
    const targets = [...groups.values()].map((g) => ({ g, target: out.target(g.labels) }));
    for (let i = 0; i < this.steps; i++) {
      for (const { g, target } of targets) {
        const buckets: Bucket[] = [];
        for (const m of g.members)
          if (m.s.present[i]) buckets.push({ upperBound: m.le, count: m.s.values[i]! });
        if (buckets.length > 0) SeriesCollector.set(target, i, bucketQuantile(q[i]!, buckets));
      }
    }
    return { kind: 'vector', series: out.result() };
  }

  private labelReplace(e: Call): Value {
    const input = asVector(this.eval(e.args[0]!));
    const [dst, repl, src, regex] = e.args.slice(1).map(stringArg) as [string, string, string, string];
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${re2Source(regex)})$`, 's');
    } catch {
      throw new QueryExecutionError(`invalid regular expression in label_replace(): ${regex}`);
    }
    if (!LABEL_NAME.test(dst))
      throw new QueryExecutionError(`invalid destination label name in label_replace(): ${dst}`);
    return this.relabel(input, (labels) => {
      const m = re.exec(labels[src] ?? '');
      if (!m) return labels;
      const res = expandTemplate(repl, m);
      const { [dst]: _, ...rest } = labels;
      return res === '' ? rest : { ...rest, [dst]: res };
    });
  }

  private labelJoin(e: Call): Value {
    const input = asVector(this.eval(e.args[0]!));
    const [dst, sep, ...srcs] = e.args.slice(1).map(stringArg) as [string, string, ...string[]];
    for (const src of srcs)
      if (!LABEL_NAME.test(src))
        throw new QueryExecutionError(`invalid source label name in label_join(): ${src}`);
    if (!LABEL_NAME.test(dst))
      throw new QueryExecutionError(`invalid destination label name in label_join(): ${dst}`);
    return this.relabel(input, (labels) => {
      const joined = srcs.map((s) => labels[s] ?? '').join(sep);
      const { [dst]: _, ...rest } = labels;
      return joined === '' ? rest : { ...rest, [dst]: joined };
    });
  }

  private relabel(input: StepSeries[], f: (labels: Labels) => Labels): Value {
    const out = new SeriesCollector(this.steps);
    const targets = input.map((s) => out.target(f(s.labels)));
    for (let i = 0; i < this.steps; i++)
      for (let k = 0; k < input.length; k++) {
        const s = input[k]!;
        if (s.present[i]) SeriesCollector.set(targets[k]!, i, s.values[i]!);
      }
    return { kind: 'vector', series: out.result() };
  }

  // --- binary operators ------------------------------------------------------------------------

  private binary(e: BinaryExpr): Value {
    const lhs = this.eval(e.lhs);
    const rhs = this.eval(e.rhs);
    const steps = this.steps;
    if (lhs.kind === 'scalar' && rhs.kind === 'scalar') {
      const values = new Float64Array(steps);
      for (let i = 0; i < steps; i++) values[i] = scalarBinop(e.op, lhs.values[i]!, rhs.values[i]!);
      return { kind: 'scalar', values };
    }
    if (lhs.kind === 'vector' && rhs.kind === 'vector') return this.vectorBinop(e, lhs.series, rhs.series);
    const swap = lhs.kind === 'scalar';
    const vector = asVector(swap ? rhs : lhs);
    const scalar = (swap ? lhs : rhs) as { values: Float64Array };
    const comparison = COMPARISON_OPS.has(e.op);
    const dropName = DROPS_METRIC_NAME.has(e.op) || e.returnBool;
    const out = new SeriesCollector(steps);
    const targets = vector.map((s) => out.target(dropName ? dropMetricName(s.labels) : s.labels));
    for (let i = 0; i < steps; i++) {
      const sv = scalar.values[i]!;
      for (let k = 0; k < vector.length; k++) {
        const s = vector[k]!;
        if (!s.present[i]) continue;
        const v = s.values[i]!;
        const l = swap ? sv : v;
        const r = swap ? v : sv;
        const keep = binopKeeps(e.op, l, r);
        if (e.returnBool) SeriesCollector.set(targets[k]!, i, keep ? 1 : 0);
        else if (keep) SeriesCollector.set(targets[k]!, i, comparison && swap ? r : binopValue(e.op, l, r));
      }
    }
    return { kind: 'vector', series: out.result() };
  }

  private vectorBinop(e: BinaryExpr, lhsIn: StepSeries[], rhsIn: StepSeries[]): Value {
    const matching = e.matching!;
    const steps = this.steps;
    const sig = signatureFunction(matching.on, matching.labels);
    const lsig = lhsIn.map((s) => sig(s.labels));
    const rsig = rhsIn.map((s) => sig(s.labels));
    const out = new SeriesCollector(steps);

    if (e.op === 'and' || e.op === 'or' || e.op === 'unless') {
      const lt = lhsIn.map((s) => out.target(s.labels));
      const rt = rhsIn.map((s) => out.target(s.labels));
      for (let i = 0; i < steps; i++) {
        this.checkDeadline();
        const lPresent = lhsIn.some((s) => s.present[i]);
        const rPresent = rhsIn.some((s) => s.present[i]);
        const rightSigs = new Set<string>();
        for (let k = 0; k < rhsIn.length; k++) if (rhsIn[k]!.present[i]) rightSigs.add(rsig[k]!);
        if (e.op === 'and') {
          if (!lPresent || !rPresent) continue;
          for (let k = 0; k < lhsIn.length; k++)
            if (lhsIn[k]!.present[i] && rightSigs.has(lsig[k]!))
              SeriesCollector.set(lt[k]!, i, lhsIn[k]!.values[i]!);
        } else if (e.op === 'unless') {
          for (let k = 0; k < lhsIn.length; k++)
            if (lhsIn[k]!.present[i] && !rightSigs.has(lsig[k]!))
              SeriesCollector.set(lt[k]!, i, lhsIn[k]!.values[i]!);
        } else {
          const leftSigs = new Set<string>();
          for (let k = 0; k < lhsIn.length; k++)
            if (lhsIn[k]!.present[i]) {
              leftSigs.add(lsig[k]!);
              SeriesCollector.set(lt[k]!, i, lhsIn[k]!.values[i]!);
            }
          for (let k = 0; k < rhsIn.length; k++)
            if (rhsIn[k]!.present[i] && !leftSigs.has(rsig[k]!))
              SeriesCollector.set(rt[k]!, i, rhsIn[k]!.values[i]!);
        }
      }
      return { kind: 'vector', series: out.result() };
    }

    const oneToMany = matching.card === 'one-to-many';
    const [lhs, rhs, lhsSigText, rhsSigText] = oneToMany
      ? [rhsIn, lhsIn, rsig, lsig]
      : [lhsIn, rhsIn, lsig, rsig];
    // Signatures as small integers, so each step's matching runs over typed arrays.
    const sigIds = new Map<string, number>();
    const idOf = (text: string) => {
      let id = sigIds.get(text);
      if (id === undefined) {
        id = sigIds.size;
        sigIds.set(text, id);
      }
      return id;
    };
    const lhsSig = Int32Array.from(lhsSigText, idOf);
    const rhsSig = Int32Array.from(rhsSigText, idOf);
    const rightBySig = new Int32Array(sigIds.size).fill(-1);
    const matchedSig = new Uint8Array(sigIds.size);
    const oneToOne = matching.card === 'one-to-one';
    const targets = new Map<number, StepSeries>();
    const targetFor = (li: number, ri: number): StepSeries => {
      const key = li * rhs.length + ri;
      let target = targets.get(key);
      if (!target) {
        let labels = resultMetric(lhs[li]!.labels, rhs[ri]!.labels, e);
        if (e.returnBool) labels = dropMetricName(labels);
        target = out.target(labels);
        targets.set(key, target);
      }
      return target;
    };
    for (let i = 0; i < steps; i++) {
      this.checkDeadline();
      rightBySig.fill(-1);
      matchedSig.fill(0);
      let anyRight = false;
      for (let k = 0; k < rhs.length; k++) {
        if (!rhs[k]!.present[i]) continue;
        const s = rhsSig[k]!;
        const dup = rightBySig[s]!;
        if (dup >= 0) {
          const side = oneToMany ? 'left' : 'right';
          const matched = matchLabels(rhs[k]!.labels, matching.on, matching.labels);
          throw new QueryExecutionError(
            `found duplicate series for the match group ${labelsString(matched)} on the ${side} hand-side of the operation: [${labelsString(rhs[k]!.labels)}, ${labelsString(rhs[dup]!.labels)}];many-to-many matching not allowed: matching labels must be unique on one side`,
          );
        }
        rightBySig[s] = k;
        anyRight = true;
      }
      if (!anyRight) continue;
      // Output label sets per signature this step (group_left/right: each must be unique).
      const inserted = oneToOne ? undefined : new Map<number, Set<StepSeries>>();
      for (let k = 0; k < lhs.length; k++) {
        if (!lhs[k]!.present[i]) continue;
        const s = lhsSig[k]!;
        const ri = rightBySig[s]!;
        if (ri < 0) continue;
        const vl = oneToMany ? rhs[ri]!.values[i]! : lhs[k]!.values[i]!;
        const vr = oneToMany ? lhs[k]!.values[i]! : rhs[ri]!.values[i]!;
        const keep = binopKeeps(e.op, vl, vr);
        if (!keep && !e.returnBool) continue;
        const value = e.returnBool ? (keep ? 1 : 0) : binopValue(e.op, vl, vr);
        const target = targetFor(k, ri);
        if (oneToOne) {
          if (matchedSig[s])
            throw new QueryExecutionError(
              'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)',
            );
          matchedSig[s] = 1;
        } else {
          let set = inserted!.get(s);
          if (!set) {
            set = new Set();
            inserted!.set(s, set);
          } else if (set.has(target))
            throw new QueryExecutionError(
              'multiple matches for labels: grouping labels must ensure unique matches',
            );
          set.add(target);
        }
        SeriesCollector.set(target, i, value);
      }
    }
    return { kind: 'vector', series: out.result() };
  }

  // --- aggregation -----------------------------------------------------------------------------

  private aggregate(e: AggregateExpr): Value {
    const folded = this.folded.get(e);
    if (folded) {
      // The checks evaluating the input would have made, in its order (rangeCall, then eval).
      if (this.samples + folded.windowPeak > this.query.limits.maxSamples)
        throw new QueryLimitError('max_samples');
      if (folded.duplicate) throw new QueryExecutionError(DUPLICATE_LABELSET);
      if (this.samples + folded.inputSamples > this.query.limits.maxSamples)
        throw new QueryLimitError('max_samples');
      this.samples += folded.inputSamples;
      return folded.value;
    }
    const steps = this.steps;
    let param: Float64Array | undefined;
    let valueLabel: string | undefined;
    if (e.param) {
      if (e.op === 'count_values') valueLabel = stringArg(e.param);
      else param = this.scalarArg(e.param);
    }
    const input = asVector(this.eval(e.expr));
    const grouping = [...e.grouping].sort();
    if (valueLabel !== undefined && !LABEL_NAME.test(valueLabel))
      throw new QueryExecutionError(`invalid label name "${valueLabel}"`);
    const out = new SeriesCollector(steps);
    const groupLabels = aggregationGroupLabels(e.without, grouping);

    if (e.op === 'count_values') {
      const byGroup = new Map<string, StepSeries>();
      for (let i = 0; i < steps; i++) {
        const counts = new Map<string, { labels: Labels; n: number }>();
        for (const s of input) {
          if (!s.present[i]) continue;
          const withValue = { ...s.labels, [valueLabel!]: formatFloatPlain(s.values[i]!) };
          const labels = e.without
            ? groupLabels(withValue)
            : groupLabelsWith(withValue, grouping, valueLabel!);
          const key = labelsKey(labels);
          const c = counts.get(key);
          if (c) c.n++;
          else counts.set(key, { labels, n: 1 });
        }
        for (const [key, c] of counts) {
          let t = byGroup.get(key);
          if (!t) {
            t = out.target(c.labels, key);
            byGroup.set(key, t);
          }
          SeriesCollector.set(t, i, c.n);
        }
      }
      return { kind: 'vector', series: out.result() };
    }

    // Group index per input series (labels are the same at every step).
    const groupIndex = new Int32Array(input.length);
    const groups: { labels: Labels; key: string }[] = [];
    const byKey = new Map<string, number>();
    input.forEach((s, k) => {
      const labels = groupLabels(s.labels);
      const key = labelsKey(labels);
      let g = byKey.get(key);
      if (g === undefined) {
        g = groups.length;
        groups.push({ labels, key });
        byKey.set(key, g);
      }
      groupIndex[k] = g;
    });

    if (e.op === 'topk' || e.op === 'bottomk') {
      const targets: (StepSeries | undefined)[] = new Array(input.length);
      const top = e.op === 'topk';
      for (let i = 0; i < steps; i++) {
        this.checkDeadline();
        const f = param![i]!;
        if (!(f <= 9.223372036854776e18 && f >= -9.223372036854776e18))
          throw new QueryExecutionError(`Scalar value ${formatFloatPlain(f)} overflows int64`);
        const k = Math.trunc(f);
        if (k < 1) continue;
        const heaps = new Map<number, number[]>();
        const at = (idx: number) => input[idx]!.values[i]!;
        const less = top
          ? (a: number, b: number) => Number.isNaN(at(a)) || at(a) < at(b)
          : (a: number, b: number) => Number.isNaN(at(a)) || at(a) > at(b);
        for (let s = 0; s < input.length; s++) {
          if (!input[s]!.present[i]) continue;
          const g = groupIndex[s]!;
          const heap = heaps.get(g);
          const v = input[s]!.values[i]!;
          if (!heap) {
            heaps.set(g, [s]);
            continue;
          }
          const rootValue = at(heap[0]!);
          const better = top ? rootValue < v : rootValue > v;
          if (heap.length < k || better || Number.isNaN(rootValue)) {
            if (heap.length === k) {
              if (k === 1) {
                heap[0] = s;
                continue;
              }
              heapPop(heap, less);
            }
            heapPush(heap, s, less);
          }
        }
        for (const heap of heaps.values()) {
          // An instant answer lists each group's samples by value, best first, as Prometheus does.
          if (steps === 1) heap.sort((a, b) => sortByValue(input[a]!.values[0]!, input[b]!.values[0]!, top));
          for (const s of heap) {
            targets[s] ??= out.target(input[s]!.labels);
            SeriesCollector.set(targets[s], i, input[s]!.values[i]!);
          }
        }
      }
      return { kind: 'vector', series: out.result() };
    }

    if (FOLDED_AGGREGATIONS.has(e.op)) {
      // Series by series, as a fold does: per group and step, values still add in series order.
      const aggregator = new StepAggregator(e.op, steps);
      for (const g of groups) aggregator.addGroup(g.labels);
      for (let k = 0; k < input.length; k++) {
        this.checkDeadline();
        const series = input[k]!;
        const g = groupIndex[k]!;
        for (let i = 0; i < steps; i++) if (series.present[i]) aggregator.add(g, i, series.values[i]!);
      }
      return { kind: 'vector', series: aggregator.result() };
    }

    // quantile: each group's values at a step, then Prometheus' quantile of them.
    const targets = groups.map((g) => out.target(g.labels, g.key));
    const members: number[][] = groups.map(() => []);
    for (let i = 0; i < steps; i++) {
      this.checkDeadline();
      for (const m of members) m.length = 0;
      for (let s = 0; s < input.length; s++) {
        const series = input[s]!;
        if (series.present[i]) members[groupIndex[s]!]!.push(series.values[i]!);
      }
      for (let g = 0; g < groups.length; g++)
        if (members[g]!.length > 0) SeriesCollector.set(targets[g]!, i, quantile(param![i]!, members[g]!));
    }
    return { kind: 'vector', series: out.result() };
  }
}

/**
 * Per-group, per-step accumulators of sum, avg, min, max, count, group, stddev and stdvar, fed one
 * value at a time in any series-major or step-major order (Prometheus' arithmetic: values of one
 * group and step combine in the order they are added, as Prometheus adds them in series order).
 */
class StepAggregator {
  private readonly labels: Labels[] = [];
  private readonly value: Float64Array[] = [];
  private readonly mean: Float64Array[] = [];
  private readonly count: Float64Array[] = [];
  private readonly seen: Uint8Array[] = [];
  private readonly usesMean: boolean;
  private readonly usesCount: boolean;

  constructor(
    private readonly op: string,
    private readonly steps: number,
  ) {
    this.usesMean = op === 'avg' || op === 'stddev' || op === 'stdvar';
    this.usesCount = this.usesMean || op === 'count';
  }

  /** A new group; its index. */
  addGroup(labels: Labels): number {
    this.labels.push(labels);
    const empty = new Float64Array(0);
    this.value.push(this.op === 'avg' || this.op === 'count' ? empty : new Float64Array(this.steps));
    this.mean.push(this.usesMean ? new Float64Array(this.steps) : empty);
    this.count.push(this.usesCount ? new Float64Array(this.steps) : empty);
    this.seen.push(new Uint8Array(this.steps));
    return this.labels.length - 1;
  }

  add(g: number, i: number, v: number): void {
    const seen = this.seen[g]!;
    const value = this.value[g]!;
    if (!seen[i]) {
      seen[i] = 1;
      switch (this.op) {
        case 'stddev':
        case 'stdvar':
          value[i] = 0;
          break;
        case 'group':
          value[i] = 1;
          break;
        case 'avg':
        case 'count':
          break;
        default:
          value[i] = v;
      }
      if (this.usesMean) this.mean[g]![i] = v;
      if (this.usesCount) this.count[g]![i] = 1;
      return;
    }
    switch (this.op) {
      case 'sum':
        value[i] = value[i]! + v;
        break;
      case 'avg': {
        const count = this.count[g]!;
        const mean = this.mean[g]!;
        count[i] = count[i]! + 1;
        const m = mean[i]!;
        if (!Number.isFinite(m) && !Number.isNaN(m)) {
          if (!Number.isFinite(v) && !Number.isNaN(v) && m > 0 === v > 0) break;
          if (Number.isFinite(v)) break;
        }
        // Go's `mean += v/n - mean/n`: the difference first, then the addition.
        mean[i] = m + (v / count[i]! - m / count[i]!);
        break;
      }
      case 'max':
        if (value[i]! < v || Number.isNaN(value[i]!)) value[i] = v;
        break;
      case 'min':
        if (value[i]! > v || Number.isNaN(value[i]!)) value[i] = v;
        break;
      case 'count':
        this.count[g]![i] = this.count[g]![i]! + 1;
        break;
      case 'stddev':
      case 'stdvar': {
        const count = this.count[g]!;
        const mean = this.mean[g]!;
        count[i] = count[i]! + 1;
        const delta = v - mean[i]!;
        mean[i] = mean[i]! + delta / count[i]!;
        value[i] = value[i]! + delta * (v - mean[i]!);
        break;
      }
      default:
        break;
    }
  }

  /** The groups with at least one value, in the order they were added. */
  result(): StepSeries[] {
    const out: StepSeries[] = [];
    for (let g = 0; g < this.labels.length; g++) {
      const present = this.seen[g]!;
      if (!present.includes(1)) continue;
      let values: Float64Array;
      if (this.op === 'avg') values = this.mean[g]!;
      else if (this.op === 'count') values = this.count[g]!;
      else if (this.op === 'stdvar' || this.op === 'stddev') {
        values = this.value[g]!;
        const count = this.count[g]!;
        for (let i = 0; i < this.steps; i++)
          if (present[i])
            values[i] = this.op === 'stdvar' ? values[i]! / count[i]! : Math.sqrt(values[i]! / count[i]!);
      } else values = this.value[g]!;
      out.push({ labels: this.labels[g]!, values, present });
    }
    return out;
  }
}

/** The labels of an aggregation's group: the `by` labels present, or all but `without` and the name. */
function aggregationGroupLabels(without: boolean, grouping: readonly string[]): (labels: Labels) => Labels {
  return (labels) => {
    const l: Record<string, string> = {};
    if (without) {
      for (const [k, v] of Object.entries(labels))
        if (k !== METRIC_NAME_LABEL && !grouping.includes(k)) l[k] = v;
      return l;
    }
    for (const k of grouping) if (labels[k] !== undefined && labels[k] !== '') l[k] = labels[k]!;
    return l;
  };
}

/** SelectSeries' answer as a stream, in the order the held path sorts series into. */
async function* streamFromSelect(
  select: SelectSeries,
  selection: { matchers: readonly LabelMatcher[]; startMs: number; endMs: number },
): AsyncGenerator<RawSeries> {
  const raw = [...(await select(selection))];
  yield* sortByLabels(raw, (r) => r.labels);
}

// --- helpers -------------------------------------------------------------------------------------

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Arithmetic drops the metric name (Prometheus' shouldDropMetricName); comparisons and atan2 keep it. */
const DROPS_METRIC_NAME: ReadonlySet<string> = new Set(['+', '-', '*', '/', '%', '^']);

/** Ascending or descending by value, NaN last either way (Prometheus' sort and topk output order). */
function sortByValue(x: number, y: number, descending: boolean): number {
  if (Number.isNaN(x)) return Number.isNaN(y) ? 0 : 1;
  if (Number.isNaN(y)) return -1;
  return descending ? y - x : x - y;
}

function frameTimes(f: Frame): number[] {
  const out: number[] = [];
  for (let t = f.startMs; t <= f.endMs; t += f.stepMs) out.push(t);
  return out;
}

/** The times a selector with `at` is evaluated over, given the frame. */
function atTimes(
  at: AtModifier | undefined,
  frame: Frame,
  queryStart: number,
  queryEnd: number,
): [number, number] {
  if (!at) return [frame.startMs, frame.endMs];
  const t = at.kind === 'timestamp' ? at.ms : at.kind === 'start' ? queryStart : queryEnd;
  return [t, t];
}

/** The inner evaluation frame of a subquery (Prometheus aligns its steps to multiples of the step). */
function subqueryFrame(
  e: SubqueryExpr,
  outer: Frame,
  queryStart: number,
  queryEnd: number,
  defaultStepMs: number,
): Frame {
  const [from, to] = atTimes(e.at, outer, queryStart, queryEnd);
  const stepMs = e.stepMs || defaultStepMs;
  const low = from - e.offsetMs - e.rangeMs;
  // Go's integer division truncates toward zero.
  let startMs = stepMs * Math.trunc(low / stepMs);
  if (startMs < low) startMs += stepMs;
  return { startMs, endMs: to - e.offsetMs, stepMs };
}

function load(raw: readonly RawSeries[], matchers: readonly LabelMatcher[]): LoadedSeries[] {
  const matches = compileMatchers(matchers);
  const out: LoadedSeries[] = [];
  for (const r of raw) {
    // The store pushes matchers down; checking again keeps a lenient store from widening a query.
    if (!matches(r.labels)) continue;
    // The store's arrays are read in place, never copied.
    out.push({ labels: r.labels, ts: r.timestampsMs, vs: r.values, stale: r.stale });
  }
  return sortByLabels(out, (s) => s.labels);
}

function withoutStale(s: LoadedSeries): RangePoints {
  if (!s.stale?.includes(1)) return s;
  const ts: number[] = [];
  const vs: number[] = [];
  for (let i = 0; i < s.ts.length; i++) {
    if (s.stale[i]) continue;
    ts.push(s.ts[i]!);
    vs.push(s.vs[i]!);
  }
  return { labels: s.labels, ts: Float64Array.from(ts), vs: Float64Array.from(vs) };
}

/** Indices [lo, hi) of timestamps within [startMs, endMs]. */
function windowBounds(ts: ArrayLike<number>, startMs: number, endMs: number): [number, number] {
  let lo = 0;
  while (lo < ts.length && ts[lo]! < startMs) lo++;
  let hi = lo;
  while (hi < ts.length && ts[hi]! <= endMs) hi++;
  return [lo, hi];
}

function countSamples(v: Value): number {
  if (v.kind === 'scalar') return v.values.length;
  if (v.kind === 'string') return 0;
  let n = 0;
  if (v.kind === 'matrix') for (const s of v.series) n += s.values.length;
  else for (const s of v.series) for (let i = 0; i < s.present.length; i++) n += s.present[i]!;
  return n;
}

function asVector(v: Value): StepSeries[] {
  if (v.kind !== 'vector') throw new QueryExecutionError(`expected an instant vector, got ${v.kind}`);
  return v.series;
}

function unwrapParens(e: Expr): Expr {
  return e.type === 'Paren' ? unwrapParens(e.expr) : e;
}

function stringArg(e: Expr): string {
  const u = unwrapParens(e);
  if (u.type !== 'StringLiteral') throw new QueryExecutionError('expected a string literal');
  return u.value;
}

/** The labels absent() and absent_over_time() return: the selector's equality matchers. */
function absentLabels(arg: Expr): Labels {
  const u = unwrapParens(arg);
  const vs = u.type === 'VectorSelector' ? u : u.type === 'MatrixSelector' ? u.selector : undefined;
  if (!vs) return {};
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const m of vs.matchers) {
    if (m.name === METRIC_NAME_LABEL) continue;
    if (m.op === '=' && !seen.has(m.name)) {
      out[m.name] = m.value;
      seen.add(m.name);
    } else delete out[m.name];
  }
  // An empty value means "no label" in Prometheus' label sets.
  for (const k of Object.keys(out)) if (out[k] === '') delete out[k];
  return out;
}

function groupLabelsWith(labels: Labels, grouping: readonly string[], extra: string): Labels {
  const l: Record<string, string> = {};
  for (const k of [...grouping, extra]) if (labels[k] !== undefined && labels[k] !== '') l[k] = labels[k]!;
  return l;
}

function scalarBinop(op: BinaryExpr['op'], l: number, r: number): number {
  return COMPARISON_OPS.has(op) ? (binopKeeps(op, l, r) ? 1 : 0) : binopValue(op, l, r);
}

/** Prometheus' vectorElemBinop value: the arithmetic result, or for a comparison the left value. */
function binopValue(op: BinaryExpr['op'], l: number, r: number): number {
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    case '/':
      return l / r;
    case '%':
      return l % r;
    case '^':
      return goPow(l, r);
    case 'atan2':
      return Math.atan2(l, r);
    case '==':
    case '!=':
    case '>':
    case '<':
    case '>=':
    case '<=':
      return l;
    default:
      throw new QueryExecutionError(`operator "${op}" not allowed for operations between vectors`);
  }
}

/** Whether a comparison keeps the sample (always, for arithmetic). */
function binopKeeps(op: BinaryExpr['op'], l: number, r: number): boolean {
  switch (op) {
    case '==':
      return l === r;
    case '!=':
      return l !== r;
    case '>':
      return l > r;
    case '<':
      return l < r;
    case '>=':
      return l >= r;
    case '<=':
      return l <= r;
    default:
      return true;
  }
}

function signatureFunction(on: boolean, names: readonly string[]): (labels: Labels) => string {
  if (on) {
    const sorted = [...names].sort();
    return (labels) => {
      let key = '';
      for (const n of sorted)
        if (labels[n] !== undefined && labels[n] !== '') key += `${n}\xff${labels[n]}\xff`;
      return key;
    };
  }
  const excluded = new Set([METRIC_NAME_LABEL, ...names]);
  return (labels) => {
    let key = '';
    for (const n of Object.keys(labels).sort()) if (!excluded.has(n)) key += `${n}\xff${labels[n]}\xff`;
    return key;
  };
}

function matchLabels(labels: Labels, on: boolean, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    const listed = names.includes(k);
    if (on ? listed : !listed && k !== METRIC_NAME_LABEL) out[k] = v;
  }
  return out;
}

/** Prometheus' resultMetric: the labels of a vector/vector binary operation's output sample. */
function resultMetric(lhs: Labels, rhs: Labels, e: BinaryExpr): Labels {
  const matching = e.matching!;
  let out: Record<string, string> = { ...lhs };
  if (DROPS_METRIC_NAME.has(e.op)) delete out[METRIC_NAME_LABEL];
  if (matching.card === 'one-to-one') {
    if (matching.on) {
      const kept: Record<string, string> = {};
      for (const n of matching.labels) if (out[n] !== undefined) kept[n] = out[n]!;
      out = kept;
    } else for (const n of matching.labels) delete out[n];
  }
  for (const n of matching.include) {
    const v = rhs[n];
    if (v !== undefined && v !== '') out[n] = v;
    else delete out[n];
  }
  return out;
}

/** Go's regexp Expand for label_replace's replacement: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== '$' || i + 1 >= template.length) {
      out += c;
      continue;
    }
    const next = template[i + 1]!;
    if (next === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    let end: number;
    if (next === '{') {
      const close = template.indexOf('}', i + 2);
      const inner = close < 0 ? '' : template.slice(i + 2, close);
      if (close < 0 || !/^\w+$/.test(inner)) {
        out += c;
        continue;
      }
      name = inner;
      end = close + 1;
    } else {
      const word = /^\w+/.exec(template.slice(i + 1));
      if (!word) {
        out += c;
        continue;
      }
      name = word[0];
      end = i + 1 + name.length;
    }
    if (/^\d+$/.test(name)) out += m[Number(name)] ?? '';
    else out += m.groups?.[name] ?? '';
    i = end - 1;
  }
  return out;
}

/** Go's container/heap push and pop over series indices. */
function heapPush(h: number[], x: number, less: (a: number, b: number) => boolean): void {
  h.push(x);
  let j = h.length - 1;
  for (;;) {
    const i = Math.trunc((j - 1) / 2);
    if (i === j || !less(h[j]!, h[i]!)) break;
    const swap = h[i]!;
    h[i] = h[j]!;
    h[j] = swap;
    j = i;
  }
}

function heapPop(h: number[], less: (a: number, b: number) => boolean): void {
  const n = h.length - 1;
  const root = h[0]!;
  h[0] = h[n]!;
  h[n] = root;
  let i = 0;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    const j2 = j1 + 1;
    if (j2 < n && less(h[j2]!, h[j1]!)) j = j2;
    if (!less(h[j]!, h[i]!)) break;
    const swap = h[i]!;
    h[i] = h[j]!;
    h[j] = swap;
    i = j;
  }
  h.pop();
}
