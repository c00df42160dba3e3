import type { OffboardingMessage, OffboardingQueue } from '#ports/offboarding-queue';

/**
 * The local twin of the per-region SQS queues: a part runs in this process, on the next turn of the
 * event loop, through the same worker code (functions/offboarding/job.ts); a failed part is retried
 * after `retryMs`, as SQS would after its visibility timeout, up to `maxAttempts`.
 */
export class InProcessOffboardingQueue implements OffboardingQueue {
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(
    private readonly workerIn: (region: string) => (message: OffboardingMessage) => Promise<unknown>,
    private readonly options: { retryMs?: number; maxAttempts?: number; onError?: (e: unknown) => void } = {},
  ) {}

  async enqueue(message: OffboardingMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const work = this.workerIn(message.region);
    const run = (async () => {
      const maxAttempts = this.options.maxAttempts ?? 5;
      for (let attempt = 1; attempt <= maxAttempts && !this.closed; attempt++) {
        await new Promise((resolve) =>
          setTimeout(
            resolve,
            attempt === 1 ? (options.delaySeconds ?? 0) * 1000 : (this.options.retryMs ?? 1000),
          ),
        );
        try {
          await work(message);
          return;
        } catch (error) {
          this.options.onError?.(error);
        }
      }
    })();
    this.running.add(run);
    void run.finally(() => this.running.delete(run));
  }

  /** Resolves when every queued part has run (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.idle();
  }
}
