import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  type SendMessageCommand as SendMessage,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { type NotificationRequestedDetail, notificationMessage } from '#domain/alerting/events';
import type { DeadLetters, Delivery, Notifier } from '#ports/notifier';

export interface SnsNotifierOptions {
  readonly client: SNSClient;
  /**
   * The region's email delivery topic (KMS-encrypted). Each email recipient is a subscription with the
   * filter policy `{"recipient": [address]}`, so a message reaches exactly the addressed person.
   */
  readonly emailTopicArn: string;
  /** Webhooks are signed and formatted by us, which SNS HTTPS subscriptions cannot do. */
  readonly webhook: Notifier;
}

function text(d: NotificationRequestedDetail): { subject: string; body: string } {
  const state = d.kind === 'clear' ? 'CLEARED' : d.severity.toUpperCase();
  const where = d.resourceName ?? d.resource ?? Object.values(d.dimensions).join('/');
  const change = d.previousSeverity
    ? `, ${d.kind === 'deescalated' ? 'de-escalated' : 'escalated'} from ${d.previousSeverity}`
    : '';
  const subject = `[${state}] ${d.ruleName} on ${where}${change}`.replace(/[\r\n]/g, ' ').slice(0, 99);
  const body = [
    notificationMessage(d),
    `metric: ${d.metric}${d.value === undefined ? '' : ` = ${d.value}`}`,
    `opened: ${d.openedAt}`,
    ...(d.stage === undefined ? [] : [`escalation stage: ${d.stage + 1}`]),
    `alert: ${d.alertId}`,
  ].join('\n');
  return { subject, body };
}

/**
 * Delivers through Amazon SNS: email via the email topic (message attribute `recipient` matched by
 * each subscription's filter policy), SMS by direct publish to the phone number (transactional), and
 * webhooks through the injected webhook notifier. Errors propagate: the caller parks the delivery.
 */
export class SnsNotifier implements Notifier {
  constructor(private readonly options: SnsNotifierOptions) {}

  async deliver(delivery: Delivery): Promise<void> {
    const { recipient, detail } = delivery;
    const { subject, body } = text(detail);
    switch (recipient.type) {
      case 'email':
        await this.options.client.send(
          new PublishCommand({
            TopicArn: this.options.emailTopicArn,
            Subject: subject,
            Message: body,
            MessageAttributes: {
              recipient: { DataType: 'String', StringValue: recipient.address },
              tenantId: { DataType: 'String', StringValue: detail.tenantId },
              deliveryId: { DataType: 'String', StringValue: delivery.deliveryId },
            },
          }),
        );
        return;
      case 'sms':
        await this.options.client.send(
          new PublishCommand({
            PhoneNumber: recipient.address,
            Message: `${subject} (${detail.alertId.slice(-8)})`.slice(0, 140),
            MessageAttributes: {
              'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
            },
          }),
        );
        return;
      case 'webhook':
        await this.options.webhook.deliver(delivery);
        return;
    }
  }
}

/** Failed deliveries parked on an SQS queue (KMS-encrypted, 14-day retention), without secrets. */
export class SqsDeadLetters implements DeadLetters {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async park(delivery: Delivery, reason: string): Promise<void> {
    const { secret: _secret, ...recipient } = delivery.recipient;
    const command: SendMessage = new SendMessageCommand({
      QueueUrl: this.queueUrl,
      MessageBody: JSON.stringify({
        reason,
        deliveryId: delivery.deliveryId,
        recipient,
        detail: delivery.detail,
      }),
      MessageAttributes: {
        tenantId: { DataType: 'String', StringValue: delivery.detail.tenantId },
        alertId: { DataType: 'String', StringValue: delivery.detail.alertId },
      },
    });
    await this.client.send(command);
  }
}
