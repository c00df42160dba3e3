/**
 * The PromQL syntax tree the engine evaluates: Prometheus' own node kinds (promql/parser/ast.go) as
 * plain data. Offsets and `@` live on the selector or subquery they modify, as in Prometheus.
 */
import type { LabelMatcher } from '#domain/label-matchers';

export type ValueType = 'scalar' | 'vector' | 'matrix' | 'string';

export type AggregateOp =
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'count'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'quantile'
  | 'count_values'
  | 'group';

export type ArithmeticOp = '+' | '-' | '*' | '/' | '%' | '^' | 'atan2';
export type ComparisonOp = '==' | '!=' | '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';
export type BinaryOp = ArithmeticOp | ComparisonOp | SetOp;

/** `@ <timestamp>`, `@ start()` or `@ end()`. */
export type AtModifier =
  | { readonly kind: 'timestamp'; readonly ms: number }
  | { readonly kind: 'start' | 'end' };

/** Where a node sits in the query text (0-based character offsets). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface NumberLiteral {
  readonly type: 'NumberLiteral';
  readonly value: number;
  /** The literal as written, kept so formatExpr prints `1e3` as Prometheus does (1000). */
  readonly span: Span;
}

export interface StringLiteral {
  readonly type: 'StringLiteral';
  readonly value: string;
  readonly span: Span;
}

export interface VectorSelector {
  readonly type: 'VectorSelector';
  /** The metric name when written before the braces. */
  readonly name: string | undefined;
  /** Every matcher, the metric name as a `__name__` equality matcher. */
  readonly matchers: readonly LabelMatcher[];
  readonly offsetMs: number;
  readonly at: AtModifier | undefined;
  readonly span: Span;
}

export interface MatrixSelector {
  readonly type: 'MatrixSelector';
  readonly selector: VectorSelector;
  readonly rangeMs: number;
  readonly span: Span;
}

export interface SubqueryExpr {
  readonly type: 'Subquery';
  readonly expr: Expr;
  readonly rangeMs: number;
  /** 0 when omitted (`[5m:]`): the engine's default evaluation interval then applies. */
  readonly stepMs: number;
  readonly offsetMs: number;
  readonly at: AtModifier | undefined;
  readonly span: Span;
}

export interface Call {
  readonly type: 'Call';
  readonly func: string;
  readonly args: readonly Expr[];
  readonly span: Span;
}

export interface AggregateExpr {
  readonly type: 'Aggregate';
  readonly op: AggregateOp;
  readonly expr: Expr;
  readonly param: Expr | undefined;
  readonly grouping: readonly string[];
  readonly without: boolean;
  readonly span: Span;
}

export type Cardinality = 'one-to-one' | 'many-to-one' | 'one-to-many' | 'many-to-many';

export interface VectorMatching {
  readonly card: Cardinality;
  /** `on(...)` when true, `ignoring(...)` (or no modifier) when false. */
  readonly on: boolean;
  readonly labels: readonly string[];
  /** The `group_left(...)` / `group_right(...)` labels. */
  readonly include: readonly string[];
}

export interface BinaryExpr {
  readonly type: 'Binary';
  readonly op: BinaryOp;
  readonly lhs: Expr;
  readonly rhs: Expr;
  readonly returnBool: boolean;
  /** Present when both sides are instant vectors. */
  readonly matching: VectorMatching | undefined;
  readonly span: Span;
}

export interface UnaryExpr {
  readonly type: 'Unary';
  readonly op: '+' | '-';
  readonly expr: Expr;
  readonly span: Span;
}

export interface ParenExpr {
  readonly type: 'Paren';
  readonly expr: Expr;
  readonly span: Span;
}

export type Expr =
  | NumberLiteral
  | StringLiteral
  | VectorSelector
  | MatrixSelector
  | SubqueryExpr
  | Call
  | AggregateExpr
  | BinaryExpr
  | UnaryExpr
  | ParenExpr;

export const COMPARISON_OPS: ReadonlySet<BinaryOp> = new Set(['==', '!=', '>', '<', '>=', '<=']);
export const SET_OPS: ReadonlySet<BinaryOp> = new Set(['and', 'or', 'unless']);

