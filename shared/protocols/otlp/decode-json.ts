/**
 * OTLP/JSON ExportMetricsServiceRequest into the decoded model. Follows the OTLP/JSON rules of the
 * OTLP specification (protobuf JSON mapping with lowerCamelCase names; 64-bit integers as decimal
 * strings or numbers; enums as integers, their names also accepted; bytes as base64; hex trace and
 * span ids, which only exemplars carry and ingest does not keep). Unknown fields are ignored, as the
 * spec requires; `null` is the default value. A field of the wrong JSON type is a 400 naming the field.
 */
import { BadRequestError } from '#domain/errors';
import { type AnyValueJs, MAX_ANY_VALUE_DEPTH, renderAnyValue } from './any-value';
import type {
  Attributes,
  Buckets,
  ExponentialHistogramPoint,
  HistogramPoint,
  NumberPoint,
  OtlpMetric,
  OtlpRequest,
  OtlpResourceMetrics,
  OtlpScopeMetrics,
  SummaryPoint,
} from './model';

/** A shape error on its way up: each level prepends its path segment. */
export class JsonShapeError extends Error {
  constructor(
    message: string,
    public path: string,
  ) {
    super(message);
  }
}

/** The reader that fails knows what is wrong; `field` and `list` above it add where. */
const shape = (_segment: string, message: string) => new JsonShapeError(message, '');

function prefixed(error: unknown, segment: string): unknown {
  if (error instanceof JsonShapeError) {
    error.path =
      error.path === ''
        ? segment
        : error.path.startsWith('[')
          ? `${segment}${error.path}`
          : `${segment}.${error.path}`;
  }
  return error;
}

/** Decodes already-parsed JSON (`JSON.parse` output). */
export function decodeOtlpJson(body: unknown): OtlpRequest {
  try {
    if (body === undefined || body === null) return { resourceMetrics: [] };
    const request = object(body, 'body');
    return { resourceMetrics: field(request, 'resourceMetrics', (x, s) => list(x, s, resourceMetrics)) };
  } catch (error) {
    if (error instanceof JsonShapeError) {
      const path = error.path || 'body';
      throw new BadRequestError(`malformed OTLP/JSON: ${path} ${error.message}`, path);
    }
    throw error;
  }
}

export type Json = Record<string, unknown>;

export function object(v: unknown, segment: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw shape(segment, 'must be an object');
  return v as Json;
}

export function list<T>(v: unknown, segment: string, item: (v: unknown) => T): T[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw shape(segment, 'must be an array');
  const out = new Array<T>(v.length);
  for (let i = 0; i < v.length; i++) {
    try {
      out[i] = item(v[i]);
    } catch (error) {
      throw prefixed(error, `[${i}]`);
    }
  }
  return out;
}

export function field<T>(o: Json, name: string, read: (v: unknown, name: string) => T): T {
  try {
    return read(o[name], name);
  } catch (error) {
    throw prefixed(error, name);
  }
}

export function str(v: unknown, segment: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw shape(segment, 'must be a string');
  return v;
}

function bool(v: unknown, segment: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw shape(segment, 'must be a boolean');
  return v;
}

/** int64/uint64/fixed64: a JSON number or a decimal string. */
export function int64(v: unknown, segment: string): number {
  if (typeof v === 'string') {
    const c = v.charCodeAt(0);
    const n = Number(v);
    if (((c >= 48 && c <= 57) || c === 45) && Number.isInteger(n)) return n;
    throw shape(segment, 'must be an integer (a number or a decimal string)');
  }
  if (typeof v === 'number') {
    if (Number.isInteger(v)) return v;
    throw shape(segment, 'must be an integer');
  }
  if (v === undefined || v === null) return 0;
  throw shape(segment, 'must be an integer (a number or a decimal string)');
}

export function int32(v: unknown, segment: string): number {
  const n = int64(v, segment);
  if (n < -2147483648 || n > 4294967295) throw shape(segment, 'is out of 32-bit range');
  return n;
}

/** double: a JSON number or "NaN", "Infinity", "-Infinity". */
function double(v: unknown, segment: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN') return Number.NaN;
    if (v === 'Infinity') return Number.POSITIVE_INFINITY;
    if (v === '-Infinity') return Number.NEGATIVE_INFINITY;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw shape(segment, 'must be a number');
}

function optionalDouble(v: unknown, segment: string): number | undefined {
  return v === undefined || v === null ? undefined : double(v, segment);
}

