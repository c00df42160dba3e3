import type { ExprSample } from '#domain/alerting/expr-rule';

/**
 * How the alert evaluator evaluates a PromQL rule's expression: an instant query over one tenant's
 * series, bound to that tenant by the caller (the rule's own), within query limits. Implemented over
 * the query API's backend (functions/alert-evaluator/rule-expressions.ts), so the engine, the selector
 * port, the tenant scoping and the limits are the API's. A refused query throws the API's errors (a
 * limit: QueryLimitExceededError or QueryUnavailableError, naming it).
 */
export interface RuleExpressions {
  instant(tenantId: string, expr: string, timeMs: number): Promise<readonly ExprSample[]>;
}
