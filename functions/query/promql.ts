/**
 * The PromqlEngine port bound to an engine. STAND-IN until shared/promql lands on main: series
 * selectors are parsed here (metric name and `{label op "value"}` matchers), expressions are refused.
 */
import { BadRequestError, UnprocessableError } from '../../shared/domain/errors';
import { type LabelMatcher, type MatchOp, METRIC_NAME_LABEL } from '../../shared/domain/label-matchers';
import type { PromqlEngine } from './engine';

const notYet = (): never => {
  throw new UnprocessableError('PromQL evaluation is not available in this build', 'query');
};

export const promqlEngine: PromqlEngine = {
  instant: async () => notYet(),
  range: async () => notYet(),
  format: () => notYet(),
  rewriteSelectors: () => notYet(),
  selectorMatchers: parseSelector,
};

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const OP = /^(=~|!~|!=|=)/;

function parseSelector(text: string): LabelMatcher[] {
  let rest = text.trim();
  const bad = (why: string) =>
    new BadRequestError(`invalid series selector ${JSON.stringify(text)}: ${why}`, 'match[]');
  const matchers: LabelMatcher[] = [];
  const name = NAME.exec(rest);
  if (name) {
    matchers.push({ name: METRIC_NAME_LABEL, op: '=', value: name[0] });
    rest = rest.slice(name[0].length).trim();
  }
  if (rest.startsWith('{')) {
    rest = rest.slice(1).trim();
    while (!rest.startsWith('}')) {
      const label = LABEL.exec(rest);
      if (!label) throw bad('expected a label name');
      rest = rest.slice(label[0].length).trim();
      const op = OP.exec(rest);
      if (!op) throw bad('expected =, !=, =~ or !~');
      rest = rest.slice(op[0].length).trim();
      const [value, after] = stringLiteral(rest, bad);
      matchers.push({ name: label[0], op: op[0] as MatchOp, value });
      rest = after.trim();
      if (rest.startsWith(',')) rest = rest.slice(1).trim();
      else if (!rest.startsWith('}')) throw bad('expected , or }');
    }
    rest = rest.slice(1).trim();
  }
  if (rest !== '') throw bad('unexpected text after the selector');
  if (!matchers.some((m) => !compileEmpty(m)))
    throw bad('vector selector must contain at least one non-empty matcher');
  return matchers;
}

/** True when the matcher matches the empty string (Prometheus refuses selectors of only those). */
function compileEmpty(m: LabelMatcher): boolean {
  if (m.op === '=') return m.value === '';
  if (m.op === '!=') return m.value !== '';
  const re = new RegExp(`^(?:${m.value})$`, 's');
  return m.op === '=~' ? re.test('') : !re.test('');
}

function stringLiteral(text: string, bad: (why: string) => Error): [string, string] {
  const quote = text[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') throw bad('expected a quoted string');
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const c = text[i] as string;
    if (c === quote) return [out, text.slice(i + 1)];
    if (c === '\\' && quote !== '`') {
      const next = text[++i];
      out += next === 'n' ? '\n' : next === 't' ? '\t' : next === 'r' ? '\r' : (next ?? '');
    } else out += c;
  }
  throw bad('unterminated string');
}
