/**
 * The metric metadata an OTLP request carries, for the metric-metadata store: per metric with data,
 * its Prometheus type (gauge; a monotonic sum is a counter, another sum a gauge; histogram and
 * exponential histogram a histogram; summary), its description as help, its unit. Names are the
 * stored metric names (a histogram's base name).
 */
import type { OtlpRequest } from '#protocols/otlp/model';
import { MetadataCollector, type MetricType } from '../metric-metadata';

export function otlpMetadata(request: OtlpRequest): MetadataCollector {
  const collector = new MetadataCollector();
  for (const rm of request.resourceMetrics)
    for (const sm of rm.scopeMetrics)
      for (const metric of sm.metrics) {
        if (metric.points.length === 0) continue;
        let type: MetricType;
        if (metric.type === 'sum') type = metric.monotonic ? 'counter' : 'gauge';
        else if (metric.type === 'exponentialHistogram' || metric.type === 'histogram') type = 'histogram';
        else if (metric.type === 'gauge' || metric.type === 'summary') type = metric.type;
        else continue;
        collector.addFields(metric.name, type, metric.description ?? '', metric.unit ?? '');
      }
  return collector;
}
