/**
 * PromQL text to the engine's syntax tree. Prometheus' own Lezer grammar (@prometheus-io/lezer-promql)
 * tokenises and parses; this module turns its concrete tree into ast.ts nodes and applies the type
 * checks of Prometheus 2.42's parser (promql/parser/parse.go checkAST), so a query Prometheus refuses
 * with `bad_data` is refused here with a PromQLParseError at the same place.
 *
 * The Lezer grammar serves editors and is looser than Prometheus' yacc grammar in two ways handled
 * here: postfix modifiers (`offset`, `@`, `[range]`, `[range:step]`) bind to the nearest operand in
 * Prometheus but to the whole preceding binary expression in Lezer, and it accepts Prometheus 3
 * syntax (duration arithmetic, fill modifiers, new functions) that 2.42 refuses.
 */
import type { SyntaxNode } from '@lezer/common';
import { parser as lezer } from '@prometheus-io/lezer-promql';
import { compileMatcher, type LabelMatcher, type MatchOp, METRIC_NAME_LABEL } from '#domain/label-matchers';
import {
  type AggregateOp,
  type AtModifier,
  type BinaryOp,
  COMPARISON_OPS,
  type Expr,
  FUNCTIONS,
  type NumberLiteral,
  SET_OPS,
  type Span,
  typeOf,
  type ValueType,
  type VectorMatching,
  type VectorSelector,
} from './ast';
import { PromQLParseError } from './errors';

const BINARY_OPS: Readonly<Record<string, BinaryOp>> = {
  Pow: '^',
  Mul: '*',
  Div: '/',
  Mod: '%',
  Atan2: 'atan2',
  Add: '+',
  Sub: '-',
  Eql: '==',
  Neq: '!=',
  Gtr: '>',
  Lss: '<',
  Gte: '>=',
  Lte: '<=',
  And: 'and',
  Or: 'or',
  Unless: 'unless',
};

const MATCH_OPS: Readonly<Record<string, MatchOp>> = {
  EqlSingle: '=',
  Neq: '!=',
  EqlRegex: '=~',
  NeqRegex: '!~',
};

const AGGREGATE_OPS: ReadonlySet<string> = new Set([
  'sum',
  'avg',
  'min',
  'max',
  'count',
  'stddev',
  'stdvar',
  'topk',
  'bottomk',
  'quantile',
  'count_values',
  'group',
]);

const TYPE_NAMES: Readonly<Record<ValueType, string>> = {
  scalar: 'scalar',
  vector: 'instant vector',
  matrix: 'range vector',
  string: 'string',
};

/** Parses a PromQL expression; throws PromQLParseError (with its position) when it is not valid. */
export function parseExpr(query: string): Expr {
  return new Converter(query).parse();
}

/** Milliseconds of a Prometheus duration (`1h30m`, `5m`, `250ms`, `1y`, `2w`). */
export function parseDurationMs(text: string): number | undefined {
  if (!/^(\d+(ms|[ywdhms]))+$/.test(text)) return undefined;
  const unitMs: Record<string, number> = {
    y: 365 * 86_400_000,
    w: 7 * 86_400_000,
    d: 86_400_000,
    h: 3_600_000,
    m: 60_000,
    s: 1000,
    ms: 1,
  };
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|[ywdhms])/g)) total += Number(n) * unitMs[unit!]!;
  return total;
}

/**
 * Rewrites the two spellings Prometheus 2.42 accepts and the Prometheus 3 grammar does not, outside
 * string literals: `holt_winters(` (now double_exponential_smoothing; renamed back in the tree) and a
 * number with a trailing dot (`1.`, `5./6.`; a `0` is appended). Returns the text to parse, the offsets
 * (in it) of the renamed calls, and every edit so error positions map back to the caller's text.
 */
