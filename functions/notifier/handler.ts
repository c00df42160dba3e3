/**
 * The notifier Lambda: subscribed to the severity topics, which EventBridge rules feed with
 * `Alert Notification Requested` events. Each SNS record's message is the EventBridge event.
 * Failed deliveries are parked on the dead-letter queue; an error here (parking failed too) makes SNS
 * and Lambda retry, and then the subscription's own DLQ keeps the message.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SNSEvent } from 'aws-lambda';
import {
  awsAlertStore,
  awsDeadLetters,
  awsNotificationLedger,
  awsNotifierChannels,
} from '#adapters/aws/eventbridge-alert-wiring';
import { awsKeyService, awsTenantStore } from '#adapters/aws/wiring';
import type { BusEnvelope } from '#domain/alerting/events';
import { createObservability } from '#http/handler';
import { METRIC } from '#ports/operational-metrics';
import { RecipientSecrets } from '../alerts/recipient-secrets';
import { createNotificationProcessor } from './app';

const { logger, metrics } = createObservability('notifier');
const processNotification = createNotificationProcessor({
  store: awsAlertStore(),
  channels: awsNotifierChannels(),
  deadLetters: awsDeadLetters(),
  // Claims in the metadata table: a copy of an event reaching another container sends nothing again.
  ledger: awsNotificationLedger(),
  secrets: new RecipientSecrets(awsKeyService(), awsTenantStore()),
  log: (message, fields) => logger.warn(message, fields),
});

export const handler = middy<SNSEvent, void, Error, Context>()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    for (const record of event.Records) {
      const envelope = JSON.parse(record.Sns.Message) as BusEnvelope;
      const outcome = await processNotification(envelope.detail, envelope.id);
      metrics.addMetric(METRIC.notificationsSent, MetricUnit.Count, outcome.delivered);
      metrics.addMetric(METRIC.notificationFailures, MetricUnit.Count, outcome.parked);
      metrics.addMetric(METRIC.notificationsDeduplicated, MetricUnit.Count, outcome.deduplicated);
      metrics.addMetric(METRIC.notificationConfirmFailures, MetricUnit.Count, outcome.unconfirmed);
    }
  });
