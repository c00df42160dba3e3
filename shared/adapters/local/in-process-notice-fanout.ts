import type { NoticeFanoutContinuation, NoticeFanoutQueue } from '#ports/notice-fanout-queue';
import { BackgroundRuns } from './background-runs';

/**
 * The local twin of the admin function's asynchronous self-invocation: the continuation runs in this
 * process on a later turn of the event loop, through the same code (functions/admin/notices.ts); a
 * failed run is retried twice, as Lambda retries an asynchronous invocation.
 */
export class InProcessNoticeFanout implements NoticeFanoutQueue {
  private readonly runs: BackgroundRuns;

  constructor(
    private readonly worker: () => (continuation: NoticeFanoutContinuation) => Promise<unknown>,
    onError?: (error: unknown) => void,
  ) {
    this.runs = new BackgroundRuns({ maxAttempts: 3, retryMs: 10, ...(onError ? { onError } : {}) });
  }

  async continueLater(continuation: NoticeFanoutContinuation): Promise<void> {
    this.runs.start(() => this.worker()(continuation));
  }

  /** Resolves when every continuation, and those they queued, has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.runs.idle();
  }

  close(): Promise<void> {
    return this.runs.close();
  }
}
