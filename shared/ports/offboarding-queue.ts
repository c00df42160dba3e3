/** A region's share of an offboarding job, as queued for that region's worker. */
export interface OffboardingMessage {
  readonly tenantId: string;
  readonly jobId: string;
  /** The region whose worker runs this part (its queue is that region's). */
  readonly region: string;
  /**
   * `late-erasure`: the second erasure of the holders with `lateWritesSeconds`, queued with a delay
   * after the region's part (absent: the part itself).
   */
  readonly pass?: 'late-erasure';
}

/** SQS's longest DelaySeconds: a later run re-queues itself (check and repeat). */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/** Hands a job's part to the region that runs it (SQS queue per region; in-process locally). */
export interface OffboardingQueue {
  /** `delaySeconds` (0 to MAX_QUEUE_DELAY_SECONDS): the message is delivered no earlier than that. */
  enqueue(message: OffboardingMessage, options?: { readonly delaySeconds?: number }): Promise<void>;
}
