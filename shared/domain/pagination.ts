/**
 * Opaque cursors: base64url of the last key seen *inside* the caller's tenant partition. The
 * partition always comes from the credential, so a forged cursor can only move within the caller's
 * own data; a cursor that does not decode is a 422 naming `cursor`.
 */
import { UnprocessableError } from './errors';
import * as z from './zod';

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface Page<T> {
  readonly items: T[];
  /** Present when there may be more; pass it back as `cursor`. */
  readonly nextCursor?: string;
}

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;

export function encodeCursor(lastKey: string): string {
  return Buffer.from(JSON.stringify({ k: lastKey }), 'utf8').toString('base64url');
}

/** The last key a cursor carries; `prefix` is the key family it must belong to. */
export function decodeCursor(cursor: string, prefix: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { k?: unknown };
    if (typeof parsed.k === 'string' && parsed.k.startsWith(prefix)) return parsed.k;
  } catch {
    // falls through to the 422 below
  }
  throw new UnprocessableError('cursor is not a cursor this list returned', 'cursor');
}

export const pageQuerySchema = z.strictObject({
  limit: z._default(
    z.coerce
      .number({ error: 'limit must be a number' })
      .check(
        z.int('limit must be an integer'),
        z.gte(1, 'limit must be at least 1'),
        z.lte(MAX_PAGE_SIZE, `limit must be at most ${MAX_PAGE_SIZE}`),
      ),
    DEFAULT_PAGE_SIZE,
  ),
  cursor: z.optional(z.string().check(z.minLength(1), z.maxLength(2048))),
});
