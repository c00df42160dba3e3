/**
 * What a store or client behind a port may throw that means "try again later", so the core (the
 * ingest guard, the HTTP error mapping) can answer 503 with Retry-After without knowing which
 * adapter is wired in. Part of every port's contract: an adapter signals a transient fault either
 * with a domain UnavailableError/ThrottledError or with an error of one of these names or a 5xx
 * status. The names are the AWS SDK's (the adapters in shared/adapters/aws throw them as they come);
 * the check reads only `name` and `$metadata.httpStatusCode`, so nothing here loads an SDK.
 */
const RETRYABLE_NAMES = new Set([
  'ThrottlingException',
  'InternalServerException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TimeoutError',
]);

export function isRetryable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return RETRYABLE_NAMES.has(error.name) || (status !== undefined && status >= 500);
}
