/**
 * Where a tenant's PromQL queries are answered: the engine over the region's store (SQLite locally,
 * Timestream), or the AMP workspace's own Prometheus API with the tenant's matcher injected.
 * Both get the tenant from the credential and the limits of the query; neither can see past the tenant.
 */
import type { LabelMatcher, Labels } from '#domain/label-matchers';
import type { QueryLimits } from '#domain/query-limits';
import type { EngineAnswer } from './engine';

export interface ListRequest {
  /** One matcher list per `match[]`, series matching any of them; at least one list. */
  readonly selectors: readonly (readonly LabelMatcher[])[];
  readonly startMs: number;
  readonly endMs: number;
}

export interface QueryContext {
  readonly tenantId: string;
  readonly limits: QueryLimits;
  readonly signal: AbortSignal;
}

export interface QueryBackend {
  instant(ctx: QueryContext, query: string, timeMs: number): Promise<EngineAnswer>;
  range(
    ctx: QueryContext,
    query: string,
    startMs: number,
    endMs: number,
    stepMs: number,
  ): Promise<EngineAnswer>;
  /** Label sets of the series matching any selector with samples in the range. */
  series(ctx: QueryContext, request: ListRequest): Promise<readonly Labels[]>;
}
