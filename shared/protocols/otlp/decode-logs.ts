/**
 * OTLP ExportLogsServiceRequest (opentelemetry-proto v1.5.0 logs/v1) in protobuf and OTLP/JSON,
 * straight into the platform's log records, flattened in request order (the index a refusal names).
 * The wire readers are the metrics decoders' (decode-protobuf.ts, decode-json.ts): the same rules on
 * unknown fields, wrong wire types, truncation, UTF-8 and AnyValue depth apply.
 *
 * A record keeps: time (time_unix_nano, else observed_time_unix_nano, else arrival), severity
 * (severity_text, else the text of severity_number), the body rendered as a string (structured
 * bodies as JSON), resource attributes as `resource`, record attributes, trace and span ids in hex.
 */
import { BadRequestError } from '#domain/errors';
import { type LogRecord, normaliseSeverity, severityText } from '#domain/logs/record';
import { ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../protobuf/reader';
import { renderAnyValue } from './any-value';
import {
  anyValue,
  attributeList,
  field,
  int32,
  int64,
  type Json,
  JsonShapeError,
  list,
  object,
  str,
} from './decode-json';
import { finish, readAnyValue, readKeyValue, readResource } from './decode-protobuf';
import type { Attributes } from './model';

const NS_PER_MS = 1_000_000;

function toMap(attributes: Attributes): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < attributes.length; i += 2) {
    const key = attributes[i] as string;
    const value = attributes[i + 1] as string;
    // An empty value is an absent attribute (as for metrics); __proto__ stays a plain key.
    if (value !== '')
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

interface RecordFields {
  timeNs: number;
  observedNs: number;
  severityNumber: number;
  severityText: string;
  body: string;
  attributes: Attributes;
  traceId: string;
  spanId: string;
}

function toLogRecord(f: RecordFields, resource: Record<string, string>, nowMs: number): LogRecord {
  const ns = f.timeNs > 0 ? f.timeNs : f.observedNs;
  const severity = f.severityText ? normaliseSeverity(f.severityText) : severityText(f.severityNumber);
  return {
    timestampMs: ns > 0 ? Math.floor(ns / NS_PER_MS) : nowMs,
    severity,
    severityNumber: f.severityNumber >= 1 && f.severityNumber <= 24 ? f.severityNumber : 0,
    message: f.body,
    resource,
    attributes: toMap(f.attributes),
    ...(f.traceId && /[^0]/.test(f.traceId) ? { traceId: f.traceId } : {}),
    ...(f.spanId && /[^0]/.test(f.spanId) ? { spanId: f.spanId } : {}),
  };
}

// ---- protobuf ----

export function decodeOtlpLogsProtobuf(bytes: Uint8Array, nowMs: number): LogRecord[] {
  const r = new ProtoReader(bytes);
  const out: LogRecord[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'resource_logs');
      readResourceLogs(r, r.lengthEnd(), nowMs, out);
    } else r.skip(tag & 7);
  }
  return out;
}

function readResourceLogs(r: ProtoReader, end: number, nowMs: number, out: LogRecord[]): void {
  const attributes: Attributes = [];
  const scopes: [number, number][] = [];
  while (r.pos < end) {
    const tag = r.tag();
    const fieldNumber = tag >>> 3;
    if (fieldNumber === 1) {
      r.expect(tag, WIRE_LEN, 'resource');
      readResource(r, attributes);
    } else if (fieldNumber === 2) {
      // The resource may come after its scopes: remember where they are, read them once it is known.
      r.expect(tag, WIRE_LEN, 'scope_logs');
      const scopeEnd = r.lengthEnd();
      scopes.push([r.pos, scopeEnd]);
      r.pos = scopeEnd;
    } else r.skip(tag & 7);
  }
  finish(r, end);
  const resource = toMap(attributes);
  const afterResource = r.pos;
  for (const [start, scopeEnd] of scopes) {
    r.pos = start;
    readScopeLogs(r, scopeEnd, resource, nowMs, out);
  }
  r.pos = afterResource;
}

function readScopeLogs(
  r: ProtoReader,
  end: number,
  resource: Record<string, string>,
  nowMs: number,
  out: LogRecord[],
): void {
  while (r.pos < end) {
    const tag = r.tag();
    if (tag >>> 3 === 2) {
      r.expect(tag, WIRE_LEN, 'log_records');
      out.push(toLogRecord(readLogRecord(r, r.lengthEnd()), resource, nowMs));
    } else r.skip(tag & 7);
  }
  finish(r, end);
}

