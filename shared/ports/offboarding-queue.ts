/** A region's share of an offboarding job, as queued for that region's worker. */
export interface OffboardingMessage {
  readonly tenantId: string;
  readonly jobId: string;
  /** The region whose worker runs this part (its queue is that region's). */
  readonly region: string;
}

/** Hands a job's part to the region that runs it (SQS queue per region; in-process locally). */
export interface OffboardingQueue {
  enqueue(message: OffboardingMessage): Promise<void>;
}
