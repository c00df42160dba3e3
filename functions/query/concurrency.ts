import { DomainError, UnavailableError } from '#domain/errors';
import { QUERY_LIMIT_NAMES, QueryThrottledError, QueryUnavailableError } from '#domain/query-limits';
import type { QueryLeases } from '#ports/query-leases';

/**
 * How much longer than the query timeout a lease lasts: a query past its timeout is answered 503 and
 * its Lambda may be killed at the function timeout (1 s later), so the lease must outlive both, with a
 * margin far above the clock skew between instances (milliseconds: see dynamodb-query-leases.ts).
 */
export const LEASE_GRACE_MS = 30_000;

/**
 * Runs `work` while holding one of the tenant's `max` query leases, shared by every function
 * instance (shared/ports/query-leases.ts). Over its share a tenant's query is refused at once (429,
 * Retry-After) rather than queued: a storm from one tenant holds only its own slots, and another
 * tenant's query never waits behind it. The lease is given back when the work ends, even on error; a
 * release that fails is reported and left to expire.
 */
export async function withQueryLease<T>(
  leases: QueryLeases,
  request: { tenantId: string; max: number; timeoutMs: number; nowMs: number },
  work: () => Promise<T>,
  onReleaseError: (error: unknown) => void,
): Promise<T> {
  let decision: Awaited<ReturnType<QueryLeases['acquire']>>;
  try {
    decision = await leases.acquire(
      request.tenantId,
      request.max,
      request.timeoutMs + LEASE_GRACE_MS,
      request.nowMs,
    );
  } catch (error) {
    if (error instanceof DomainError) throw error;
    // The lease store is down: refuse (retryable) rather than run the query uncounted.
    throw new UnavailableError('the query concurrency store is unavailable; retry shortly', 1, {
      cause: error,
    });
  }
  if (!decision.granted)
    throw new QueryThrottledError(
      QUERY_LIMIT_NAMES.maxConcurrentQueries,
      `this tenant already runs ${decision.held} queries at once (limit ${request.max}); retry when one has finished`,
    );
  try {
    return await work();
  } finally {
    await leases.release(decision.lease).catch(onReleaseError);
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
