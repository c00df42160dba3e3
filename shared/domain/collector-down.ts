/**
 * The built-in "collector down" alert: every collector that has ever beaten is one series
 * (`collector_down{collectorId, collector, datasource="Collector"}` = 1 while its heartbeat is
 * stale, 0 while it beats), evaluated like any rule. So the alert opens once per collector when it
 * goes silent for its downAfterSeconds, clears when it beats again, is routed by the tenant's alert
 * routes (match the metric, the datasource or this rule id; an unrouted alert is shown but not
 * notified, as LogicMonitor does) and held by downtimes that name the collector id or the rule.
 */
import type { AlertRule } from './alerting/rule';
import type { Series } from './query';
import { type Collector, collectorStatus } from './tenant';

/** Not a possible id of an API-created rule (those are 24 hex digits). */
export const COLLECTOR_DOWN_RULE_ID = 'builtin-collector-down';
export const COLLECTOR_DOWN_METRIC = 'collector_down';
export const COLLECTOR_DATASOURCE = 'Collector';

export function collectorDownRule(tenantId: string): AlertRule {
  return {
    tenantId,
    ruleId: COLLECTOR_DOWN_RULE_ID,
    name: 'Collector down',
    enabled: true,
    selector: { metric: COLLECTOR_DOWN_METRIC, filters: {} },
    // The collector's id is the alert's resource: a downtime naming it holds the alert.
    resourceDimension: 'collectorId',
    windowSeconds: 60,
    aggregation: 'max',
    threshold: { operator: '>=', error: 1 },
    triggerInterval: 1,
    clearInterval: 1,
    createdAt: '1970-01-01T00:00:00.000Z',
    updatedAt: '1970-01-01T00:00:00.000Z',
  };
}

/** One series per collector that has beaten at least once (a never-seen one is not down). */
export const collectorDownSeries = (collectors: readonly Collector[], nowMs: number): Series[] =>
  collectors.flatMap((c) => {
    const status = collectorStatus(c, nowMs);
    if (status === 'never-seen') return [];
    return [
      {
        metric: COLLECTOR_DOWN_METRIC,
        dimensions: { collectorId: c.collectorId, collector: c.name, datasource: COLLECTOR_DATASOURCE },
        points: [[nowMs, status === 'down' ? 1 : 0]],
      },
    ];
  });
