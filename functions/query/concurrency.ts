import { QUERY_LIMIT_NAMES, QueryUnavailableError } from '#domain/query-limits';

/**
 * Queries each tenant runs at once in this instance. Over its share a tenant's query is refused at
 * once (503, Retry-After) rather than queued: a storm from one tenant holds only its own slots, and
 * another tenant's query never waits behind it.
 */
export class TenantConcurrency {
  private readonly running = new Map<string, number>();

  async run<T>(tenantId: string, max: number, work: () => Promise<T>): Promise<T> {
    const now = this.running.get(tenantId) ?? 0;
    if (now >= max)
      throw new QueryUnavailableError(
        QUERY_LIMIT_NAMES.maxConcurrentQueries,
        `this tenant already runs ${max} queries at once; retry when one has finished`,
      );
    this.running.set(tenantId, now + 1);
    try {
      return await work();
    } finally {
      const left = (this.running.get(tenantId) ?? 1) - 1;
      if (left === 0) this.running.delete(tenantId);
      else this.running.set(tenantId, left);
    }
  }
}

/**
 * Runs `work` with a deadline: its signal aborts at `timeoutMs`, and the answer is a 503 naming
 * query_timeout then even if the work has not noticed yet.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timedOut = new QueryUnavailableError(
    QUERY_LIMIT_NAMES.timeoutMs,
    `the query ran longer than the limit of ${timeoutMs / 1000} s`,
  );
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(timedOut);
      reject(timedOut);
    }, timeoutMs);
  });
  try {
    return await Promise.race([work(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
