/**
 * The scheduled evaluator (EventBridge Scheduler, every minute). Evaluates pages of rules until all
 * are done or the invocation nears its timeout (the engine remembers where it stopped), then sends due
 * escalation stages. Input from the schedule: `{ "scheduledTime": "<aws.scheduler.scheduled-time>" }`.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsLogStore, awsTenantStore, regionQueryStore } from '#adapters/aws/wiring';
import { createObservability } from '#http/handler';
import { systemClock } from '#ports/clock';
import { METRIC } from '#ports/operational-metrics';
import { promqlEngine } from '../query/promql';
import { regionBackend } from '../query/region-backend';
import { awsAlertEngine } from './aws-wiring';
import { CollectorWatch } from './collector-watch';
import { backendRuleExpressions } from './rule-expressions';

const { logger, metrics } = createObservability('alert-evaluator');
const engine = awsAlertEngine({
  observability: { logger, metrics },
  // PromQL rules: the query function's backend for the region's store (engine or AMP forwarding).
  expressions: backendRuleExpressions(regionBackend(regionQueryStore(), promqlEngine)),
  // Log rules: the region's log store (Athena), where the stack binds one.
  ...withLogs(awsLogStore()),
});
const collectorWatch = new CollectorWatch({ tenants: awsTenantStore(), engine, clock: systemClock });
/** Stop starting new pages when less than this is left of the invocation. */
const RESERVE_MS = 15_000;

export const handler = middy<{ scheduledTime?: string }, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event, context) => {
    let rules = 0;
    let series = 0;
    let events = 0;
    for (;;) {
      const report = await engine.tick();
      rules += report.rules;
      series += report.seriesEvaluated;
      events += report.events;
      if (report.complete || context.getRemainingTimeInMillis() < RESERVE_MS) break;
    }
    // Stale heartbeats: the built-in collector-down alert (a bounded page of tenants per pass).
    const watched = await collectorWatch.pass();
    const scheduled = event.scheduledTime ? Date.parse(event.scheduledTime) : Number.NaN;
    if (Number.isFinite(scheduled))
      metrics.addMetric(METRIC.alertEvaluatorLagSeconds, MetricUnit.Seconds, (Date.now() - scheduled) / 1000);
    metrics.addMetric(METRIC.alertsRaised, MetricUnit.Count, events);
    logger.info('evaluation pass done', { rules, series, events, collectorsDown: watched.down });
  });

function withLogs<T>(logs: T | undefined): { logs?: T } {
  return logs ? { logs } : {};
}