function normalise(query: string): {
  text: string;
  renamed: number[];
  edits: { at: number; grew: number }[];
} {
  const OLD = 'holt_winters';
  const NEW = 'double_exponential_smoothing';
  let text = '';
  const renamed: number[] = [];
  const edits: { at: number; grew: number }[] = [];
  for (let i = 0; i < query.length; i++) {
    const c = query[i]!;
    const prev = query[i - 1] ?? '';
    if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < query.length && query[j] !== c) j += query[j] === '\\' && c !== '`' ? 2 : 1;
      text += query.slice(i, j + 1);
      i = j;
    } else if (
      query.startsWith(OLD, i) &&
      !/[\w:]/.test(prev) &&
      /^\s*\(/.test(query.slice(i + OLD.length))
    ) {
      renamed.push(text.length);
      edits.push({ at: text.length, grew: NEW.length - OLD.length });
      text += NEW;
      i += OLD.length - 1;
    } else if (/\d/.test(c) && !/[\w:.]/.test(prev)) {
      const digits = /^\d+(\.?)(?![\w.])/.exec(query.slice(i));
      const whole = /^[\w.]+/.exec(query.slice(i))![0];
      if (digits?.[1] && whole === digits[0]) {
        text += `${digits[0]}0`;
        edits.push({ at: text.length - 1, grew: 1 });
      } else text += whole;
      i += (digits?.[1] && whole === digits[0] ? digits[0] : whole).length - 1;
    } else text += c;
  }
  return { text, renamed, edits };
}

class Converter {
  private readonly text: string;
  private readonly renamed: number[];
  private readonly edits: { at: number; grew: number }[];

  constructor(private readonly original: string) {
    ({ text: this.text, renamed: this.renamed, edits: this.edits } = normalise(original));
  }

  parse(): Expr {
    if (this.text.trim() === '') this.fail(0, 'no expression found in input');
    const tree = lezer.parse(this.text);
    const cursor = tree.cursor();
    do {
      if (cursor.type.isError) this.failAtError(cursor.from);
    } while (cursor.next());
    const top = tree.topNode.firstChild;
    if (!top) this.fail(0, 'no expression found in input');
    const expr = this.expr(top);
    this.check(expr);
    return expr;
  }

  private failAtError(offset: number): never {
    if (offset >= this.text.trimEnd().length) this.fail(offset, 'unexpected end of input');
    const call = /([a-zA-Z_:][\w:]*)\s*$/.exec(this.text.slice(0, offset));
    if (this.text[offset] === '(' && call)
      this.fail(call.index, `unknown function with name ${JSON.stringify(call[1])}`);
    this.fail(offset, `unexpected character: ${JSON.stringify(this.text[offset])}`);
  }

  fail(at: number, detail: string): never {
    // Back to the caller's text, which each edit before `at` made shorter.
    let offset = at;
    for (const edit of this.edits) if (edit.at < at) offset -= edit.grew;
    const before = this.original.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - (before.lastIndexOf('\n') + 1) + 1;
    throw new PromQLParseError(detail, { offset, line, column });
  }

  private src(node: SyntaxNode): string {
    return this.text.slice(node.from, node.to);
  }

  private span(node: SyntaxNode): Span {
    return { start: node.from, end: node.to };
  }

  private children(node: SyntaxNode): SyntaxNode[] {
    const out: SyntaxNode[] = [];
    for (let c = node.firstChild; c; c = c.nextSibling) out.push(c);
    return out;
  }

