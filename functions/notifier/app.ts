/**
 * The notifier: turns an `Alert Notification Requested` event into deliveries, one per recipient of
 * the stage (or, for a clear, of every stage already notified, each recipient once). A delivery that
 * fails after its channel's retries is parked in the dead-letter queue; only when parking itself fails
 * does the whole event fail (and the bus retries it, then parks the event in its own DLQ).
 */
import { createHash } from 'node:crypto';
import { type Recipient, recipientKey, recipientsOf } from '../../shared/domain/alerting/escalation';
import {
  type NotificationRequestedDetail,
  notificationRequestedDetailSchema,
} from '../../shared/domain/alerting/events';
import type { AlertStore } from '../../shared/ports/alert-store';
import type { DeadLetters, Notifier } from '../../shared/ports/notifier';
import { hasSealedField, type RecipientSecrets } from '../alerts/recipient-secrets';

export interface NotifierDeps {
  readonly store: Pick<AlertStore, 'getChain'>;
  readonly channels: Readonly<Record<Recipient['type'], Notifier>>;
  readonly deadLetters: DeadLetters;
  /** Opens sealed webhook secrets for signing; without it a recipient with a sealed secret is parked. */
  readonly secrets?: Pick<RecipientSecrets, 'openRecipient'>;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface NotificationOutcome {
  readonly delivered: number;
  readonly parked: number;
}

export function createNotificationProcessor(deps: NotifierDeps) {
  return async (rawDetail: unknown, eventId: string): Promise<NotificationOutcome> => {
    const detail: NotificationRequestedDetail = notificationRequestedDetailSchema.parse(rawDetail);
    const chain = await deps.store.getChain(detail.tenantId, detail.chainId);
    if (!chain) {
      deps.log?.('escalation chain is gone; nothing to notify', {
        chainId: detail.chainId,
        alertId: detail.alertId,
      });
      return { delivered: 0, parked: 0 };
    }
    const stages = detail.kind === 'alert' ? [detail.stage ?? 0] : (detail.notifiedStages ?? []);
    const recipients = recipientsOf(chain, stages);
    let delivered = 0;
    let parked = 0;
    await Promise.all(
      recipients.map(async (recipient) => {
        const delivery = {
          // Same notification, same recipient → same id across retries, so receivers can dedup.
          deliveryId: createHash('sha256')
            .update(`${eventId}\u0000${recipientKey(recipient)}`)
            .digest('hex')
            .slice(0, 32),
          recipient,
          detail,
        };
        try {
          // The secret is opened only here, for this delivery: never stored, parked or logged open.
          const opened = deps.secrets
            ? await deps.secrets.openRecipient(detail.tenantId, recipient)
            : recipient;
          if (hasSealedField(opened))
            throw new Error('recipient secret is sealed and no key service is wired');
          await deps.channels[recipient.type].deliver({ ...delivery, recipient: opened });
          delivered++;
        } catch (error) {
          await deps.deadLetters.park(delivery, (error as Error).message);
          parked++;
          deps.log?.('delivery parked in the dead-letter queue', {
            alertId: detail.alertId,
            type: recipient.type,
            reason: (error as Error).message,
          });
        }
      }),
    );
    return { delivered, parked };
  };
}
