/**
 * The engine's typed errors, each mapped by the API to one Prometheus error type: a parse or type
 * error is `bad_data` (400), an execution error `execution` (422), a limit `execution` (422) or,
 * for the timeout, `timeout` (503).
 */

/** Where in the query text a parse error is (1-based line and column, 0-based offset). */
export interface QueryPosition {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A query the engine refuses to run as written (Prometheus' `bad_data`, HTTP 400). */
export class BadQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadQueryError';
  }
}

/** A syntax or type error, with where in the query it is. */
export class PromQLParseError extends BadQueryError {
  constructor(
    /** Without the position prefix. */
    readonly detail: string,
    readonly position: QueryPosition,
  ) {
    // Prometheus' ParseErr text: "1:5: parse error: unexpected end of input".
    super(`${position.line}:${position.column}: parse error: ${detail}`);
    this.name = 'PromQLParseError';
  }
}

/** An error while evaluating a valid query (Prometheus' execution errors), e.g. duplicate series. */
export class QueryExecutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryExecutionError';
  }
}

export { QueryCanceledError, QueryLimitError } from './limits';
