/**
 * Where a security notice's fan-out goes on: a run delivers to a bounded number of tenants, then hands
 * the rest to the next run (on AWS the admin function invoking itself asynchronously; locally a
 * background loop), until every affected tenant has the update.
 */
export interface NoticeFanoutContinuation {
  readonly kind: 'notice-fanout';
  readonly incidentId: string;
  /** The update being delivered: a continuation for an update since superseded does nothing. */
  readonly seq: number;
}

export interface NoticeFanoutQueue {
  /** Runs the continuation later, at least once (the fan-out is idempotent per tenant and channel). */
  continueLater(continuation: NoticeFanoutContinuation): Promise<void>;
}

export const isNoticeFanoutContinuation = (event: unknown): event is NoticeFanoutContinuation =>
  typeof event === 'object' &&
  event !== null &&
  (event as { kind?: unknown }).kind === 'notice-fanout' &&
  typeof (event as { incidentId?: unknown }).incidentId === 'string' &&
  Number.isInteger((event as { seq?: unknown }).seq);
