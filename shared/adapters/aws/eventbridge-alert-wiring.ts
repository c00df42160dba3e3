/**
 * Alerting's AWS adapters as the functions build them: clients once per cold start, configuration from
 * the environment, failing fast when missing. The CDK construct (infra/constructs/alerting.ts) sets
 * these variables with the matching grants.
 */

import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { WebhookNotifier } from '#adapters/webhook/webhook-notifier';
import { DynamoDbAlertStore } from './dynamodb-alert-store';
import { DynamoDbDeadLetters } from './dynamodb-dead-letters';
import { DynamoDbNoticeStore } from './dynamodb-notice-store';
import { DynamoDbNotificationLedger } from './dynamodb-notification-ledger';
import { EventBridgeAlertBus } from './eventbridge-alert-bus';
import { SnsNoticeSender } from './sns-notice-sender';
import { SnsNotifier, SqsDeadLetters } from './sns-notifier';
import { documentClient, ENV, requiredEnv } from './wiring';

export const ALERT_ENV = {
  /** Name of the regional alert bus (EventBridge custom bus). */
  busName: 'ALERT_BUS_NAME',
  /** The email delivery topic (subscriptions filter on the `recipient` attribute). */
  emailTopicArn: 'ALERT_EMAIL_TOPIC_ARN',
  /** SQS queue where failed deliveries are parked. */
  deadLetterQueueUrl: 'ALERT_DEAD_LETTER_QUEUE_URL',
} as const;

export const awsAlertStore = () => new DynamoDbAlertStore(documentClient(), requiredEnv(ENV.tableName));

/** Which notification deliveries were sent (the notifier's claims), in the metadata table. */
/** Dead letters (poison alert events, samples refused on replay) in the metadata table. */
export const awsDeadLetterStore = () => new DynamoDbDeadLetters(documentClient(), requiredEnv(ENV.tableName));

export const awsNotificationLedger = () =>
  new DynamoDbNotificationLedger(documentClient(), requiredEnv(ENV.tableName));

export const awsAlertBus = () =>
  new EventBridgeAlertBus(new EventBridgeClient({}), requiredEnv(ALERT_ENV.busName));

/** Whether this function was given an alert bus (the ingest function evaluates on ingest only then). */
export const alertBusConfigured = (): boolean => Boolean(process.env[ALERT_ENV.busName]);

export function awsNotifierChannels() {
  const webhook = new WebhookNotifier({ maxAttempts: 3 });
  const sns = new SnsNotifier({
    client: new SNSClient({}),
    emailTopicArn: requiredEnv(ALERT_ENV.emailTopicArn),
    webhook,
  });
  return { email: sns, sms: sns, webhook: sns };
}

export const awsDeadLetters = () =>
  new SqsDeadLetters(new SQSClient({}), requiredEnv(ALERT_ENV.deadLetterQueueUrl));

/** Security notices' store (functions/admin/notices.ts, functions/alerts/notice-routes.ts). */
export const awsNoticeStore = () => new DynamoDbNoticeStore(documentClient(), requiredEnv(ENV.tableName));

/** Security notices reach e-mail through the alert e-mail topic, webhooks like alert webhooks. */
export const awsNoticeSender = () =>
  new SnsNoticeSender({
    client: new SNSClient({}),
    emailTopicArn: requiredEnv(ALERT_ENV.emailTopicArn),
    webhook: new WebhookNotifier({ maxAttempts: 3 }),
  });
