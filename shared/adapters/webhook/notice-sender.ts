import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { NoticeMessage, NoticeSender } from '#ports/notice-store';
import { DeliveryFailedError, type WebhookNotifier } from './webhook-notifier';

/**
 * Notices on the local platform: webhooks through the alert notifier's fenced, signed, retried POST;
 * e-mail appended to the same outbox file as alert e-mail (`kind: "notice"`), for a developer to read.
 */
export class LocalNoticeSender implements NoticeSender {
  constructor(
    private readonly webhook: Pick<WebhookNotifier, 'postSigned'>,
    private readonly outboxPath: string,
  ) {}

  async send({ deliveryId, tenantId, recipient, subject, text, payload }: NoticeMessage): Promise<void> {
    if (recipient.type === 'webhook')
      return this.webhook.postSigned(deliveryId, recipient, JSON.stringify(payload));
    if (recipient.type !== 'email')
      throw new DeliveryFailedError(`not a notice channel: ${recipient.type}`, true);
    await mkdir(dirname(this.outboxPath), { recursive: true });
    const line = {
      kind: 'notice',
      deliveryId,
      tenantId,
      to: { type: 'email', address: recipient.address },
      subject,
      text,
    };
    await appendFile(this.outboxPath, `${JSON.stringify(line)}\n`, { mode: 0o600 });
  }
}
