/**
 * How a store narrows a PromQL selector before it reads: the metric-name matcher picks the metrics to
 * look at (an index lookup for `=`, a test per distinct metric name for a regex), every other matcher
 * is checked on the labels of each candidate series. Shared so every store decides the same way.
 */
import {
  compileMatcher,
  compileMatchers,
  type LabelMatcher,
  type Labels,
  METRIC_NAME_LABEL,
} from './label-matchers';

export interface SelectorPlan {
  /** The one metric to read (`__name__="x"`), when the selector names it exactly. */
  readonly metric?: string;
  /** Which metric names can match; absent when any can (no positive name matcher). */
  readonly metricTest?: (name: string) => boolean;
  /** Every matcher, on a series' labels (the name included). */
  readonly matches: (labels: Labels) => boolean;
}

export function planSelector(matchers: readonly LabelMatcher[]): SelectorPlan {
  const nameMatchers = matchers.filter((m) => m.name === METRIC_NAME_LABEL);
  const exact = nameMatchers.find((m) => m.op === '=');
  const nameTests = nameMatchers.map(compileMatcher);
  const matches = compileMatchers(matchers);
  if (exact) return { metric: exact.value, metricTest: (n) => nameTests.every((t) => t(n)), matches };
  if (nameMatchers.length === 0) return { matches };
  return { metricTest: (n) => nameTests.every((t) => t(n)), matches };
}

/** The labels PromQL sees for a stored series: its dimensions and the metric as `__name__`. */
export function seriesLabelsOf(metric: string, dimensions: Readonly<Record<string, string>>): Labels {
  return { ...dimensions, [METRIC_NAME_LABEL]: metric };
}
