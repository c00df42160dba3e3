/**
 * Syslog records through the collector's queue: each received message is a `log` record on disk
 * before anything is sent, and the sender delivers a batch of them to the platform's native log
 * ingest (`POST /v1/logs/ingest`) with the same idempotency key, backoff and outage behaviour as
 * metrics. Requests stay well inside LM Logs' limits the platform enforces (8 MB body, 32 KB message:
 * the receiver already bounds a message; a longer one is refused by its index, the rest stored).
 */
import type { LogRecord } from '#domain/logs/record';
import type { Delivery, QueuedRecord } from '../records';

export const LOG_RECORD_KIND = 'log';

export interface LogQueuedRecord {
  readonly kind: typeof LOG_RECORD_KIND;
  readonly record: LogRecord;
}

const MAX_RECORDS = 1000;
const MAX_BODY_CHARS = 4 * 1024 * 1024;

/** The native log format's record for one received message. */
const nativeLog = (r: LogRecord) => ({
  message: r.message,
  timestamp: r.timestampMs,
  ...(r.severity ? { severity: r.severity } : {}),
  resourceIds: r.resource,
  attributes: r.attributes,
});

export const logsDelivery: Delivery = (records: readonly QueuedRecord[]) => {
  const requests: { path: string; body: unknown; items: number }[] = [];
  let body: ReturnType<typeof nativeLog>[] = [];
  let chars = 0;
  const flush = () => {
    if (body.length > 0) requests.push({ path: '/v1/logs/ingest', body, items: body.length });
    body = [];
    chars = 0;
  };
  for (const queued of records) {
    const entry = nativeLog((queued as unknown as LogQueuedRecord).record);
    const size = JSON.stringify(entry).length;
    if (body.length >= MAX_RECORDS || chars + size > MAX_BODY_CHARS) flush();
    body.push(entry);
    chars += size;
  }
  flush();
  return requests;
};
