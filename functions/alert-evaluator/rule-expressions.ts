/**
 * PromQL rule expressions evaluated by the query function's backend for the region's store: the
 * engine over SQLite or Timestream (the same selector port, one query budget per evaluation), or the
 * AMP workspace with the tenant's matcher injected. Every evaluation is bounded by the rule limits.
 */
import { UnprocessableError } from '#domain/errors';
import { DEFAULT_QUERY_LIMITS, type QueryLimits } from '#domain/query-limits';
import type { RuleExpressions } from '#ports/rule-expressions';
import type { QueryBackend } from '../query/backend';

/**
 * The API's limits, with a shorter timeout: a rule shares the evaluator's minute with every other
 * rule, so one expression may not take the two minutes an interactive query may.
 */
export const RULE_QUERY_LIMITS: QueryLimits = { ...DEFAULT_QUERY_LIMITS, timeoutMs: 20_000 };

export function backendRuleExpressions(
  backend: QueryBackend,
  limits: QueryLimits = RULE_QUERY_LIMITS,
): RuleExpressions {
  return {
    async instant(tenantId, expr, timeMs) {
      const answer = await backend.instant(
        { tenantId, limits, signal: AbortSignal.timeout(limits.timeoutMs) },
        expr,
        timeMs,
      );
      // The rule's expression was checked to be an instant vector when it was saved.
      if (answer.resultType !== 'vector')
        throw new UnprocessableError(`expr gave a ${answer.resultType}, not an instant vector`, 'expr');
      return answer.result.map((s) => ({ labels: s.metric, value: s.value }));
    },
  };
}