  private expr(node: SyntaxNode): Expr {
    const kids = this.children(node);
    switch (node.name) {
      case 'NumberDurationLiteral':
        return { type: 'NumberLiteral', value: this.number(node), span: this.span(node) };
      case 'StringLiteral':
        return { type: 'StringLiteral', value: this.string(node), span: this.span(node) };
      case 'VectorSelector':
        return this.vectorSelector(node, kids);
      case 'ParenExpr':
        return { type: 'Paren', expr: this.expr(kids[0]!), span: this.span(node) };
      case 'UnaryExpr': {
        const op = this.src(kids[0]!) as '+' | '-';
        const inner = this.expr(kids[1]!);
        // Prometheus folds a sign into a number literal.
        if (inner.type === 'NumberLiteral')
          return { ...inner, value: op === '-' ? -inner.value : inner.value, span: this.span(node) };
        return { type: 'Unary', op, expr: inner, span: this.span(node) };
      }
      case 'BinaryExpr':
        return this.binary(node, kids);
      case 'FunctionCall':
        return this.call(node, kids);
      case 'AggregateExpr':
        return this.aggregate(node, kids);
      case 'MatrixSelector':
        return this.postfix(this.expr(kids[0]!), (e) => {
          if (e.type !== 'VectorSelector') this.fail(node.from, 'ranges only allowed for vector selectors');
          if (e.offsetMs !== 0 || e.at) this.fail(node.from, 'no offset or @ modifiers allowed before range');
          return {
            type: 'MatrixSelector',
            selector: e,
            rangeMs: this.duration(kids[1]!),
            span: this.span(node),
          };
        });
      case 'SubqueryExpr': {
        const colon = this.text.indexOf(':', kids[1]!.to);
        const stepNode = kids[2];
        return this.postfix(this.expr(kids[0]!), (e) => ({
          type: 'Subquery',
          expr: e,
          rangeMs: this.duration(kids[1]!),
          stepMs: stepNode && colon >= 0 && stepNode.from > colon ? this.duration(stepNode) : 0,
          offsetMs: 0,
          at: undefined,
          span: this.span(node),
        }));
      }
      case 'OffsetExpr': {
        const offsetMs = this.offset(kids[2]!);
        return this.postfix(this.expr(kids[0]!), (e) => {
          if (e.type === 'VectorSelector' || e.type === 'Subquery') {
            if (e.offsetMs !== 0) this.fail(kids[1]!.from, 'offset may not be set multiple times');
            return { ...e, offsetMs };
          }
          if (e.type === 'MatrixSelector') {
            if (e.selector.offsetMs !== 0) this.fail(kids[1]!.from, 'offset may not be set multiple times');
            return { ...e, selector: { ...e.selector, offsetMs } };
          }
          this.fail(
            kids[1]!.from,
            'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
          );
        });
      }
      case 'StepInvariantExpr': {
        const at = this.at(kids[2]!);
        return this.postfix(this.expr(kids[0]!), (e) => {
          if (e.type === 'VectorSelector' || e.type === 'Subquery') {
            if (e.at) this.fail(kids[1]!.from, '@ <timestamp> may not be set multiple times');
            return { ...e, at };
          }
          if (e.type === 'MatrixSelector') {
            if (e.selector.at) this.fail(kids[1]!.from, '@ <timestamp> may not be set multiple times');
            return { ...e, selector: { ...e.selector, at } };
          }
          this.fail(
            kids[1]!.from,
            '@ modifier must be preceded by an instant vector selector or range vector selector or a subquery',
          );
        });
      }
      default:
        this.fail(node.from, `unsupported expression ${JSON.stringify(this.src(node))}`);
    }
  }

  /**
   * Applies a postfix modifier the way Prometheus' grammar binds it: to the rightmost operand of an
   * unparenthesised binary or unary expression, not to the whole expression.
   */
  private postfix(expr: Expr, apply: (e: Expr) => Expr): Expr {
    if (expr.type === 'Binary') return { ...expr, rhs: this.postfix(expr.rhs, apply) };
    if (expr.type === 'Unary') return { ...expr, expr: this.postfix(expr.expr, apply) };
    return apply(expr);
  }

  private number(node: SyntaxNode): number {
    const raw = this.src(node).replace(/_/g, '');
    const sign = raw.startsWith('-') ? -1 : 1;
    const body = raw.replace(/^[+-]/, '').toLowerCase();
    if (body === 'inf') return sign * Number.POSITIVE_INFINITY;
    if (body === 'nan') return Number.NaN;
    if (/^0x[0-9a-f]+$/.test(body)) return sign * Number.parseInt(body.slice(2), 16);
    const value = Number(body);
    if (Number.isNaN(value)) this.fail(node.from, `bad number or duration syntax: ${JSON.stringify(raw)}`);
    return sign * value;
  }

