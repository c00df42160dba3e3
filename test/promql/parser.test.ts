import { describe, expect, it } from 'vitest';
import { PromQLParseError } from '#promql/errors';
import { exprString, formatExpr, injectMatcher, selectorsOf } from '#promql/format';
import { parseExpr } from '#promql/parser';

const canonical = (q: string) => exprString(parseExpr(q));

describe('parseExpr', () => {
  it('binds offset, @ and ranges to the nearest operand, as Prometheus does', () => {
    expect(canonical('a + b offset 5m')).toBe('a + b offset 5m');
    const e = parseExpr('a + b offset 5m');
    expect(e.type === 'Binary' && e.lhs.type === 'VectorSelector' && e.lhs.offsetMs).toBe(0);
    expect(e.type === 'Binary' && e.rhs.type === 'VectorSelector' && e.rhs.offsetMs).toBe(300_000);
    const s = parseExpr('sum(x) + rate(y[5m])[10m:1m] @ 100');
    expect(s.type === 'Binary' && s.rhs.type).toBe('Subquery');
  });

  it('gives ^ precedence over a sign and is right-associative', () => {
    expect(canonical('-2 ^ 2')).toBe('-2 ^ 2');
    const neg = parseExpr('-2 ^ 2');
    expect(neg.type === 'Unary' && neg.expr.type).toBe('Binary');
    expect(canonical('2 ^ 3 ^ 2')).toBe('2 ^ 3 ^ 2');
    const e = parseExpr('2 ^ 3 ^ 2');
    expect(e.type === 'Binary' && e.rhs.type).toBe('Binary');
  });

  it('reads matching modifiers, bool and grouping', () => {
    const e = parseExpr('a / on(x, y) group_left(z) b');
    expect(e.type === 'Binary' && e.matching).toEqual({
      card: 'many-to-one',
      on: true,
      labels: ['x', 'y'],
      include: ['z'],
    });
    expect(canonical('sum(rate(x[5m])) by (job)')).toBe('sum by (job) (rate(x[5m]))');
    expect(canonical('a > bool ignoring(c) b')).toBe('a > bool ignoring (c) b');
    expect(canonical('topk(3, x) without (a)')).toBe('topk without (a) (3, x)');
  });

  it('unquotes strings as Go does and prints numbers and durations as Prometheus does', () => {
    expect(canonical('label_replace(x, "a\\tb", `c\\d`, "e", \'f\')')).toBe(
      'label_replace(x, "a\\tb", "c\\\\d", "e", "f")',
    );
    expect(canonical('x > 1000000')).toBe('x > 1e+06');
    expect(canonical('x[90m] offset 1d')).toBe('x[1h30m] offset 1d');
    expect(canonical('x @ 1600000000')).toBe('x @ 1600000000.000');
    expect(canonical('0x10 + Inf')).toBe('16 + +Inf');
  });

  it.each([
    ['a +', 1, 4, 'unexpected end of input'],
    ['rate(a)', 1, 6, 'expected type range vector in call to function "rate", got instant vector'],
    ['sum(a[5m])', 1, 5, 'expected type instant vector in aggregation expression, got range vector'],
    ['1 > 2', 1, 3, 'comparisons between scalars must use BOOL modifier'],
    ['{}', 1, 1, 'vector selector must contain at least one non-empty matcher'],
    ['{a=~".*"}', 1, 1, 'vector selector must contain at least one non-empty matcher'],
    ['foo(a)', 1, 1, 'unknown function with name "foo"'],
    ['a and 1', 1, 1, 'set operator "and" not allowed in binary scalar expression'],
    ['x offset 1m offset 2m', 1, 13, 'offset may not be set multiple times'],
    [
      'sum(x) offset 1m',
      1,
      8,
      'offset modifier must be preceded by an instant vector selector or range vector selector or a subquery',
    ],
    ['a[5m] + 1', 1, 1, 'binary expression must contain only scalar and instant vector types'],
    ['x{a=~"("}', 1, 6, 'invalid regular expression'],
    ['round(x, 1, 2)', 1, 1, 'expected at most 2 argument(s) in call to "round", got 3'],
    ['a\n  + ', 2, 5, 'unexpected end of input'],
    ['double_exponential_smoothing(x[5m], 0.1, 0.1)', 1, 1, 'unknown function'],
    ['x[5m + 1m]', 1, 3, 'bad duration syntax'],
  ])('refuses %j at %i:%i: %s', (query, line, column, detail) => {
    let error: unknown;
    try {
      parseExpr(query);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PromQLParseError);
    const parseError = error as PromQLParseError;
    expect(parseError.detail).toContain(detail);
    expect(parseError.position).toMatchObject({ line, column });
    expect(parseError.message).toMatch(new RegExp(`^${line}:${column}: parse error: `));
  });
});

describe('formatExpr', () => {
  it('keeps a short query on one line and splits a long one as Prometheus prettifies', () => {
    expect(formatExpr(parseExpr('sum   by(job)(rate(x{a="b"}[5m]))'))).toBe(
      'sum by (job) (rate(x{a="b"}[5m]))',
    );
    const long =
      'sum by (job, instance) (rate(http_server_requests_seconds_count{status=~"5..", service="checkout"}[5m])) / sum by (job, instance) (rate(http_server_requests_seconds_count[5m]))';
    expect(formatExpr(parseExpr(long))).toBe(
      [
        '  sum by (job, instance) (',
        '    rate(http_server_requests_seconds_count{service="checkout",status=~"5.."}[5m])',
        '  )',
        '/',
        '  sum by (job, instance) (rate(http_server_requests_seconds_count[5m]))',
      ].join('\n'),
    );
  });
});

describe('injectMatcher', () => {
  const tenant = { name: 'tenant', op: '=', value: 't1' } as const;

  it('binds every selector, in ranges and subqueries too, and replaces any matcher on that label', () => {
    expect(injectMatcher('sum(rate(a{b="c"}[5m] offset 1m)) / on(x) b', tenant)).toBe(
      'sum(rate(a{b="c",tenant="t1"}[5m] offset 1m)) / on (x) b{tenant="t1"}',
    );
    expect(
      injectMatcher('max_over_time(x{tenant=~".+"}[10m:1m]) or {__name__=~".+", tenant!="t1"}', tenant),
    ).toBe('max_over_time(x{tenant="t1"}[10m:1m]) or {__name__=~".+",tenant="t1"}');
    const rewritten = parseExpr(
      injectMatcher('a + label_replace(b, "x", "y", "z", ".*") + vector(1)', tenant),
    );
    const selectors = selectorsOf(rewritten);
    expect(selectors).toHaveLength(2);
    for (const s of selectors) expect(s.matchers.filter((m) => m.name === 'tenant')).toEqual([tenant]);
  });

  it('refuses a query it cannot parse rather than forwarding it', () => {
    expect(() => injectMatcher('sum(', tenant)).toThrow(PromQLParseError);
  });
});
