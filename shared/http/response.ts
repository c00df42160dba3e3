import { type DomainError, MisdirectedError } from '#domain/errors';
import type { HttpResult } from './types';

const JSON_HEADERS = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A JSON answer whose text is already written (a large body built without an object per value). */
export function jsonText(statusCode: number, text: string, headers: Record<string, string> = {}): HttpResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: text };
}

/** The one error shape of the API: `{error: {code, message, field?}}`. */
export function errorResult(error: DomainError): HttpResult {
  const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
  return json(
    error.status,
    {
      error: { code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}) },
      // 421: where the tenant is served (shared/domain/region.ts).
      ...(error instanceof MisdirectedError
        ? { region: error.homeRegion, ...(error.endpoints ? { endpoints: error.endpoints } : {}) }
        : {}),
    },
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
  );
}

export const internalErrorResult = (): HttpResult =>
  json(500, { error: { code: 'internal', message: 'internal error; it has been logged' } });