function readLogRecord(r: ProtoReader, end: number): RecordFields {
  const f: RecordFields = {
    timeNs: 0,
    observedNs: 0,
    severityNumber: 0,
    severityText: '',
    body: '',
    attributes: [],
    traceId: '',
    spanId: '',
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_FIXED64, 'time_unix_nano');
        f.timeNs = r.fixed64();
        break;
      case 11:
        r.expect(tag, WIRE_FIXED64, 'observed_time_unix_nano');
        f.observedNs = r.fixed64();
        break;
      case 2:
        r.expect(tag, WIRE_VARINT, 'severity_number');
        f.severityNumber = r.int32();
        break;
      case 3:
        r.expect(tag, WIRE_LEN, 'severity_text');
        f.severityText = r.string();
        break;
      case 5:
        r.expect(tag, WIRE_LEN, 'body');
        f.body = renderAnyValue(readAnyValue(r, r.lengthEnd(), 0));
        break;
      case 6:
        r.expect(tag, WIRE_LEN, 'attributes');
        readKeyValue(r, r.lengthEnd(), f.attributes);
        break;
      case 9:
        r.expect(tag, WIRE_LEN, 'trace_id');
        f.traceId = hex(r.bytes());
        break;
      case 10:
        r.expect(tag, WIRE_LEN, 'span_id');
        f.spanId = hex(r.bytes());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return f;
}

// ---- OTLP/JSON ----

const SEVERITY_NAMES = /^SEVERITY_NUMBER_([A-Z]+)(\d?)$/;
const SEVERITY_BASE: Record<string, number> = { TRACE: 1, DEBUG: 5, INFO: 9, WARN: 13, ERROR: 17, FATAL: 21 };

function severityNumber(v: unknown, segment: string): number {
  if (typeof v === 'string') {
    const m = SEVERITY_NAMES.exec(v);
    if (m)
      return m[1] === 'UNSPECIFIED' ? 0 : (SEVERITY_BASE[m[1]!] ?? 0) + Math.max(0, Number(m[2] || 1) - 1);
  }
  return int32(v, segment);
}

/** Decodes parsed OTLP/JSON; a field of the wrong type is a 400 naming its path. */
export function decodeOtlpLogsJson(body: unknown, nowMs: number): LogRecord[] {
  const out: LogRecord[] = [];
  try {
    if (body === undefined || body === null) return out;
    const request = object(body, 'body');
    field(request, 'resourceLogs', (x, s) =>
      list(x, s, (rl) => {
        const o = object(rl, '');
        const resource = toMap(
          field(o, 'resource', (res) =>
            res === undefined || res === null ? [] : field(object(res, ''), 'attributes', attributeList),
          ),
        );
        return field(o, 'scopeLogs', (y, s2) =>
          list(y, s2, (sl) =>
            field(object(sl, ''), 'logRecords', (z, s3) =>
              list(z, s3, (lr) => out.push(toLogRecord(jsonRecord(object(lr, '')), resource, nowMs))),
            ),
          ),
        );
      }),
    );
    return out;
  } catch (error) {
    if (error instanceof JsonShapeError) {
      const path = error.path || 'body';
      throw new BadRequestError(`malformed OTLP/JSON: ${path} ${error.message}`, path);
    }
    throw error;
  }
}

function hexId(v: unknown, segment: string): string {
  const s = str(v, segment);
  if (s !== '' && !/^[0-9a-fA-F]+$/.test(s)) throw new JsonShapeError('must be hex', '');
  return s.toLowerCase();
}

function jsonRecord(o: Json): RecordFields {
  return {
    timeNs: field(o, 'timeUnixNano', int64),
    observedNs: field(o, 'observedTimeUnixNano', int64),
    severityNumber: field(o, 'severityNumber', severityNumber),
    severityText: field(o, 'severityText', str),
    body: renderAnyValue(field(o, 'body', (x, s) => anyValue(x, s, 0))),
    attributes: field(o, 'attributes', attributeList),
    traceId: field(o, 'traceId', hexId),
    spanId: field(o, 'spanId', hexId),
  };
}

// ---- response ----

/** ExportLogsServiceResponse in OTLP/JSON (its protobuf form is the metrics response's layout). */
export function exportLogsResponseJson(rejected: number, errorMessage: string): Record<string, unknown> {
  if (rejected === 0 && !errorMessage) return {};
  return { partialSuccess: { rejectedLogRecords: String(rejected), errorMessage } };
}
