/**
 * `GET /v1/logs/search` parameters → a bounded search, and what a search may show. Every bound is
 * named in its 422 (field and limit), so a tenant request never costs unbounded work.
 */
import { UnprocessableError } from '../errors';
import { parseInstant } from '../query';
import { type LogQuery, parseLogQuery } from './query';
import type { StoredLogRecord } from './record';

export const LOG_SEARCH_LIMITS = {
  /** Widest time range of one search. */
  maxRangeMs: 31 * 24 * 3600_000,
  defaultRangeMs: 3600_000,
  maxPageSize: 1000,
  defaultPageSize: 100,
  /** Records one page (or one histogram) examines at most; the cursor resumes the scan. */
  maxScan: 100_000,
  maxHistogramBuckets: 1440,
} as const;

export interface LogSearchParams {
  readonly fromMs: number;
  readonly toMs: number;
  readonly query: LogQuery;
  readonly q: string;
  readonly limit: number;
  readonly cursor?: string;
  /** Histogram interval when asked for (`interval`, seconds). */
  readonly intervalMs?: number;
}

function integer(raw: string, field: string, min: number, max: number): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < min || n > max)
    throw new UnprocessableError(`${field} must be an integer from ${min} to ${max}`, field);
  return n;
}

export function parseLogSearch(
  params: Readonly<Record<string, string | undefined>>,
  nowMs: number,
): LogSearchParams {
  const toMs = params['to'] ? parseInstant(params['to'], 'to') : nowMs;
  const fromMs = params['from']
    ? parseInstant(params['from'], 'from')
    : toMs - LOG_SEARCH_LIMITS.defaultRangeMs;
  if (fromMs >= toMs) throw new UnprocessableError('from must be before to', 'from');
  if (toMs - fromMs > LOG_SEARCH_LIMITS.maxRangeMs)
    throw new UnprocessableError(
      `the time range may span at most ${LOG_SEARCH_LIMITS.maxRangeMs / 86_400_000} days (maxRangeMs ${LOG_SEARCH_LIMITS.maxRangeMs})`,
      'from',
    );
  const q = params['q'] ?? '';
  const limit = params['limit']
    ? integer(params['limit'], 'limit', 1, LOG_SEARCH_LIMITS.maxPageSize)
    : LOG_SEARCH_LIMITS.defaultPageSize;
  let intervalMs: number | undefined;
  if (params['interval']) {
    intervalMs = integer(params['interval'], 'interval', 1, LOG_SEARCH_LIMITS.maxRangeMs / 1000) * 1000;
    const buckets = Math.ceil((toMs - fromMs) / intervalMs);
    if (buckets > LOG_SEARCH_LIMITS.maxHistogramBuckets)
      throw new UnprocessableError(
        `interval gives ${buckets} histogram buckets, more than the limit of ${LOG_SEARCH_LIMITS.maxHistogramBuckets}`,
        'interval',
      );
  }
  return {
    fromMs,
    toMs,
    query: parseLogQuery(q),
    q,
    limit,
    ...(params['cursor'] ? { cursor: params['cursor'] } : {}),
    ...(intervalMs === undefined ? {} : { intervalMs }),
  };
}

/** Attribute names whose values are never shown (secrets a sender put in a log's attributes). */
const REDACTED_NAME =
  /pass(word)?|secret|token|authorization|api[-_.]?key|credential|cookie|private[-_.]?key/i;
export const REDACTED = '[redacted]';

function redactMap(map: Readonly<Record<string, string>>): Record<string, string> {
  let out: Record<string, string> | undefined;
  for (const key of Object.keys(map))
    if (REDACTED_NAME.test(key)) {
      out ??= { ...map };
      out[key] = REDACTED;
    }
  return out ?? (map as Record<string, string>);
}

/** A record as a search or an alert shows it: secret-named attributes redacted. */
export function logRecordView(record: StoredLogRecord) {
  return {
    id: record.id,
    timestamp: new Date(record.timestampMs).toISOString(),
    severity: record.severity,
    message: record.message,
    resource: redactMap(record.resource),
    attributes: redactMap(record.attributes),
    ...(record.traceId ? { traceId: record.traceId } : {}),
    ...(record.spanId ? { spanId: record.spanId } : {}),
  };
}
