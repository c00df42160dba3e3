/**
 * The notifier tests' fixtures: tenant t1's one-stage escalation chain `chain-1` and the notification
 * its alert rule r1 requests for stage 0 of an open, critical `cpu` alert, and a notification processor
 * serving that chain through one in-memory channel.
 */

import type { EscalationChain, Recipient } from '#domain/alerting/escalation';
import { DETAIL_TYPE, type NotificationRequestedDetail, withEventId } from '#domain/alerting/events';
import type { Delivery } from '#ports/notifier';
import { createNotificationProcessor, type NotifierDeps } from '../../../functions/notifier/app';

const AT = '2026-01-01T00:00:00.000Z';

/** Chain `chain-1` of tenant t1: one stage with these recipients. */
export const onCallChain = (...recipients: Recipient[]): EscalationChain => ({
  tenantId: 't1',
  chainId: 'chain-1',
  name: 'on call',
  stages: [{ recipients }],
  stageIntervalSeconds: 300,
  createdAt: AT,
  updatedAt: AT,
});

/** The stage-0 notification of alert `alertId` (value 97 on `host`) through `chain-1`, no event id. */
export const notificationRequested = (alertId: string, host: string): NotificationRequestedDetail => ({
  version: 1,
  tenantId: 't1',
  alertId,
  ruleId: 'r1',
  ruleName: 'cpu high',
  severity: 'critical',
  metric: 'cpu',
  dimensions: { host },
  value: 97,
  status: 'open',
  openedAt: AT,
  notify: true,
  kind: 'alert',
  chainId: 'chain-1',
  stage: 0,
  at: AT,
});

/** `detail` with the event id the evaluator's outbox gives it: every copy of the event carries the same. */
export const withNotificationEventId = (detail: NotificationRequestedDetail) =>
  withEventId({ detailType: DETAIL_TYPE.notificationRequested, detail })
    .detail as NotificationRequestedDetail;

/** A processor serving `chain`: every channel sends through `deliver`, dead letters go into `parked`. */
export const processorServing = (
  chain: EscalationChain,
  deliver: (delivery: Delivery) => Promise<void>,
  parked: Delivery[],
  deps: Pick<NotifierDeps, 'ledger' | 'now' | 'log'>,
) => {
  const channel = { deliver };
  return createNotificationProcessor({
    store: { getChain: async () => chain },
    channels: { webhook: channel, email: channel, sms: channel },
    deadLetters: { park: async (delivery) => void parked.push(delivery) },
    ...deps,
  });
};
