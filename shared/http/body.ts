import { gunzipSync } from 'node:zlib';
import { BadRequestError, PayloadTooLargeError, UnsupportedMediaTypeError } from '#domain/errors';
import { LIMITS } from '#domain/metrics';
import { type HttpEvent, header } from './types';

/** The media type of a request, lower-cased, without parameters. */
export function mediaType(event: HttpEvent): string {
  return (header(event, 'content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export function requireMediaType(event: HttpEvent, accepted: readonly string[]): string {
  const type = mediaType(event);
  if (!accepted.includes(type)) {
    throw new UnsupportedMediaTypeError(
      `Content-Type must be ${accepted.join(' or ')}${type ? `, not ${type}` : ''}`,
      'content-type',
    );
  }
  return type;
}

const rawBodies = new WeakMap<HttpEvent, Buffer>();

/**
 * Tells rawBody the bytes of an event's body, for a caller that had them before encoding the event
 * (the local server): the body is then neither decoded from base64 nor kept twice.
 */
export function rememberRawBody(event: HttpEvent, bytes: Buffer): void {
  rawBodies.set(event, bytes);
}

/**
 * The request body's bytes as sent (base64 decoded once per event: the ingest guard hashes them and
 * the handler decodes them). Shared: callers must not modify it.
 */
export function rawBody(event: HttpEvent): Buffer {
  let raw = rawBodies.get(event);
  if (!raw) {
    raw =
      event.body == null
        ? Buffer.alloc(0)
        : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
    rawBodies.set(event, raw);
  }
  return raw;
}

/**
 * The request body as bytes, gunzipped when Content-Encoding says gzip, never larger than
 * `maxBytes` uncompressed (a zip bomb stops at the limit, it is not inflated in full).
 */
export function readBody(event: HttpEvent, maxBytes: number = LIMITS.maxBodyBytes): Buffer {
  const raw = rawBody(event);
  const encoding = (header(event, 'content-encoding') ?? 'identity').trim().toLowerCase();
  const tooLarge = () =>
    new PayloadTooLargeError(`body is larger than ${maxBytes} bytes uncompressed`, 'body');
  if (encoding === 'identity' || encoding === '') {
    if (raw.length > maxBytes) throw tooLarge();
    return raw;
  }
  if (encoding === 'gzip') {
    try {
      return gunzipSync(raw, { maxOutputLength: maxBytes });
    } catch (error) {
      if (error instanceof RangeError || (error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
        throw tooLarge();
      throw new BadRequestError('body is not valid gzip', 'content-encoding');
    }
  }
  throw new UnsupportedMediaTypeError(
    `Content-Encoding ${encoding} is not supported; use gzip or none`,
    'content-encoding',
  );
}

/** Parses a JSON body; an empty body is `undefined`. */
export function readJson(event: HttpEvent, maxBytes?: number): unknown {
  const bytes = readBody(event, maxBytes);
  if (bytes.length === 0) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new BadRequestError('body is not valid JSON', 'body');
  }
}