const TEMPORALITY_NAMES: Record<string, number> = {
  AGGREGATION_TEMPORALITY_UNSPECIFIED: 0,
  AGGREGATION_TEMPORALITY_DELTA: 1,
  AGGREGATION_TEMPORALITY_CUMULATIVE: 2,
};

function temporality(v: unknown, segment: string): number {
  if (typeof v === 'string' && v in TEMPORALITY_NAMES) return TEMPORALITY_NAMES[v]!;
  return int32(v, segment);
}

function resourceMetrics(v: unknown): OtlpResourceMetrics {
  const o = object(v, '');
  const resource = o['resource'];
  let attributes: Attributes = [];
  if (resource !== undefined && resource !== null)
    attributes = field(o, 'resource', (x) => field(object(x, ''), 'attributes', attributeList));
  return { attributes, scopeMetrics: field(o, 'scopeMetrics', (x, s) => list(x, s, scopeMetrics)) };
}

function scopeMetrics(v: unknown): OtlpScopeMetrics {
  const o = object(v, '');
  let name = '';
  let version = '';
  let attributes: Attributes = [];
  if (o['scope'] !== undefined && o['scope'] !== null) {
    field(o, 'scope', (x) => {
      const s = object(x, '');
      name = field(s, 'name', str);
      version = field(s, 'version', str);
      attributes = field(s, 'attributes', attributeList);
    });
  }
  return { name, version, attributes, metrics: field(o, 'metrics', (x, s) => list(x, s, metric)) };
}

function metric(v: unknown): OtlpMetric {
  const o = object(v, '');
  const described = metricData(o);
  const description = o['description'] == null ? '' : field(o, 'description', str);
  const unit = o['unit'] == null ? '' : field(o, 'unit', str);
  if (description) described.description = description;
  if (unit) described.unit = unit;
  return described;
}

function metricData(o: Json): OtlpMetric {
  const name = field(o, 'name', str);
  // A oneof: a sender sets one; should a JSON object carry several, this fixed order decides.
  if (o['gauge'] != null)
    return field(o, 'gauge', (x): OtlpMetric => {
      const g = object(x, '');
      return { name, type: 'gauge', points: field(g, 'dataPoints', (y, s) => list(y, s, numberPoint)) };
    });
  if (o['sum'] != null)
    return field(o, 'sum', (x): OtlpMetric => {
      const s = object(x, '');
      return {
        name,
        type: 'sum',
        temporality: field(s, 'aggregationTemporality', temporality),
        monotonic: field(s, 'isMonotonic', bool),
        points: field(s, 'dataPoints', (y, seg) => list(y, seg, numberPoint)),
      };
    });
  if (o['histogram'] != null)
    return field(o, 'histogram', (x): OtlpMetric => {
      const h = object(x, '');
      return {
        name,
        type: 'histogram',
        temporality: field(h, 'aggregationTemporality', temporality),
        points: field(h, 'dataPoints', (y, s) => list(y, s, histogramPoint)),
      };
    });
  if (o['exponentialHistogram'] != null)
    return field(o, 'exponentialHistogram', (x): OtlpMetric => {
      const h = object(x, '');
      return {
        name,
        type: 'exponentialHistogram',
        temporality: field(h, 'aggregationTemporality', temporality),
        points: field(h, 'dataPoints', (y, s) => list(y, s, exponentialPoint)),
      };
    });
  if (o['summary'] != null)
    return field(o, 'summary', (x): OtlpMetric => {
      const s = object(x, '');
      return {
        name,
        type: 'summary',
        points: field(s, 'dataPoints', (y, seg) => list(y, seg, summaryPoint)),
      };
    });
  return { name, type: 'empty', points: [] };
}

function numberPoint(v: unknown): NumberPoint {
  const o = object(v, '');
  let value: number | undefined;
  if (o['asDouble'] != null) value = field(o, 'asDouble', double);
  else if (o['asInt'] != null) value = field(o, 'asInt', int64);
  return {
    attributes: field(o, 'attributes', attributeList),
    timeUnixNano: field(o, 'timeUnixNano', int64),
    flags: field(o, 'flags', int32),
    value,
  };
}

function histogramPoint(v: unknown): HistogramPoint {
  const o = object(v, '');
  return {
    attributes: field(o, 'attributes', attributeList),
    timeUnixNano: field(o, 'timeUnixNano', int64),
    flags: field(o, 'flags', int32),
    count: field(o, 'count', int64),
    sum: field(o, 'sum', optionalDouble),
    bucketCounts: field(o, 'bucketCounts', (x, s) => list(x, s, (c) => int64(c, ''))),
    explicitBounds: field(o, 'explicitBounds', (x, s) => list(x, s, (c) => double(c, ''))),
    min: field(o, 'min', optionalDouble),
    max: field(o, 'max', optionalDouble),
  };
}