  private duration(node: SyntaxNode): number {
    const kids = this.children(node);
    if (
      node.name === 'DurationExpr' &&
      kids.length === 1 &&
      kids[0]!.name === 'NumberDurationLiteralInDurationContext'
    )
      return this.duration(kids[0]!);
    const text = this.src(node);
    const ms = parseDurationMs(text);
    if (ms === undefined) this.fail(node.from, `bad duration syntax: ${JSON.stringify(text)}`);
    if (ms === 0) this.fail(node.from, 'duration must be greater than 0');
    return ms;
  }

  private offset(node: SyntaxNode): number {
    const kids = this.children(node);
    if (kids[0]?.name === 'UnaryOp') {
      const sign = this.src(kids[0]) === '-' ? -1 : 1;
      return sign * this.offset(kids[1]!);
    }
    const text = this.src(kids[0] ?? node);
    const ms = parseDurationMs(text);
    if (ms === undefined) this.fail(node.from, `bad duration syntax: ${JSON.stringify(text)}`);
    return ms;
  }

  private at(node: SyntaxNode): AtModifier {
    if (node.name === 'AtModifierPreprocessors')
      return { kind: this.src(node) === 'start' ? 'start' : 'end' };
    const seconds = this.number(node);
    if (!Number.isFinite(seconds)) this.fail(node.from, 'timestamp out of bounds for @ modifier');
    return { kind: 'timestamp', ms: Math.round(seconds * 1000) };
  }

