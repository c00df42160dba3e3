/**
 * PromQL label matchers, shared by the PromQL engine and the stores that push selectors down, so both
 * decide "does this series match" the same way. Prometheus semantics: a regex is fully anchored and `.`
 * matches a newline (Prometheus compiles `^(?s:…)$`); a label that is absent equals the empty string.
 */
export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface LabelMatcher {
  readonly name: string;
  readonly op: MatchOp;
  readonly value: string;
}

export type Labels = Readonly<Record<string, string>>;

/** The metric name's label, as in Prometheus. */
export const METRIC_NAME_LABEL = '__name__';

export class InvalidMatcherError extends Error {
  constructor(
    message: string,
    readonly matcher: LabelMatcher,
  ) {
    super(message);
    this.name = 'InvalidMatcherError';
  }
}

const flipCase = (c: string) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase());

/**
 * A Go (RE2) pattern as a JavaScript RegExp source. RE2's inline flags have no JavaScript equivalent
 * before V8's regexp modifiers: `(?i)` and `(?i:…)` become explicit case alternatives (`[aA]`), and
 * `(?s)` (always on here, as Prometheus compiles with it) is dropped. Everything else passes through.
 */
export function re2Source(pattern: string): string {
  if (!pattern.includes('(?')) return pattern;
  let out = '';
  // Case-insensitivity of each open group; a group inherits its parent's.
  const stack: boolean[] = [false];
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    const ci = stack[stack.length - 1]!;
    if (c === '\\') {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      else if (ci && /[a-zA-Z]/.test(c)) {
        const range = /^([a-zA-Z])-([a-zA-Z])/.exec(pattern.slice(i));
        if (range) {
          out += `${range[0]}${flipCase(range[1]!)}-${flipCase(range[2]!)}`;
          i += 2;
          continue;
        }
        out += c + flipCase(c);
        continue;
      }
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i];
      continue;
    }
    const flags = /^\(\?([imsU]*)(?:-([imsU]*))?(:|\))/.exec(pattern.slice(i));
    if (flags) {
      const on = flags[1]!.includes('i') ? true : flags[2]?.includes('i') ? false : ci;
      if (flags[3] === ':') {
        stack.push(on);
        out += '(?:';
      } else stack[stack.length - 1] = on;
      i += flags[0].length - 1;
      continue;
    }
    if (c === '(') stack.push(ci);
    else if (c === ')' && stack.length > 1) stack.pop();
    out += ci && /[a-zA-Z]/.test(c) ? `[${c}${flipCase(c)}]` : c;
  }
  return out;
}

/** Compiles a matcher into a predicate on one label value ('' when the label is absent). */
export function compileMatcher(matcher: LabelMatcher): (value: string) => boolean {
  const { op, value } = matcher;
  if (op === '=') return (v) => v === value;
  if (op === '!=') return (v) => v !== value;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${re2Source(value)})$`, 's');
  } catch (e) {
    throw new InvalidMatcherError(
      `invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}`,
      matcher,
    );
  }
  return op === '=~' ? (v) => re.test(v) : (v) => !re.test(v);
}

/** A predicate on a series' labels that holds when every matcher does. */
export function compileMatchers(matchers: readonly LabelMatcher[]): (labels: Labels) => boolean {
  const tests = matchers.map((m) => ({ name: m.name, test: compileMatcher(m) }));
  return (labels) => {
    for (const { name, test } of tests) if (!test(labels[name] ?? '')) return false;
    return true;
  };
}
