/** Metric queries over the tenant’s series. */
import { AGGREGATIONS, parseMetricQuery, seriesAsJson } from '#domain/query';
import * as z from '#domain/zod';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std } from '../operation';
import { seriesView } from '../views';

const metricQueryDoc = z.looseObject({
  metric: z
    .string()
    .check(
      z.describe(
        'The metric (float series). A histogram is read as its classic series `<name>_bucket` (dimension `le`: upper bound, cumulative count, `+Inf` last), `<name>_count` and `<name>_sum`, in every region: where native histograms are converted on ingest these are stored series; in AMP regions, where they stay native, they are converted from the native histogram `<name>` when read, by the same rules (bounds at which the cumulative count does not change, such as an empty zero bucket or a run of empty buckets, may be absent there, as the Prometheus API leaves out empty buckets). The native series `<name>` itself has no float points.',
      ),
    ),
  from: z.string().check(z.describe('epoch ms or RFC 3339')),
  to: z.string().check(z.describe('epoch ms or RFC 3339')),
  step: z.optional(z.string()).check(z.describe('seconds')),
  agg: z.optional(z.enum(AGGREGATIONS)),
});

export function metricsQueryOperations(ctx: ApiContext): Operation[] {
  const { deps } = ctx;

  return [
    op({
      method: 'GET',
      path: '/v1/metrics/query',
      summary: 'Query a metric; other query parameters filter on dimensions',
      auth: 'tenant',
      permission: 'metrics:read',
      query: metricQueryDoc,
      responses: { 200: seriesView, ...std },
      run: async ({ principal, event }) => {
        const params: Record<string, string | undefined> = { ...(event.queryStringParameters ?? {}) };
        const series = await deps.metrics.query(principal.tenantId, parseMetricQuery(params));
        return json(200, { series: seriesAsJson(series) });
      },
    }),
  ];
}
