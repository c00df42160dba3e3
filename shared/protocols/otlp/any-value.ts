/**
 * How an OTLP AnyValue becomes a dimension value: strings as they are; booleans, integers and doubles
 * in their JSON spelling; bytes as base64; arrays and key-value lists as JSON (the OpenTelemetry
 * specification's rule for non-OTLP representations of attribute values). An unset AnyValue is the
 * empty string, which ingest treats as an absent attribute.
 */
/** Nesting limit for AnyValue arrays/maps, in both encodings: deeper input is refused, not recursed into. */
export const MAX_ANY_VALUE_DEPTH = 32;

export type AnyValueJs = string | number | boolean | AnyValueJs[] | { [key: string]: AnyValueJs } | null;

export function renderAnyValue(value: AnyValueJs): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v));
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (what OTLP/JSON uses for bytes). */
export function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
    out += i + 1 < bytes.length ? `${ALPHABET[(n >> 6) & 63]!}=` : '==';
  }
  return out;
}
