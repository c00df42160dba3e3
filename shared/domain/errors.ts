/**
 * Typed errors the domain and the handlers raise. One place (shared/http/errors.ts) turns them into
 * HTTP responses, so a status code is decided once, not per handler.
 */
export type ErrorCode =
  | 'bad_request'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'gone'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'unprocessable'
  | 'misdirected'
  | 'throttled'
  | 'unavailable';

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  /** The request field at fault, as a dotted/bracketed path (e.g. `instances[0].dataPoints[1].values`). */
  readonly field: string | undefined;
  constructor(message: string, field?: string) {
    super(message);
    this.name = new.target.name;
    this.field = field;
  }
}

export class BadRequestError extends DomainError {
  readonly status = 400;
  readonly code = 'bad_request' as const;
}
export class UnauthorizedError extends DomainError {
  readonly status = 401;
  readonly code = 'unauthorized' as const;
}
export class ForbiddenError extends DomainError {
  readonly status = 403;
  readonly code = 'forbidden' as const;
}
export class NotFoundError extends DomainError {
  readonly status = 404;
  readonly code = 'not_found' as const;
}
/** It existed and is no more (an expired link): asking again will not help. */
export class GoneError extends DomainError {
  readonly status = 410;
  readonly code = 'gone' as const;
}
export class ConflictError extends DomainError {
  readonly status = 409;
  readonly code = 'conflict' as const;
}
export class PayloadTooLargeError extends DomainError {
  readonly status = 413;
  readonly code = 'payload_too_large' as const;
}
export class UnsupportedMediaTypeError extends DomainError {
  readonly status = 415;
  readonly code = 'unsupported_media_type' as const;
}
export class UnprocessableError extends DomainError {
  readonly status = 422;
  readonly code = 'unprocessable' as const;
}
/**
 * The request reached a region that is not the tenant's home (shared/domain/region.ts): it is not
 * served or stored here; the answer names the home region and its endpoints.
 */
export class MisdirectedError extends DomainError {
  readonly status = 421;
  readonly code = 'misdirected' as const;
  constructor(
    message: string,
    readonly homeRegion: string,
    readonly endpoints: { readonly ingest: string; readonly api: string } | undefined,
  ) {
    super(message, 'region');
  }
}
/** Retryable: the caller should come back after `retryAfterSeconds`. */
export class ThrottledError extends DomainError {
  readonly status = 429;
  readonly code = 'throttled' as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
/** A store or dependency is down; retryable. */
export class UnavailableError extends DomainError {
  readonly status = 503;
  readonly code = 'unavailable' as const;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message);
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}
