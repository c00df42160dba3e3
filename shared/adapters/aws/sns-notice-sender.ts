import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { WebhookNotifier } from '#adapters/webhook/webhook-notifier';
import type { NoticeMessage, NoticeSender } from '#ports/notice-store';

/**
 * Notices in AWS: e-mail through the region's email topic (the address is a subscription with the
 * filter policy `{"recipient": [address]}`, made when the tenant saves its notice channels, as for
 * escalation chains); webhooks through the alert notifier's fenced, signed, retried POST.
 */
export class SnsNoticeSender implements NoticeSender {
  constructor(
    private readonly options: {
      readonly client: SNSClient;
      readonly emailTopicArn: string;
      readonly webhook: Pick<WebhookNotifier, 'postSigned'>;
    },
  ) {}

  async send({ deliveryId, tenantId, recipient, subject, text, payload }: NoticeMessage): Promise<void> {
    if (recipient.type === 'webhook')
      return this.options.webhook.postSigned(deliveryId, recipient, JSON.stringify(payload));
    if (recipient.type !== 'email') throw new Error(`not a notice channel: ${recipient.type}`);
    await this.options.client.send(
      new PublishCommand({
        TopicArn: this.options.emailTopicArn,
        Subject: subject,
        Message: text,
        MessageAttributes: {
          recipient: { DataType: 'String', StringValue: recipient.address },
          tenantId: { DataType: 'String', StringValue: tenantId },
          deliveryId: { DataType: 'String', StringValue: deliveryId },
        },
      }),
    );
  }
}
