/**
 * Scheduled SLA reports (EventBridge Scheduler, hourly): runner.ts over the AWS adapters, for the
 * tenants homed in this region (their metrics are here; another region's scheduler skips them). A
 * run with failures throws after recording what it did: Lambda's async retries and then the failure
 * queue (its ops alarm) see it; what was sent is in the notification ledger, so a retry sends only
 * what failed.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import {
  awsAlertStore,
  awsNoticeSender,
  awsNotificationLedger,
} from '#adapters/aws/eventbridge-alert-wiring';
import { awsReportFiles } from '#adapters/aws/report-files-wiring';
import { awsRegionSettings, awsTenantStore, regionMetricStore } from '#adapters/aws/wiring';
import { tenantOwnership } from '#adapters/tenancy/tenant-region';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import { createObservability } from '#http/handler';
import { systemClock } from '#ports/clock';
import { METRIC } from '#ports/operational-metrics';
import { type ReportRunnerDeps, runReportSchedules } from './runner';
import { allReportSchedules, reportRecipients } from './sources';

const { logger, metrics } = createObservability('report-scheduler');
const tenants = awsTenantStore();
const store = awsAlertStore();
const homedHere = tenantOwnership(tenants, awsRegionSettings());

const deps: ReportRunnerDeps = {
  store,
  metrics: regionMetricStore(),
  clock: systemClock,
  // A downtime on a report resource's collector or group is excluded like one on the resource.
  resources: new TenantResourceDirectory(tenants),
  schedules: () => allReportSchedules(tenants, homedHere),
  recipients: (schedule) => reportRecipients(store, schedule),
  tenantName: async (tenantId) => (await tenants.getTenant(tenantId))?.name ?? tenantId,
  files: awsReportFiles().files,
  sender: awsNoticeSender(),
  ledger: awsNotificationLedger(),
};

export const handler = middy<unknown, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async () => {
    const outcome = await runReportSchedules(deps);
    metrics.addMetric(METRIC.scheduledReportsSent, MetricUnit.Count, outcome.sent);
    metrics.addMetric(METRIC.scheduledReportFailures, MetricUnit.Count, outcome.failed);
    logger.info('report schedules done', { ...outcome });
    if (outcome.failed > 0)
      throw new Error(`${outcome.failed} scheduled report deliveries failed; they are retried`);
  });
