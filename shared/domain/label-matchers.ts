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

/** Compiles a matcher into a predicate on one label value ('' when the label is absent). */
export function compileMatcher(matcher: LabelMatcher): (value: string) => boolean {
  const { op, value } = matcher;
  if (op === '=') return (v) => v === value;
  if (op === '!=') return (v) => v !== value;
  let re: RegExp;
  try {
    re = new RegExp(`^(?:${value})$`, 's');
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
