import type { OffboardingMessage, OffboardingQueue } from '#ports/offboarding-queue';
import { BackgroundRuns } from './background-runs';

/**
 * The local twin of the per-region SQS queues: a part runs in this process, on the next turn of the
 * event loop, through the same worker code (functions/offboarding/job.ts); a failed part is retried
 * after `retryMs`, as SQS would after its visibility timeout, up to `maxAttempts`.
 */
export class InProcessOffboardingQueue implements OffboardingQueue {
  private readonly runs: BackgroundRuns;

  constructor(
    private readonly workerIn: (region: string) => (message: OffboardingMessage) => Promise<unknown>,
    options: { retryMs?: number; maxAttempts?: number; onError?: (e: unknown) => void } = {},
  ) {
    this.runs = new BackgroundRuns({
      maxAttempts: options.maxAttempts ?? 5,
      retryMs: options.retryMs ?? 1000,
      ...(options.onError ? { onError: options.onError } : {}),
    });
  }

  async enqueue(message: OffboardingMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    const work = this.workerIn(message.region);
    this.runs.start(() => work(message), (options.delaySeconds ?? 0) * 1000);
  }

  /** Resolves when every queued part has run (tests, shutdown). */
  idle(): Promise<void> {
    return this.runs.idle();
  }

  close(): Promise<void> {
    return this.runs.close();
  }
}