  /** Go's strconv.Unquote for the three PromQL quote styles. */
  string(node: SyntaxNode): string {
    const raw = this.src(node);
    const quote = raw[0];
    if (raw.length < 2 || raw[raw.length - 1] !== quote) this.fail(node.from, 'unterminated quoted string');
    const body = raw.slice(1, -1);
    if (quote === '`') return body;
    const simple: Record<string, string> = {
      a: '\x07',
      b: '\b',
      f: '\f',
      n: '\n',
      r: '\r',
      t: '\t',
      v: '\v',
      '\\': '\\',
      '"': '"',
      "'": "'",
    };
    let out = '';
    for (let i = 0; i < body.length; i++) {
      const c = body[i]!;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = body[++i] ?? '';
      if (e in simple) out += simple[e];
      else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = body.slice(i + 1, i + 1 + len);
        if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(hex))
          this.fail(node.from + i, `invalid escape sequence in ${raw}`);
        out +=
          e === 'x'
            ? String.fromCharCode(Number.parseInt(hex, 16))
            : String.fromCodePoint(Number.parseInt(hex, 16));
        i += len;
      } else if (/[0-7]/.test(e)) {
        const oct = body.slice(i, i + 3);
        if (!/^[0-7]{3}$/.test(oct)) this.fail(node.from + i, `invalid escape sequence in ${raw}`);
        out += String.fromCharCode(Number.parseInt(oct, 8));
        i += 2;
      } else this.fail(node.from + i, `unknown escape sequence in ${raw}`);
    }
    return out;
  }

  private vectorSelector(node: SyntaxNode, kids: SyntaxNode[]): VectorSelector {
    let name: string | undefined;
    const matchers: LabelMatcher[] = [];
    for (const kid of kids) {
      if (kid.name === 'Identifier') name = this.src(kid);
      else if (kid.name === 'LabelMatchers') {
        for (const m of this.children(kid)) {
          const parts = this.children(m);
          if (m.name === 'QuotedLabelName') {
            const quoted = this.string(parts[0]!);
            if (name !== undefined)
              this.fail(
                m.from,
                `metric name must not be set twice: ${JSON.stringify(name)} or ${JSON.stringify(quoted)}`,
              );
            name = quoted;
            continue;
          }
          const labelName =
            m.name === 'QuotedLabelMatcher' ? this.string(this.children(parts[0]!)[0]!) : this.src(parts[0]!);
          const opNode = this.children(parts[1]!)[0]!;
          const matcher: LabelMatcher = {
            name: labelName,
            op: MATCH_OPS[opNode.name]!,
            value: this.string(parts[2]!),
          };
          try {
            compileMatcher(matcher);
          } catch (e) {
            this.fail(parts[2]!.from, (e as Error).message);
          }
          matchers.push(matcher);
        }
      }
    }
    if (name !== undefined) {
      if (matchers.some((m) => m.name === METRIC_NAME_LABEL))
        this.fail(node.from, `metric name must not be set twice: ${JSON.stringify(name)}`);
      matchers.unshift({ name: METRIC_NAME_LABEL, op: '=', value: name });
    }
    if (!matchers.some((m) => !compileMatcher(m)('')))
      this.fail(node.from, 'vector selector must contain at least one non-empty matcher');
    return { type: 'VectorSelector', name, matchers, offsetMs: 0, at: undefined, span: this.span(node) };
  }

  private groupingLabels(node: SyntaxNode): string[] {
    return this.children(node).map((l) =>
      l.name === 'QuotedLabelName' ? this.string(this.children(l)[0]!) : this.src(l),
    );
  }

  private binary(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const first = kids[0]!;
    const sign = this.text[first.from];
    if (kids[1]?.name === 'Pow' && first.name === 'NumberDurationLiteral' && (sign === '-' || sign === '+')) {
      // Lezer reads `-2 ^ 2` as (-2) ^ 2; in Prometheus `^` binds tighter than the sign: -(2 ^ 2).
      const unsigned = { ...(this.expr(first) as NumberLiteral), value: Math.abs(this.number(first)) };
      const inner = this.binaryOf(node, kids, unsigned);
      return { type: 'Unary', op: sign, expr: inner, span: this.span(node) };
    }
    return this.binaryOf(node, kids, this.expr(first));
  }

  private binaryOf(node: SyntaxNode, kids: SyntaxNode[], lhs: Expr): Expr {
    const rhs = this.expr(kids[kids.length - 1]!);
    const opNode = kids[1]!;
    const op = BINARY_OPS[opNode.name];
    if (!op) this.fail(opNode.from, `unexpected operator ${JSON.stringify(this.src(opNode))}`);
    let returnBool = false;
    let card: VectorMatching['card'] = SET_OPS.has(op) ? 'many-to-many' : 'one-to-one';
    let on = false;
    let labels: string[] = [];
    let include: string[] = [];
    let explicit = false;
    for (const kid of kids.slice(2, -1)) {
      if (kid.name === 'BoolModifier') returnBool = true;
      else if (kid.name === 'MatchingModifierClause') {
        const parts = this.children(kid);
        explicit = true;
        on = parts[0]!.name === 'On';
        labels = this.groupingLabels(parts[1]!);
        const group = parts[2];
        if (group) {
          if (SET_OPS.has(op)) this.fail(group.from, `no grouping allowed for "${op}" operation`);
          card = group.name === 'GroupLeft' ? 'many-to-one' : 'one-to-many';
          include = parts[3] ? this.groupingLabels(parts[3]) : [];
        }
      } else this.fail(kid.from, `unexpected ${JSON.stringify(this.src(kid))}`);
    }
    const span = this.span(node);
    const lt = typeOf(lhs);
    const rt = typeOf(rhs);
    if (returnBool && !COMPARISON_OPS.has(op))
      this.fail(opNode.from, 'bool modifier can only be used on comparison operators');
    if (COMPARISON_OPS.has(op) && !returnBool && lt === 'scalar' && rt === 'scalar')
      this.fail(opNode.from, 'comparisons between scalars must use BOOL modifier');
    if ((lt !== 'scalar' && lt !== 'vector') || (rt !== 'scalar' && rt !== 'vector'))
      this.fail(node.from, 'binary expression must contain only scalar and instant vector types');
    if (lt !== 'vector' || rt !== 'vector') {
      if (explicit && labels.length > 0)
        this.fail(node.from, 'vector matching only allowed between instant vectors');
      if (SET_OPS.has(op)) {
        this.fail(node.from, `set operator "${op}" not allowed in binary scalar expression`);
      }
      return { type: 'Binary', op, lhs, rhs, returnBool, matching: undefined, span };
    }
    if (on) {
      for (const l of include)
        if (labels.includes(l))
          this.fail(node.from, `label "${l}" must not occur in ON and GROUP clause at once`);
    }
    return { type: 'Binary', op, lhs, rhs, returnBool, matching: { card, on, labels, include }, span };
  }

  private call(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    const identifier = this.children(kids[0]!)[0] ?? kids[0]!;
    const written = this.src(identifier);
    const func = this.renamed.includes(identifier.from) ? 'holt_winters' : written;
    const signature = FUNCTIONS[func];
    if (!signature) this.fail(node.from, `unknown function with name ${JSON.stringify(func)}`);
    const args = this.children(kids[1]!).map((a) => this.expr(a));
    const n = signature.args.length;
    if (signature.variadic === 0 && args.length !== n)
      this.fail(node.from, `expected ${n} argument(s) in call to "${func}", got ${args.length}`);
    if (signature.variadic > 0 && (args.length < n - signature.variadic || args.length > n)) {
      const bound = args.length > n ? `at most ${n}` : `at least ${n - signature.variadic}`;
      this.fail(node.from, `expected ${bound} argument(s) in call to "${func}", got ${args.length}`);
    }
    if (signature.variadic < 0 && args.length < n - 1)
      this.fail(node.from, `expected at least ${n - 1} argument(s) in call to "${func}", got ${args.length}`);
    args.forEach((arg, i) => {
      const want = signature.args[Math.min(i, n - 1)]!;
      this.expectType(arg, want, `call to function "${func}"`);
    });
    return { type: 'Call', func, args, span: this.span(node) };
  }

  private aggregate(node: SyntaxNode, kids: SyntaxNode[]): Expr {
    // Keywords are case-insensitive in PromQL (`SUM BY (job)`); function names are not.
    const op = this.src(kids[0]!).toLowerCase() as AggregateOp;
    if (!AGGREGATE_OPS.has(op)) this.fail(node.from, `unknown aggregation operator ${JSON.stringify(op)}`);
    const body = kids.find((k) => k.name === 'FunctionCallBody')!;
    const modifier = kids.find((k) => k.name === 'AggregateModifier');
    const args = this.children(body).map((a) => this.expr(a));
    const hasParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values';
    if (args.length !== (hasParam ? 2 : 1))
      this.fail(
        body.from,
        `wrong number of arguments for aggregate expression provided, expected ${hasParam ? 2 : 1}, got ${args.length}`,
      );
    const param = hasParam ? args[0] : undefined;
    const expr = args[args.length - 1]!;
    let grouping: string[] = [];
    let without = false;
    if (modifier) {
      const parts = this.children(modifier);
      without = parts[0]!.name === 'Without';
      grouping = this.groupingLabels(parts[1]!);
    }
    this.expectType(expr, 'vector', 'aggregation expression');
    if (param) this.expectType(param, op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
    return { type: 'Aggregate', op, expr, param, grouping, without, span: this.span(node) };
  }

  private expectType(expr: Expr, want: ValueType, context: string): void {
    const got = typeOf(expr);
    if (got !== want)
      this.fail(expr.span.start, `expected type ${TYPE_NAMES[want]} in ${context}, got ${TYPE_NAMES[got]}`);
  }

  /** Checks that need the whole tree (Prometheus' checkAST rules on subqueries and unary operators). */
  private check(expr: Expr): void {
    switch (expr.type) {
      case 'Subquery':
        if (typeOf(expr.expr) !== 'vector')
          this.fail(
            expr.span.start,
            `subquery is only allowed on instant vector, got ${TYPE_NAMES[typeOf(expr.expr)]} instead`,
          );
        this.check(expr.expr);
        return;
      case 'Unary': {
        const t = typeOf(expr.expr);
        if (t !== 'scalar' && t !== 'vector')
          this.fail(
            expr.span.start,
            'unary expression only allowed on expressions of type scalar or instant vector',
          );
        this.check(expr.expr);
        return;
      }
      case 'Paren':
        this.check(expr.expr);
        return;
      case 'Binary':
        this.check(expr.lhs);
        this.check(expr.rhs);
        return;
      case 'Call':
        for (const a of expr.args) this.check(a);
        return;
      case 'Aggregate':
        this.check(expr.expr);
        if (expr.param) this.check(expr.param);
        return;
      default:
        return;
    }
  }
}
