/**
 * Work run in this process on a later turn of the event loop, as a queue's consumer would run it: a
 * failed run is retried after `retryMs`, up to `maxAttempts` (SQS's visibility timeout, Lambda's
 * asynchronous retries). The local twins of the platform's queues are built on it.
 */
export class BackgroundRuns {
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly options: {
      readonly maxAttempts: number;
      readonly retryMs: number;
      readonly onError?: (error: unknown) => void;
    },
  ) {}

  /** Runs `work` after `delayMs` (0: the next turn), retrying it; nothing once closed. */
  start(work: () => Promise<unknown>, delayMs = 0): void {
    if (this.closed) return;
    const run = (async () => {
      for (let attempt = 1; attempt <= this.options.maxAttempts && !this.closed; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, attempt === 1 ? delayMs : this.options.retryMs));
        try {
          await work();
          return;
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves when every run, and those they started, has finished (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
