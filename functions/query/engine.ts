/**
 * What the query function needs of the PromQL engine (shared/promql), as a port: the app is written
 * against this and the wiring (promql.ts) binds it to the engine, translating the engine's errors
 * into the domain's (a parse error is a BadRequestError, a limit a QueryLimitExceededError, anything
 * else the engine refuses an UnprocessableError), so one mapping turns them into Prometheus' answers.
 */
import type { LabelMatcher, Labels } from '#domain/label-matchers';
import type { QueryLimits } from '#domain/query-limits';
import type { SelectSeries, StreamSeries } from '#ports/series-source';

/** The engine's result shapes (shared/promql/engine.ts). */
export interface InstantSample {
  readonly metric: Labels;
  readonly timeMs: number;
  readonly value: number;
}
export interface RangeSeries {
  readonly metric: Labels;
  readonly timestampsMs: ArrayLike<number>;
  readonly values: ArrayLike<number>;
}

export type QueryResult =
  | { readonly resultType: 'vector'; readonly result: readonly InstantSample[] }
  | { readonly resultType: 'matrix'; readonly result: readonly RangeSeries[] }
  | {
      readonly resultType: 'scalar';
      readonly result: { readonly timeMs: number; readonly value: number };
    }
  | {
      readonly resultType: 'string';
      readonly result: { readonly timeMs: number; readonly value: string };
    };

export type EngineAnswer = QueryResult & { readonly warnings?: readonly string[] };

interface Common {
  readonly query: string;
  readonly select: SelectSeries;
  /** The same series one at a time (aggregations fold them); absent: streamed from `select`. */
  readonly stream?: StreamSeries;
  readonly limits: QueryLimits;
  readonly signal: AbortSignal;
}

export interface PromqlEngine {
  instant(args: Common & { readonly timeMs: number }): Promise<EngineAnswer>;
  range(
    args: Common & { readonly startMs: number; readonly endMs: number; readonly stepMs: number },
  ): Promise<EngineAnswer>;
  /** The query in Prometheus' canonical formatting (/api/v1/format_query). */
  format(query: string): string;
  /** A series selector (`match[]`) as its matchers. */
  selectorMatchers(selector: string): LabelMatcher[];
  /**
   * The query with every selector's matchers replaced by `rewrite(matchers)`, printed back
   * (tenancy and name escaping on a shared Prometheus, as prom-label-proxy rewrites queries).
   */
  rewriteSelectors(query: string, rewrite: (matchers: readonly LabelMatcher[]) => LabelMatcher[]): string;
}
