/**
 * A log line as the platform keeps it, whatever protocol brought it (OTLP logs, the native JSON
 * array, syslog through the collector). Device logs and event data are Customer Sensitive: stores
 * keep them under the tenant's key and searches over them are audited (docs/logs.md).
 */

export interface LogRecord {
  /** When the event happened (epoch ms); the observed time when the sender gave none. */
  readonly timestampMs: number;
  /** Lower-case severity text (`error`, `warn`, `info` …); `''` when unknown. */
  readonly severity: string;
  /** OTLP SeverityNumber (1–24), 0 when unknown. */
  readonly severityNumber: number;
  readonly message: string;
  /** What identifies the resource that logged (OTLP resource attributes, LM's `_lm.resourceId`). */
  readonly resource: Readonly<Record<string, string>>;
  readonly attributes: Readonly<Record<string, string>>;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** A stored record with the id its store gave it (stable; newest-first order breaks ties on it). */
export interface StoredLogRecord extends LogRecord {
  readonly id: string;
}

/** LM Logs' ingestion limits, and ours on attributes. */
export const LOG_LIMITS = {
  /** Uncompressed request body. */
  maxPayloadBytes: 8 * 1024 * 1024,
  /** UTF-8 bytes of one message. */
  maxMessageBytes: 32 * 1024,
  /** Resource plus record attributes of one record. */
  maxAttributes: 64,
  maxAttributeNameBytes: 128,
  maxAttributeValueBytes: 4096,
} as const;

/** A record refused at ingest, by its index in the request (OTLP: the flattened order of its records). */
export interface LogRefusal {
  readonly index: number;
  /** `message-too-large` → 413; any other reason → 400/422 of its own. */
  readonly reason: 'message-too-large' | 'invalid' | 'too-many-attributes' | 'attribute-too-long';
  readonly message: string;
  readonly field: string;
  readonly limit?: number;
}

/** OTLP SeverityNumber ranges (logs data model) → the text a search matches with `severity:`. */
const SEVERITY_TEXT = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

export function severityText(severityNumber: number): string {
  if (!Number.isInteger(severityNumber) || severityNumber < 1 || severityNumber > 24) return '';
  return SEVERITY_TEXT[Math.floor((severityNumber - 1) / 4)]!;
}

/** Severity text as senders spell it (`ERROR`, `Warning`, `err`, `crit` …) → the canonical word. */
export function normaliseSeverity(text: string): string {
  const t = text.trim().toLowerCase();
  if (t === 'warning') return 'warn';
  if (t === 'err') return 'error';
  if (t === 'crit' || t === 'critical' || t === 'alert' || t === 'emerg' || t === 'panic') return 'fatal';
  if (t === 'notice' || t === 'informational') return 'info';
  return t;
}

/** The severity number of a canonical severity word (first number of its range), 0 when unknown. */
export function severityNumberOf(severity: string): number {
  const i = SEVERITY_TEXT.indexOf(severity as (typeof SEVERITY_TEXT)[number]);
  return i < 0 ? 0 : i * 4 + 1;
}

/** UTF-8 length of a string without encoding it (surrogate pairs are 4 bytes, lone ones 3). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 2;
      i++;
    } else n += 2;
  }
  return n;
}

/** Whether a string exceeds `max` UTF-8 bytes, measuring only when its length leaves it open. */
function longerThan(s: string, max: number): boolean {
  if (s.length > max) return true; // every UTF-16 unit is at least one byte
  if (s.length * 3 <= max) return false; // and at most three
  return utf8Length(s) > max;
}

/** The first attribute of `map` whose name or value is too long, or undefined. */
function longAttribute(map: Readonly<Record<string, string>>): string | undefined {
  for (const name in map)
    if (
      longerThan(name, LOG_LIMITS.maxAttributeNameBytes) ||
      longerThan(map[name] as string, LOG_LIMITS.maxAttributeValueBytes)
    )
      return name;
  return undefined;
}

function attributeCount(map: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const _ in map) n++;
  return n;
}

/**
 * The record's limit violation, or undefined; `index` names it in the answer, `path(index)` its field.
 * It runs once per record: nothing is allocated unless the record is refused (the field's path too).
 */
export function logRecordViolation(
  record: LogRecord,
  index: number,
  path: (index: number) => string,
): LogRefusal | undefined {
  if (longerThan(record.message, LOG_LIMITS.maxMessageBytes)) {
    const bytes = utf8Length(record.message);
    return {
      index,
      reason: 'message-too-large',
      message: `message of ${bytes} bytes is larger than the limit of ${LOG_LIMITS.maxMessageBytes} bytes`,
      field: `${path(index)}.message`,
      limit: LOG_LIMITS.maxMessageBytes,
    };
  }
  const name = longAttribute(record.resource) ?? longAttribute(record.attributes);
  if (name !== undefined)
    return {
      index,
      reason: 'attribute-too-long',
      message: `attribute ${name.slice(0, 64)} is longer than ${LOG_LIMITS.maxAttributeNameBytes} bytes (name) or ${LOG_LIMITS.maxAttributeValueBytes} bytes (value)`,
      field: `${path(index)}.attributes.${name.slice(0, 64)}`,
      limit: LOG_LIMITS.maxAttributeValueBytes,
    };
  const count = attributeCount(record.resource) + attributeCount(record.attributes);
  if (count > LOG_LIMITS.maxAttributes)
    return {
      index,
      reason: 'too-many-attributes',
      message: `${count} attributes, more than the limit of ${LOG_LIMITS.maxAttributes}`,
      field: `${path(index)}.attributes`,
      limit: LOG_LIMITS.maxAttributes,
    };
  return undefined;
}

/** Approximate stored size of a record (UTF-16 length of its text): the unit of the tenant's byte bucket. */
export function logRecordBytes(record: LogRecord): number {
  return (
    record.message.length +
    record.severity.length +
    16 +
    mapLength(record.resource) +
    mapLength(record.attributes)
  );
}

function mapLength(map: Readonly<Record<string, string>>): number {
  let n = 0;
  for (const k in map) n += k.length + (map[k] as string).length;
  return n;
}
