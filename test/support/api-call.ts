/** One JSON API call against a test platform, with its status asserted. */
import { expect } from 'vitest';
import type { TestPlatform } from './platform';

export interface ApiCall {
  /** Bearer token of the caller. */
  readonly token: string;
  readonly method?: string;
  /** Sent as JSON (with its content type) when given. */
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The status the response must have, or '2xx' for any success. Default 200. */
  readonly status?: number | '2xx';
}

/**
 * Calls `path`, asserts the response status (with the body as the failure message) and returns the
 * parsed body: `{}` for a 204 without one.
 */
export async function callApi<T = Record<string, unknown>>(
  platform: TestPlatform,
  path: string,
  { token, method = 'GET', body, headers = {}, status = 200 }: ApiCall,
): Promise<T> {
  const response = await platform.request(path, {
    method,
    token,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  if (status === '2xx') expect(response.status, text).toBeLessThan(300);
  else expect(response.status, text).toBe(status);
  // Only a 204 may come without a body: any other empty or non-JSON body fails the call.
  return (response.status === 204 && text === '' ? {} : JSON.parse(text)) as T;
}
