import { type LabelMatcher, type Labels, METRIC_NAME_LABEL } from '#domain/label-matchers';
import { QueryBudget } from '#domain/query-limits';
import type { SeriesReaderSource } from '#ports/series-source';
import { labelsKey } from '#promql/series';
import type { ListRequest, QueryBackend, QueryContext } from './backend';
import type { PromqlEngine } from './engine';

/** Every series: what /api/v1/labels and label values list without a `match[]`. */
export const ANY_SERIES: readonly LabelMatcher[] = [{ name: METRIC_NAME_LABEL, op: '=~', value: '.+' }];

/**
 * The engine over a store: one budget per query, charged by every selector the engine reads and by
 * every series a listing finds, so the query's series and sample limits hold while the store reads.
 */
export function engineBackend(store: SeriesReaderSource, engine: PromqlEngine): QueryBackend {
  const reader = (ctx: QueryContext) =>
    store.seriesReader(ctx.tenantId, new QueryBudget(ctx.limits, ctx.signal));
  return {
    instant: (ctx, query, timeMs) => {
      const { select, stream } = reader(ctx);
      return engine.instant({ query, timeMs, select, stream, limits: ctx.limits, signal: ctx.signal });
    },
    range: (ctx, query, startMs, endMs, stepMs) => {
      const { select, stream } = reader(ctx);
      return engine.range({
        query,
        startMs,
        endMs,
        stepMs,
        select,
        stream,
        limits: ctx.limits,
        signal: ctx.signal,
      });
    },
    series: async (ctx, request: ListRequest) => {
      const { listSeries } = reader(ctx);
      const found = new Map<string, Labels>();
      for (const matchers of request.selectors)
        for (const labels of await listSeries({ matchers, startMs: request.startMs, endMs: request.endMs }))
          found.set(labelsKey(labels), labels);
      return [...found.values()];
    },
  };
}
