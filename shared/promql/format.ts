/**
 * Syntax tree back to text: Prometheus 2.42's canonical form (promql/parser/printer.go String()) and
 * its prettifier (prettier.go, what /api/v1/format_query answers), plus the selector rewrite AMP
 * forwarding uses to bind every selector to one tenant (prom-label-proxy's enforcement).
 */
import type { LabelMatcher } from '#domain/label-matchers';
import { METRIC_NAME_LABEL } from '#domain/label-matchers';
import type { AtModifier, Expr, VectorSelector } from './ast';
import { parseExpr } from './parser';

const MAX_CHARACTERS_PER_LINE = 100;

/** Go's fmt.Sprint(float64) (`%v`, shortest `%g`): exponent form below 1e-4 and from 1e6 on (`1e+06`). */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (value === 0) return Object.is(value, -0) ? '-0' : '0';
  const [mantissa, e] = value.toExponential().split('e') as [string, string];
  const exponent = Number(e);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

/** Prometheus' model.Duration String(): `1h30m`, `90d` (years and weeks only when exact). */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let rest = ms;
  let out = '';
  const unit = (name: string, mult: number, exact: boolean) => {
    if (exact && rest % mult !== 0) return;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${name}`;
      rest -= v * mult;
    }
  };
  unit('y', 365 * 86_400_000, true);
  unit('w', 7 * 86_400_000, true);
  unit('d', 86_400_000, false);
  unit('h', 3_600_000, false);
  unit('m', 60_000, false);
  unit('s', 1000, false);
  unit('ms', 1, false);
  return out;
}

function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.op}${JSON.stringify(m.value)}`;
}

function modifiers(offsetMs: number, at: AtModifier | undefined): string {
  let s = '';
  if (at?.kind === 'timestamp') s += ` @ ${(at.ms / 1000).toFixed(3)}`;
  else if (at) s += ` @ ${at.kind}()`;
  if (offsetMs > 0) s += ` offset ${formatDuration(offsetMs)}`;
  else if (offsetMs < 0) s += ` offset -${formatDuration(-offsetMs)}`;
  return s;
}

function selectorText(vs: VectorSelector): string {
  const labels = vs.matchers
    .filter((m) => !(m.name === METRIC_NAME_LABEL && m.op === '=' && m.value === vs.name))
    .map(formatMatcher)
    .sort();
  return labels.length === 0 ? (vs.name ?? '') : `${vs.name ?? ''}{${labels.join(',')}}`;
}

function aggregatePrefix(e: Extract<Expr, { type: 'Aggregate' }>): string {
  if (e.without) return `${e.op} without (${e.grouping.join(', ')}) `;
  if (e.grouping.length > 0) return `${e.op} by (${e.grouping.join(', ')}) `;
  return e.op;
}

function matchingText(e: Extract<Expr, { type: 'Binary' }>): string {
  const vm = e.matching;
  if (!vm || (vm.labels.length === 0 && !vm.on)) return '';
  let s = ` ${vm.on ? 'on' : 'ignoring'} (${vm.labels.join(', ')})`;
  if (vm.card === 'many-to-one' || vm.card === 'one-to-many')
    s += ` group_${vm.card === 'many-to-one' ? 'left' : 'right'} (${vm.include.join(', ')})`;
  return s;
}

/** The canonical one-line form of an expression (Prometheus' Expr.String()). */
export function exprString(e: Expr): string {
  switch (e.type) {
    case 'NumberLiteral':
      return formatGoFloat(e.value);
    case 'StringLiteral':
      return JSON.stringify(e.value);
    case 'VectorSelector':
      return selectorText(e) + modifiers(e.offsetMs, e.at);
    case 'MatrixSelector':
      return `${selectorText(e.selector)}[${formatDuration(e.rangeMs)}]${modifiers(e.selector.offsetMs, e.selector.at)}`;
    case 'Subquery':
      return `${exprString(e.expr)}${subquerySuffix(e)}`;
    case 'Call':
      return `${e.func}(${e.args.map(exprString).join(', ')})`;
    case 'Aggregate':
      return `${aggregatePrefix(e)}(${e.param ? `${exprString(e.param)}, ` : ''}${exprString(e.expr)})`;
    case 'Binary':
      return `${exprString(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${matchingText(e)} ${exprString(e.rhs)}`;
    case 'Unary':
      return `${e.op}${exprString(e.expr)}`;
    case 'Paren':
      return `(${exprString(e.expr)})`;
  }
}

