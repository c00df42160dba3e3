/**
 * The native log format (`POST /v1/logs/ingest`), after LM Logs' ingestion API: a JSON array of
 * `{ message, timestamp?, severity?, resourceIds?, attributes? }` (`msg` and `_lm.resourceId`, LM's
 * names, are accepted too). A record that is not valid or breaks a limit is refused by its index and
 * the rest are stored; only a body that is not an array is refused whole.
 */
import { BadRequestError } from '../errors';
import {
  type LogRecord,
  type LogRefusal,
  logRecordViolation,
  normaliseSeverity,
  severityNumberOf,
} from './record';

export interface DecodedLogs {
  /** Every record that passed, with its index in the request. */
  readonly records: LogRecord[];
  readonly indices: number[];
  /** The request's record count (stored + refused). */
  readonly total: number;
  readonly refusals: LogRefusal[];
}

/**
 * Attribute values may be strings, numbers or booleans; anything else is refused. A map of strings
 * only (the usual case) is kept as parsed, not copied.
 */
function stringMap(v: unknown, path: string): Record<string, string> | string {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) return `${path} must be an object of strings`;
  const o = v as Record<string, unknown>;
  let out: Record<string, string> | undefined;
  for (const k in o) {
    const value = o[k];
    if (typeof value === 'string') continue;
    if (typeof value !== 'number' && typeof value !== 'boolean')
      return `${path}.${k} must be a string, number or boolean`;
    out ??= { ...(o as Record<string, string>) };
    out[k] = String(value);
  }
  return out ?? (o as Record<string, string>);
}

/** Epoch ms from a number (ms, or s when below 1e11) or an RFC 3339 string. */
function timestampOf(v: unknown, nowMs: number): number | undefined {
  if (v === undefined || v === null) return nowMs;
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0)
    return v < 1e11 ? Math.round(v * 1000) : Math.round(v);
  if (typeof v === 'string' && /^\d{4}-\d\d-\d\dT/.test(v)) {
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

const invalidRecord = (index: number, message: string, field: string): LogRefusal => ({
  index,
  reason: 'invalid',
  message,
  field,
});

/** A record's field path in a refusal (built only for a refused record). */
const nativePath = (index: number) => `[${index}]`;

/** No closures and no allocation but the record on this path: it runs once per record. */
function nativeRecord(v: unknown, index: number, nowMs: number): LogRecord | LogRefusal {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    return invalidRecord(index, `${nativePath(index)} must be an object`, nativePath(index));
  const o = v as Record<string, unknown>;
  const message = o['message'] ?? o['msg'];
  if (typeof message !== 'string')
    return invalidRecord(
      index,
      `${nativePath(index)}.message must be a string`,
      `${nativePath(index)}.message`,
    );
  const timestampMs = timestampOf(o['timestamp'], nowMs);
  if (timestampMs === undefined)
    return invalidRecord(
      index,
      `${nativePath(index)}.timestamp must be epoch ms or an RFC 3339 instant`,
      `${nativePath(index)}.timestamp`,
    );
  const severityRaw = o['severity'];
  if (severityRaw !== undefined && typeof severityRaw !== 'string')
    return invalidRecord(
      index,
      `${nativePath(index)}.severity must be a string`,
      `${nativePath(index)}.severity`,
    );
  const resource = stringMap(o['resourceIds'] ?? o['_lm.resourceId'], 'resourceIds');
  if (typeof resource === 'string')
    return invalidRecord(index, `${nativePath(index)}.${resource}`, `${nativePath(index)}.resourceIds`);
  const attributes = stringMap(o['attributes'], 'attributes');
  if (typeof attributes === 'string')
    return invalidRecord(index, `${nativePath(index)}.${attributes}`, `${nativePath(index)}.attributes`);
  const severity = normaliseSeverity(severityRaw ?? '');
  return { timestampMs, severity, severityNumber: severityNumberOf(severity), message, resource, attributes };
}

export function decodeNativeLogs(body: unknown, nowMs: number): DecodedLogs {
  if (!Array.isArray(body)) throw new BadRequestError('body must be a JSON array of log records', 'body');
  const records: LogRecord[] = [];
  const indices: number[] = [];
  const refusals: LogRefusal[] = [];
  for (let i = 0; i < body.length; i++) {
    const decoded = nativeRecord(body[i], i, nowMs);
    const refusal = 'reason' in decoded ? decoded : logRecordViolation(decoded, i, nativePath);
    if (refusal) refusals.push(refusal);
    else {
      records.push(decoded as LogRecord);
      indices.push(i);
    }
  }
  return { records, indices, total: body.length, refusals };
}

/** Keeps the records that pass the limits, refusing the others by index (for decoders with no own checks). */
export function checkedLogs(all: readonly LogRecord[], path: (index: number) => string): DecodedLogs {
  const records: LogRecord[] = [];
  const indices: number[] = [];
  const refusals: LogRefusal[] = [];
  for (let i = 0; i < all.length; i++) {
    const record = all[i] as LogRecord;
    const refusal = logRecordViolation(record, i, path);
    if (refusal) refusals.push(refusal);
    else {
      records.push(record);
      indices.push(i);
    }
  }
  return { records, indices, total: all.length, refusals };
}