function buckets(v: unknown, segment: string): Buckets {
  if (v === undefined || v === null) return { offset: 0, bucketCounts: [] };
  const o = object(v, segment);
  return {
    offset: field(o, 'offset', int32),
    bucketCounts: field(o, 'bucketCounts', (x, s) => list(x, s, (c) => int64(c, ''))),
  };
}

function exponentialPoint(v: unknown): ExponentialHistogramPoint {
  const o = object(v, '');
  return {
    attributes: field(o, 'attributes', attributeList),
    timeUnixNano: field(o, 'timeUnixNano', int64),
    flags: field(o, 'flags', int32),
    count: field(o, 'count', int64),
    sum: field(o, 'sum', optionalDouble),
    scale: field(o, 'scale', int32),
    zeroCount: field(o, 'zeroCount', int64),
    zeroThreshold: field(o, 'zeroThreshold', (x, s) => optionalDouble(x, s) ?? 0),
    positive: field(o, 'positive', buckets),
    negative: field(o, 'negative', buckets),
    min: field(o, 'min', optionalDouble),
    max: field(o, 'max', optionalDouble),
  };
}

function summaryPoint(v: unknown): SummaryPoint {
  const o = object(v, '');
  return {
    attributes: field(o, 'attributes', attributeList),
    timeUnixNano: field(o, 'timeUnixNano', int64),
    flags: field(o, 'flags', int32),
    count: field(o, 'count', int64),
    sum: field(o, 'sum', (x, s) => optionalDouble(x, s) ?? 0),
    quantileValues: field(o, 'quantileValues', (x, s) =>
      list(x, s, (q) => {
        const qo = object(q, '');
        return {
          quantile: field(qo, 'quantile', (y, seg) => optionalDouble(y, seg) ?? 0),
          value: field(qo, 'value', (y, seg) => optionalDouble(y, seg) ?? 0),
        };
      }),
    ),
  };
}

export function attributeList(v: unknown, segment: string): Attributes {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw shape(segment, 'must be an array');
  const out: Attributes = [];
  for (let i = 0; i < v.length; i++) {
    const kv = v[i];
    try {
      const o = object(kv, '');
      const key = field(o, 'key', str);
      const value = o['value'];
      let rendered: string;
      if (value === undefined || value === null) rendered = '';
      else {
        const av = value as Json;
        // The common case first: a plain string value.
        if (typeof av === 'object' && typeof av['stringValue'] === 'string' && !Array.isArray(av))
          rendered = av['stringValue'] as string;
        else rendered = renderAnyValue(field(o, 'value', (x, s) => anyValue(x, s, 0)));
      }
      out.push(key, rendered);
    } catch (error) {
      throw prefixed(error, `[${i}]`);
    }
  }
  return out;
}

export function anyValue(v: unknown, segment: string, depth: number): AnyValueJs {
  if (depth > MAX_ANY_VALUE_DEPTH) throw shape(segment, 'is nested too deeply');
  if (v === undefined || v === null) return null;
  const o = object(v, segment);
  if (o['stringValue'] != null) return field(o, 'stringValue', str);
  if (o['boolValue'] != null) return field(o, 'boolValue', bool);
  if (o['intValue'] != null) return field(o, 'intValue', int64);
  if (o['doubleValue'] != null) return field(o, 'doubleValue', double);
  if (o['bytesValue'] != null) return field(o, 'bytesValue', str);
  if (o['arrayValue'] != null) {
    return field(o, 'arrayValue', (a) =>
      field(object(a, ''), 'values', (x, s) => list(x, s, (item) => anyValue(item, '', depth + 1))),
    );
  }
  if (o['kvlistValue'] != null) {
    const entries = field(o, 'kvlistValue', (kvl) =>
      field(object(kvl, ''), 'values', (x, s) =>
        list(x, s, (item) => {
          const kv = object(item, '');
          return [
            field(kv, 'key', str),
            field(kv, 'value', (y, seg) => anyValue(y, seg, depth + 1)),
          ] as const;
        }),
      ),
    );
    const map: { [key: string]: AnyValueJs } = {};
    for (const [key, value] of entries)
      Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
    return map;
  }
  return null;
}
