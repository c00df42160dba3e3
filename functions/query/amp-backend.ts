/**
 * AMP regions: the workspace evaluates. Every selector of the query gets the tenant's matcher (the way
 * prom-label-proxy enforces tenancy), names are escaped the way the AMP store writes them
 * (amp-labels.ts), and answers come back with names unescaped and the tenant label removed, so a
 * tenant sees the same labels as on the other stores and nothing of another tenant.
 */
import {
  dimensionNameToLabel,
  dimensionsFromLabels,
  METRIC_NAME_LABEL,
  metricNameToPrometheus,
  nameFromPrometheus,
  promqlString,
  TENANT_LABEL,
} from '#adapters/aws/amp-labels';
import type { LabelMatcher, Labels } from '#domain/label-matchers';
import { QUERY_LIMIT_NAMES, QueryLimitExceededError } from '#domain/query-limits';
import { seriesLabelsOf } from '#domain/selector-plan';
import type { ListRequest, QueryBackend, QueryContext } from './backend';
import type { EngineAnswer, PromqlEngine } from './engine';

/** What the backend needs of the AMP store: AmpMetricStore.prometheusApi. */
export interface PrometheusApi {
  prometheusApi(
    path: string,
    params: readonly (readonly [string, string])[],
  ): Promise<{ data: unknown; warnings: string[] }>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(3);

/** A matcher as the workspace stores names: metric and label names escaped, values unchanged. */
export function toWorkspaceMatcher(matcher: LabelMatcher): LabelMatcher {
  if (matcher.name === METRIC_NAME_LABEL)
    return matcher.op === '=' || matcher.op === '!='
      ? { ...matcher, value: metricNameToPrometheus(matcher.value) }
      : matcher;
  return { ...matcher, name: dimensionNameToLabel(matcher.name) };
}

const tenantMatcher = (tenantId: string): LabelMatcher => ({ name: TENANT_LABEL, op: '=', value: tenantId });

/** `{tenant_id="t", …}`: the tenant's matcher first, then the request's, escaped. */
export function workspaceSelector(tenantId: string, matchers: readonly LabelMatcher[]): string {
  const all = [tenantMatcher(tenantId), ...matchers.map(toWorkspaceMatcher)];
  return `{${all.map((m) => `${m.name}${m.op}${promqlString(m.value)}`).join(',')}}`;
}

/** A workspace series' labels as the tenant sees them: names unescaped, the tenant label gone. */
export function tenantLabels(labels: Readonly<Record<string, string>>): Labels {
  const dimensions = dimensionsFromLabels(labels);
  const name = labels[METRIC_NAME_LABEL];
  return name === undefined ? dimensions : seriesLabelsOf(nameFromPrometheus(name), dimensions);
}

interface PromVector {
  metric: Record<string, string>;
  value: [number, string];
}
interface PromMatrix {
  metric: Record<string, string>;
  values: [number, string][];
}

function toAnswer(data: unknown, warnings: string[]): EngineAnswer {
  const { resultType, result } = data as { resultType: string; result: unknown };
  const ms = (t: number) => Math.round(t * 1000);
  switch (resultType) {
    case 'vector':
      return {
        resultType,
        result: (result as PromVector[]).map((s) => ({
          metric: tenantLabels(s.metric),
          timeMs: ms(s.value[0]),
          value: Number(s.value[1]),
        })),
        warnings,
      };
    case 'matrix':
      return {
        resultType,
        result: (result as PromMatrix[]).map((s) => ({
          metric: tenantLabels(s.metric),
          timestampsMs: s.values.map((v) => ms(v[0])),
          values: s.values.map((v) => Number(v[1])),
        })),
        warnings,
      };
    case 'scalar': {
      const [t, v] = result as [number, string];
      return { resultType, result: { timeMs: ms(t), value: Number(v) }, warnings };
    }
    default: {
      const [t, v] = result as [number, string];
      return { resultType: 'string', result: { timeMs: ms(t), value: v }, warnings };
    }
  }
}

export function ampBackend(workspace: PrometheusApi, engine: PromqlEngine): QueryBackend {
  // Every selector: the tenant's matcher first, the query's own matchers with names escaped as written
  // (a matcher on `tenant_id` names a client dimension, escaped, so it can neither widen nor redirect).
  const scoped = (ctx: QueryContext, query: string) =>
    engine.rewriteSelectors(query, (matchers) => [
      tenantMatcher(ctx.tenantId),
      ...matchers.map(toWorkspaceMatcher),
    ]);
  return {
    instant: async (ctx, query, timeMs) => {
      const { data, warnings } = await workspace.prometheusApi('/api/v1/query', [
        ['query', scoped(ctx, query)],
        ['time', seconds(timeMs)],
        ['timeout', `${Math.floor(ctx.limits.timeoutMs / 1000)}s`],
      ]);
      return toAnswer(data, warnings);
    },
    range: async (ctx, query, startMs, endMs, stepMs) => {
      const { data, warnings } = await workspace.prometheusApi('/api/v1/query_range', [
        ['query', scoped(ctx, query)],
        ['start', seconds(startMs)],
        ['end', seconds(endMs)],
        ['step', `${stepMs / 1000}`],
        ['timeout', `${Math.floor(ctx.limits.timeoutMs / 1000)}s`],
      ]);
      return toAnswer(data, warnings);
    },
    series: async (ctx, request: ListRequest) => {
      const { data } = await workspace.prometheusApi('/api/v1/series', [
        ...request.selectors.map((m) => ['match[]', workspaceSelector(ctx.tenantId, m)] as const),
        ['start', seconds(request.startMs)],
        ['end', seconds(request.endMs)],
        // One more than the limit: more series than the limit is a refusal, not a silent cut.
        ['limit', String(ctx.limits.maxSeries + 1)],
      ]);
      const series = data as Record<string, string>[];
      if (series.length > ctx.limits.maxSeries)
        throw new QueryLimitExceededError(
          QUERY_LIMIT_NAMES.maxSeries,
          `the query would read more than ${ctx.limits.maxSeries} series; narrow its selectors`,
        );
      return series.map(tenantLabels);
    },
  };
}
