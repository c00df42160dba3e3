/**
 * Escalation chains: ordered stages of recipients. Stage 0 is notified when an alert opens; each later
 * stage after `stageIntervalSeconds` more, while the alert is open and unacknowledged. Acknowledging or
 * clearing stops the chain; the clear goes once to every recipient already notified.
 */
import * as z from '../zod';
import type { Alert, AlertEscalation } from './alert';

export const RECIPIENT_TYPES = ['email', 'sms', 'webhook'] as const;
export const WEBHOOK_FORMATS = ['generic', 'slack', 'pagerduty'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

export interface Recipient {
  readonly type: (typeof RECIPIENT_TYPES)[number];
  /** Email address, E.164 phone number, or https URL (http allowed only for loopback, for local use). */
  readonly address: string;
  readonly format?: WebhookFormat;
  /** HMAC key for webhook signatures; write-only through the API. */
  readonly secret?: string;
  /** PagerDuty integration (routing) key. */
  readonly routingKey?: string;
}

export interface EscalationStage {
  readonly recipients: readonly Recipient[];
}

export interface EscalationChain {
  readonly tenantId: string;
  readonly chainId: string;
  readonly name: string;
  readonly stages: readonly EscalationStage[];
  readonly stageIntervalSeconds: number;
  /** Tell the recipients already notified when the alert turns less severe (default: only clears). */
  readonly notifyOnDeescalation?: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

export const recipientSchema = z
  .strictObject({
    type: z.enum(RECIPIENT_TYPES),
    address: z.string().check(z.minLength(3), z.maxLength(2048)),
    format: z.optional(z.enum(WEBHOOK_FORMATS)),
    secret: z.optional(
      z.string().check(z.minLength(16, 'secret must be at least 16 characters'), z.maxLength(256)),
    ),
    routingKey: z.optional(z.string().check(z.minLength(1), z.maxLength(128))),
  })
  .check(
    z.superRefine((r, ctx) => {
      const bad = (message: string) => ctx.addIssue({ code: 'custom', message, path: ['address'] });
      if (r.type === 'email' && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(r.address)) bad('not an email address');
      if (r.type === 'sms' && !/^\+[1-9]\d{6,14}$/.test(r.address)) bad('not an E.164 phone number');
      if (r.type === 'webhook' && !r.address.startsWith('https://') && !LOOPBACK.test(r.address))
        bad('webhooks must be https (http only on loopback)');
    }),
  );

export const escalationChainInputSchema = z.strictObject({
  name: z.string().check(z.trim(), z.minLength(1), z.maxLength(128)),
  stageIntervalSeconds: z._default(z.number().check(z.int(), z.gte(60), z.lte(86_400)), 900),
  notifyOnDeescalation: z._default(z.boolean(), false),
  stages: z
    .array(z.strictObject({ recipients: z.array(recipientSchema).check(z.minLength(1), z.maxLength(20)) }))
    .check(z.minLength(1), z.maxLength(10)),
});
export type EscalationChainInput = z.infer<typeof escalationChainInputSchema>;

/** A recipient as the API shows it: never the secret. */
export const redactRecipient = ({ secret, ...rest }: Recipient) => ({
  ...rest,
  hasSecret: secret !== undefined,
});

export const recipientKey = (r: Recipient): string => `${r.type}:${r.address}`;

/** The email recipients of a chain (every stage). */
export const emailsOf = (chain: EscalationChain | undefined): Set<string> =>
  new Set(
    (chain?.stages ?? []).flatMap((s) =>
      s.recipients.filter((r) => r.type === 'email').map((r) => r.address),
    ),
  );

/**
 * A new run of the chain from its first stage, due at `atMs`: when the alert opens (sequence 0) or
 * escalates to a worse severity (the escalation's index in the history, and what it escalated from).
 */
export function startEscalation(
  chain: EscalationChain,
  atMs: number,
  run: Pick<AlertEscalation, 'sequence' | 'escalatedFrom'> = { sequence: 0 },
): AlertEscalation {
  return {
    chainId: chain.chainId,
    stageCount: chain.stages.length,
    nextStage: 0,
    nextAt: atMs,
    notifiedStages: [],
    ...run,
  };
}

/**
 * The chains and stages whose recipients heard of the alert (the current run and the runs escalations
 * replaced), one entry per chain: the clear and a de-escalation go to them.
 */
export function notifiedChains(alert: Alert): { chainId: string; notifiedStages: number[] }[] {
  const byChain = new Map<string, Set<number>>();
  const runs = [...(alert.earlierEscalations ?? []), ...(alert.escalation ? [alert.escalation] : [])];
  for (const run of runs) {
    if (run.notifiedStages.length === 0) continue;
    const stages = byChain.get(run.chainId) ?? new Set<number>();
    for (const s of run.notifiedStages) stages.add(s);
    byChain.set(run.chainId, stages);
  }
  return [...byChain].map(([chainId, stages]) => ({
    chainId,
    notifiedStages: [...stages].sort((a, b) => a - b),
  }));
}

/** The stage due now for an alert, or undefined (stopped by ack/clear, chain done, not yet time). */
export function dueStage(alert: Alert, chain: EscalationChain, nowMs: number): number | undefined {
  const e = alert.escalation;
  if (!e || alert.status !== 'open' || alert.acknowledgedAt !== undefined) return undefined;
  if (e.nextStage >= chain.stages.length || nowMs < e.nextAt) return undefined;
  return e.nextStage;
}

/** Whether the chain still has stages to run for this alert (the store indexes these by `nextAt`). */
export const escalationPending = (alert: Alert): boolean =>
  alert.status === 'open' &&
  alert.acknowledgedAt === undefined &&
  alert.suppressedBy === undefined &&
  alert.dependentOn === undefined &&
  alert.escalation !== undefined &&
  alert.escalation.nextStage < alert.escalation.stageCount;

export function afterStageNotified(
  e: AlertEscalation,
  stage: number,
  chain: EscalationChain,
  nowMs: number,
): AlertEscalation {
  return {
    ...e,
    nextStage: stage + 1,
    nextAt: nowMs + chain.stageIntervalSeconds * 1000,
    notifiedStages: [...e.notifiedStages, stage],
  };
}

/** The recipients of the given stages, each once. */
export function recipientsOf(chain: EscalationChain, stages: readonly number[]): Recipient[] {
  const seen = new Set<string>();
  const result: Recipient[] = [];
  for (const s of stages)
    for (const r of chain.stages[s]?.recipients ?? []) {
      if (seen.has(recipientKey(r))) continue;
      seen.add(recipientKey(r));
      result.push(r);
    }
  return result;
}
