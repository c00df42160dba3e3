/**
 * The PromqlEngine port bound to the engine (shared/promql), its errors translated into the domain's:
 * a parse or type error is a BadRequestError (400 bad_data), a limit a QueryLimitExceededError (422)
 * or, for the timeout and a cancelled query, a QueryUnavailableError naming query_timeout (503), an
 * execution error an UnprocessableError (422). The store's own errors pass unchanged.
 */
import { BadRequestError, DomainError, UnprocessableError } from '#domain/errors';
import { QUERY_LIMIT_NAMES, QueryLimitExceededError, QueryUnavailableError } from '#domain/query-limits';
import { evaluateInstant, evaluateRange } from '#promql/engine';
import { BadQueryError, QueryCanceledError, QueryExecutionError, QueryLimitError } from '#promql/errors';
import { exprString, formatExpr, mapSelectors } from '#promql/format';
import { parseExpr } from '#promql/parser';
import type { PromqlEngine } from './engine';

function translated(error: unknown): unknown {
  if (error instanceof DomainError) return error;
  if (error instanceof BadQueryError) return new BadRequestError(error.message, 'query');
  if (error instanceof QueryLimitError)
    return error.limit === 'query_timeout'
      ? new QueryUnavailableError(QUERY_LIMIT_NAMES.timeoutMs, error.message)
      : new QueryLimitExceededError(error.limit, error.message);
  if (error instanceof QueryCanceledError)
    return new QueryUnavailableError(QUERY_LIMIT_NAMES.timeoutMs, error.message);
  if (error instanceof QueryExecutionError) return new UnprocessableError(error.message, 'query');
  return error;
}

const parse = (query: string) => {
  try {
    return parseExpr(query);
  } catch (error) {
    throw translated(error);
  }
};

export const promqlEngine: PromqlEngine = {
  instant: ({ limits, ...rest }) =>
    evaluateInstant({
      ...rest,
      limits: { maxSamples: limits.maxSamples, maxSeries: limits.maxSeries, timeoutMs: limits.timeoutMs },
    }).catch((error: unknown) => Promise.reject(translated(error))),
  range: ({ limits, ...rest }) =>
    evaluateRange({
      ...rest,
      limits: { maxSamples: limits.maxSamples, maxSeries: limits.maxSeries, timeoutMs: limits.timeoutMs },
    }).catch((error: unknown) => Promise.reject(translated(error))),
  format: (query) => formatExpr(parse(query)),
  selectorMatchers: (selector) => {
    const expr = parse(selector);
    if (expr.type !== 'VectorSelector')
      throw new BadRequestError(
        `invalid parameter "match[]": ${JSON.stringify(selector)} is not a series selector`,
        'match[]',
      );
    return [...expr.matchers];
  },
  rewriteSelectors: (query, rewrite) =>
    exprString(
      mapSelectors(parse(query), (vs) => ({ ...vs, name: undefined, matchers: rewrite(vs.matchers) })),
    ),
};
