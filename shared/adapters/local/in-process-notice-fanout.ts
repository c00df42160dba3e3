import type { NoticeFanoutContinuation, NoticeFanoutQueue } from '#ports/notice-fanout-queue';

/**
 * The local twin of the admin function's asynchronous self-invocation: the continuation runs in this
 * process on a later turn of the event loop, through the same code (functions/admin/notices.ts); a
 * failed run is retried twice, as Lambda retries an asynchronous invocation.
 */
export class InProcessNoticeFanout implements NoticeFanoutQueue {
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly worker: () => (continuation: NoticeFanoutContinuation) => Promise<unknown>,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  async continueLater(continuation: NoticeFanoutContinuation): Promise<void> {
    if (this.closed) return;
    const run = (async () => {
      for (let attempt = 1; attempt <= 3 && !this.closed; attempt++) {
        await new Promise((resolve) => setImmediate(resolve));
        try {
          await this.worker()(continuation);
          return;
        } catch (error) {
          this.onError(error);
        }
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves when every continuation, and those they queued, has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