function subquerySuffix(e: Extract<Expr, { type: 'Subquery' }>): string {
  const step = e.stepMs ? formatDuration(e.stepMs) : '';
  return `[${formatDuration(e.rangeMs)}:${step}]${modifiers(e.offsetMs, e.at)}`;
}

const indent = (level: number) => '  '.repeat(level);

/** Prometheus' prettifier (parser.Prettify): one line when it fits in 100 characters, else split. */
export function formatExpr(e: Expr, level = 0): string {
  const flat = exprString(e);
  const fits = flat.length <= MAX_CHARACTERS_PER_LINE;
  switch (e.type) {
    case 'Aggregate':
      if (fits) return indent(level) + flat;
      return `${indent(level)}${aggregatePrefix(e)}(\n${e.param ? `${formatExpr(e.param, level + 1)},\n` : ''}${formatExpr(e.expr, level + 1)}\n${indent(level)})`;
    case 'Binary':
      if (fits) return indent(level) + flat;
      return `${formatExpr(e.lhs, level + 1)}\n${indent(level)}${e.op}${e.returnBool ? ' bool' : ''}${matchingText(e)}\n${formatExpr(e.rhs, level + 1)}`;
    case 'Call':
      if (fits) return indent(level) + flat;
      return `${indent(level)}${e.func}(\n${e.args.map((a) => formatExpr(a, level + 1)).join(',\n')}\n${indent(level)})`;
    case 'Paren':
      if (fits) return indent(level) + flat;
      return `${indent(level)}(\n${formatExpr(e.expr, level + 1)}\n${indent(level)})`;
    case 'Subquery':
      if (fits) return flat;
      return `${formatExpr(e.expr, level)}${subquerySuffix(e)}`;
    case 'Unary':
      return `${indent(level)}${e.op}${formatExpr(e.expr, level).trim()}`;
    default:
      return indent(level) + flat;
  }
}

/** Every vector selector in the expression (those inside range selectors included), in text order. */
export function selectorsOf(e: Expr): VectorSelector[] {
  const out: VectorSelector[] = [];
  mapSelectors(e, (vs) => {
    out.push(vs);
    return vs;
  });
  return out;
}

/** A copy of the expression with every vector selector replaced by `rewrite(selector)`. */
export function mapSelectors(e: Expr, rewrite: (vs: VectorSelector) => VectorSelector): Expr {
  const walk = (n: Expr): Expr => {
    switch (n.type) {
      case 'VectorSelector':
        return rewrite(n);
      case 'MatrixSelector':
        return { ...n, selector: rewrite(n.selector) };
      case 'Subquery':
      case 'Unary':
      case 'Paren':
        return { ...n, expr: walk(n.expr) };
      case 'Call':
        return { ...n, args: n.args.map(walk) };
      case 'Aggregate':
        return { ...n, expr: walk(n.expr), param: n.param && walk(n.param) };
      case 'Binary':
        return { ...n, lhs: walk(n.lhs), rhs: walk(n.rhs) };
      default:
        return n;
    }
  };
  return walk(e);
}

/**
 * Parses `query`, binds every selector to `matcher` (replacing any matcher the query had on that
 * label, as prom-label-proxy does, so a query cannot widen or redirect it) and prints it back.
 */
export function injectMatcher(query: string, matcher: LabelMatcher): string {
  const rewritten = mapSelectors(parseExpr(query), (vs) => ({
    ...vs,
    matchers: [...vs.matchers.filter((m) => m.name !== matcher.name), matcher],
  }));
  return exprString(rewritten);
}