/** The value type an expression evaluates to (Prometheus' Expr.Type()). */
export function typeOf(expr: Expr): ValueType {
  switch (expr.type) {
    case 'NumberLiteral':
      return 'scalar';
    case 'StringLiteral':
      return 'string';
    case 'VectorSelector':
    case 'Aggregate':
      return 'vector';
    case 'MatrixSelector':
    case 'Subquery':
      return 'matrix';
    case 'Call':
      return FUNCTIONS[expr.func]?.returns ?? 'vector';
    case 'Binary':
      return typeOf(expr.lhs) === 'scalar' && typeOf(expr.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'Unary':
    case 'Paren':
      return typeOf(expr.expr);
  }
}

export interface FunctionSignature {
  readonly args: readonly ValueType[];
  /** 0: exactly `args`; n > 0: the last n arguments are optional; -1: the last repeats without bound. */
  readonly variadic: number;
  readonly returns: ValueType;
}

const fn = (args: ValueType[], returns: ValueType, variadic = 0): FunctionSignature => ({
  args,
  returns,
  variadic,
});
const vectorFn = fn(['vector'], 'vector');
const matrixFn = fn(['matrix'], 'vector');
const dateFn = fn(['vector'], 'vector', 1);

/** Prometheus 2.42's functions (promql/parser/functions.go), by name. */
export const FUNCTIONS: Readonly<Record<string, FunctionSignature>> = {
  abs: vectorFn,
  absent: vectorFn,
  absent_over_time: matrixFn,
  acos: vectorFn,
  acosh: vectorFn,
  asin: vectorFn,
  asinh: vectorFn,
  atan: vectorFn,
  atanh: vectorFn,
  avg_over_time: matrixFn,
  ceil: vectorFn,
  changes: matrixFn,
  clamp: fn(['vector', 'scalar', 'scalar'], 'vector'),
  clamp_max: fn(['vector', 'scalar'], 'vector'),
  clamp_min: fn(['vector', 'scalar'], 'vector'),
  cos: vectorFn,
  cosh: vectorFn,
  count_over_time: matrixFn,
  days_in_month: dateFn,
  day_of_month: dateFn,
  day_of_week: dateFn,
  day_of_year: dateFn,
  deg: vectorFn,
  delta: matrixFn,
  deriv: matrixFn,
  exp: vectorFn,
  floor: vectorFn,
  histogram_count: vectorFn,
  histogram_sum: vectorFn,
  histogram_fraction: fn(['scalar', 'scalar', 'vector'], 'vector'),
  histogram_quantile: fn(['scalar', 'vector'], 'vector'),
  holt_winters: fn(['matrix', 'scalar', 'scalar'], 'vector'),
  hour: dateFn,
  idelta: matrixFn,
  increase: matrixFn,
  irate: matrixFn,
  label_replace: fn(['vector', 'string', 'string', 'string', 'string'], 'vector'),
  label_join: fn(['vector', 'string', 'string', 'string'], 'vector', -1),
  last_over_time: matrixFn,
  ln: vectorFn,
  log10: vectorFn,
  log2: vectorFn,
  max_over_time: matrixFn,
  min_over_time: matrixFn,
  minute: dateFn,
  month: dateFn,
  pi: fn([], 'scalar'),
  predict_linear: fn(['matrix', 'scalar'], 'vector'),
  present_over_time: matrixFn,
  quantile_over_time: fn(['scalar', 'matrix'], 'vector'),
  rad: vectorFn,
  rate: matrixFn,
  resets: matrixFn,
  round: fn(['vector', 'scalar'], 'vector', 1),
  scalar: fn(['vector'], 'scalar'),
  sgn: vectorFn,
  sin: vectorFn,
  sinh: vectorFn,
  sort: vectorFn,
  sort_desc: vectorFn,
  sqrt: vectorFn,
  stddev_over_time: matrixFn,
  stdvar_over_time: matrixFn,
  sum_over_time: matrixFn,
  tan: vectorFn,
  tanh: vectorFn,
  time: fn([], 'scalar'),
  timestamp: vectorFn,
  vector: fn(['scalar'], 'vector'),
  year: dateFn,
};
