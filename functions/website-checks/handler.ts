/**
 * The scheduled website checks (EventBridge Scheduler, every minute) of the tenants homed in this
 * region: runner.ts does the work; the locations are the probe functions of every platform region
 * (WEBSITE_PROBE_FUNCTIONS: a JSON map region → function ARN, set by the CDK).
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { awsAlertStore } from '#adapters/aws/eventbridge-alert-wiring';
import { awsWebsiteProbes } from '#adapters/aws/lambda-website-probes';
import { awsRegionSettings, awsTenantStore, regionMetricStore } from '#adapters/aws/wiring';
import { tenantOwnership } from '#adapters/tenancy/tenant-region';
import { createObservability } from '#http/handler';
import { systemClock } from '#ports/clock';
import { WebsiteCheckRunner } from './runner';

const { logger, metrics } = createObservability('website-checks');
const tenants = awsTenantStore();
const runner = new WebsiteCheckRunner({
  tenants,
  metrics: regionMetricStore(),
  alerts: awsAlertStore(),
  probes: awsWebsiteProbes((message, fields) => logger.warn(message, fields)),
  clock: systemClock,
  owns: tenantOwnership(tenants, awsRegionSettings()),
  log: (message, fields) => logger.warn(message, fields),
});

export const handler = middy<unknown, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async () => {
    const report = await runner.run();
    logger.info('website checks done', { ...report });
  });
