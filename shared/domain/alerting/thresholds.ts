/**
 * Static thresholds in LogicMonitor's notation: an operator and up to three levels, in the order
 * warning, error, critical. `"> 60 80 90"` raises warning above 60, error above 80, critical above 90;
 * `"< 10 5 1"` does the same for falling values. A level may be left out with `-` (`"> - 80 90"`).
 */
import { UnprocessableError } from '../errors';

export const SEVERITIES = ['warning', 'error', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const COMPARISON_OPERATORS = ['>', '>=', '<', '<=', '=', '!='] as const;
export type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export interface StaticThreshold {
  readonly operator: ComparisonOperator;
  readonly warning?: number;
  readonly error?: number;
  readonly critical?: number;
}

/** Higher is worse: `critical` outranks `error` outranks `warning`. */
export const severityRank = (severity: Severity | undefined): number =>
  severity === undefined ? 0 : SEVERITIES.indexOf(severity) + 1;

export const maxSeverity = (a: Severity | undefined, b: Severity | undefined): Severity | undefined =>
  severityRank(a) >= severityRank(b) ? a : b;

export function compare(value: number, operator: ComparisonOperator, level: number): boolean {
  switch (operator) {
    case '>':
      return value > level;
    case '>=':
      return value >= level;
    case '<':
      return value < level;
    case '<=':
      return value <= level;
    case '=':
      return value === level;
    case '!=':
      return value !== level;
  }
}

/** Parses `"> 60 80 90"`; throws a 422 naming `field` when the expression is malformed. */
export function parseThreshold(expression: string, field = 'threshold'): StaticThreshold {
  const parts = expression.trim().split(/\s+/);
  const operator = parts[0] === '==' ? '=' : parts[0];
  if (!operator || !(COMPARISON_OPERATORS as readonly string[]).includes(operator))
    throw new UnprocessableError(
      `${field}: must start with one of ${COMPARISON_OPERATORS.join(' ')} (e.g. "> 60 80 90")`,
      field,
    );
  const levels = parts.slice(1);
  if (levels.length < 1 || levels.length > 3)
    throw new UnprocessableError(`${field}: give one to three levels: warning error critical`, field);
  const values: (number | undefined)[] = levels.map((raw) => {
    if (raw === '-') return undefined;
    const n = Number(raw);
    if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw) || !Number.isFinite(n))
      throw new UnprocessableError(`${field}: "${raw}" is not a number`, field);
    return n;
  });
  if (values.every((v) => v === undefined))
    throw new UnprocessableError(`${field}: at least one level is required`, field);
  const threshold: { -readonly [K in keyof StaticThreshold]: StaticThreshold[K] } = {
    operator: operator as ComparisonOperator,
  };
  values.forEach((v, i) => {
    if (v !== undefined) threshold[SEVERITIES[i] as Severity] = v;
  });
  return threshold;
}

/** `"> 60 80 90"` back from a threshold. */
export function formatThreshold(threshold: StaticThreshold): string {
  const levels = SEVERITIES.map((s) => (threshold[s] === undefined ? '-' : String(threshold[s])));
  while (levels.length > 1 && levels[levels.length - 1] === '-') levels.pop();
  return `${threshold.operator} ${levels.join(' ')}`;
}

/**
 * The values of a rule's window that a threshold can judge. NaN is data (the series is not silent)
 * but compares with nothing, so it neither breaches nor clears: it is left out, except from `count`,
 * which counts samples. ±Inf stays and compares as IEEE says.
 */
export function judgeableValues(values: readonly number[], aggregation: string): readonly number[] {
  if (aggregation === 'count') return values;
  return values.some(Number.isNaN) ? values.filter((v) => !Number.isNaN(v)) : values;
}

/** The highest severity whose level the value breaches, or undefined when none. */
export function staticSeverity(value: number, threshold: StaticThreshold): Severity | undefined {
  for (let i = SEVERITIES.length - 1; i >= 0; i--) {
    const severity = SEVERITIES[i] as Severity;
    const level = threshold[severity];
    if (level !== undefined && compare(value, threshold.operator, level)) return severity;
  }
  return undefined;
}
