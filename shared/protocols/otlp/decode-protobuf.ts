/**
 * Hand-written decoder for OTLP ExportMetricsServiceRequest protobuf bytes into the decoded model,
 * following schema.ts (opentelemetry-proto v1.5.0) field by field. Unknown fields are skipped; a
 * known field with the wrong wire type, a truncated message or invalid UTF-8 is a ProtobufDecodeError.
 * Packed and unpacked encodings of repeated scalars are both accepted, as protobuf requires.
 */
import { ProtobufDecodeError, ProtoReader, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT } from '../protobuf/reader';
import { type AnyValueJs, base64, MAX_ANY_VALUE_DEPTH, renderAnyValue } from './any-value';
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

export function decodeOtlpProtobuf(bytes: Uint8Array): OtlpRequest {
  const r = new ProtoReader(bytes);
  const resourceMetrics: OtlpResourceMetrics[] = [];
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'resource_metrics');
      resourceMetrics.push(readResourceMetrics(r, r.lengthEnd()));
    } else r.skip(tag & 7);
  }
  return { resourceMetrics };
}

function readResourceMetrics(r: ProtoReader, end: number): OtlpResourceMetrics {
  const attributes: Attributes = [];
  const scopeMetrics: OtlpScopeMetrics[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'resource');
        readResource(r, attributes);
        break;
      case 2:
        r.expect(tag, WIRE_LEN, 'scope_metrics');
        scopeMetrics.push(readScopeMetrics(r, r.lengthEnd()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return { attributes, scopeMetrics };
}

/** A Resource message (its length next), its attributes appended to `into`. */
export function readResource(r: ProtoReader, into: Attributes): void {
  const resourceEnd = r.lengthEnd();
  while (r.pos < resourceEnd) {
    const t = r.tag();
    if (t >>> 3 === 1) {
      r.expect(t, WIRE_LEN, 'resource.attributes');
      readKeyValue(r, r.lengthEnd(), into);
    } else r.skip(t & 7);
  }
  finish(r, resourceEnd);
}

function readScopeMetrics(r: ProtoReader, end: number): OtlpScopeMetrics {
  let name = '';
  let version = '';
  const attributes: Attributes = [];
  const metrics: OtlpMetric[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: {
        r.expect(tag, WIRE_LEN, 'scope');
        const scopeEnd = r.lengthEnd();
        while (r.pos < scopeEnd) {
          const t = r.tag();
          switch (t >>> 3) {
            case 1:
              r.expect(t, WIRE_LEN, 'scope.name');
              name = r.string();
              break;
            case 2:
              r.expect(t, WIRE_LEN, 'scope.version');
              version = r.string();
              break;
            case 3:
              r.expect(t, WIRE_LEN, 'scope.attributes');
              readKeyValue(r, r.lengthEnd(), attributes);
              break;
            default:
              r.skip(t & 7);
          }
        }
        finish(r, scopeEnd);
        break;
      }
      case 2:
        r.expect(tag, WIRE_LEN, 'metrics');
        metrics.push(readMetric(r, r.lengthEnd()));
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return { name, version, attributes, metrics };
}

function readMetric(r: ProtoReader, end: number): OtlpMetric {
  let name = '';
  let description = '';
  let unit = '';
  let metric: OtlpMetric | undefined;
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expect(tag, WIRE_LEN, 'metric.name');
      name = r.string();
    } else if (field === 2) {
      r.expect(tag, WIRE_LEN, 'metric.description');
      description = r.string();
    } else if (field === 3) {
      r.expect(tag, WIRE_LEN, 'metric.unit');
      unit = r.string();
    } else if (field === 5 || field === 7 || field === 9 || field === 10 || field === 11) {
      r.expect(tag, WIRE_LEN, 'metric.data');
      // A oneof: the last one on the wire wins.
      metric = readData(r, r.lengthEnd(), field);
    } else r.skip(tag & 7);
  }
  finish(r, end);
  metric ??= { name, type: 'empty', points: [] };
  metric.name = name;
  if (description) metric.description = description;
  if (unit) metric.unit = unit;
  return metric;
}

function readData(r: ProtoReader, end: number, field: number): OtlpMetric {
  let temporality = 0;
  let monotonic = false;
  const points: unknown[] = [];
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1: {
        r.expect(tag, WIRE_LEN, 'data_points');
        const pointEnd = r.lengthEnd();
        if (field === 5 || field === 7) points.push(readNumberPoint(r, pointEnd));
        else if (field === 9) points.push(readHistogramPoint(r, pointEnd));
        else if (field === 10) points.push(readExponentialPoint(r, pointEnd));
        else points.push(readSummaryPoint(r, pointEnd));
        break;
      }
      case 2:
        if (field === 11) r.skip(tag & 7);
        else {
          r.expect(tag, WIRE_VARINT, 'aggregation_temporality');
          temporality = r.int32();
        }
        break;
      case 3:
        if (field === 7) {
          r.expect(tag, WIRE_VARINT, 'is_monotonic');
          monotonic = r.bool();
        } else r.skip(tag & 7);
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  switch (field) {
    case 5:
      return { name: '', type: 'gauge', points: points as NumberPoint[] };
    case 7:
      return { name: '', type: 'sum', temporality, monotonic, points: points as NumberPoint[] };
    case 9:
      return { name: '', type: 'histogram', temporality, points: points as HistogramPoint[] };
    case 10:
      return {
        name: '',
        type: 'exponentialHistogram',
        temporality,
        points: points as ExponentialHistogramPoint[],
      };
    default:
      return { name: '', type: 'summary', points: points as SummaryPoint[] };
  }
}

function readNumberPoint(r: ProtoReader, end: number): NumberPoint {
  const attributes: Attributes = [];
  let timeUnixNano = 0;
  let value: number | undefined;
  let flags = 0;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 7:
        r.expect(tag, WIRE_LEN, 'attributes');
        readKeyValue(r, r.lengthEnd(), attributes);
        break;
      case 3:
        r.expect(tag, WIRE_FIXED64, 'time_unix_nano');
        timeUnixNano = r.fixed64();
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'as_double');
        value = r.double();
        break;
      case 6:
        r.expect(tag, WIRE_FIXED64, 'as_int');
        value = r.sfixed64();
        break;
      case 8:
        r.expect(tag, WIRE_VARINT, 'flags');
        flags = r.uint32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return { attributes, timeUnixNano, flags, value };
}

function readHistogramPoint(r: ProtoReader, end: number): HistogramPoint {
  const point: HistogramPoint = {
    attributes: [],
    timeUnixNano: 0,
    flags: 0,
    count: 0,
    sum: undefined,
    bucketCounts: [],
    explicitBounds: [],
    min: undefined,
    max: undefined,
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 9:
        r.expect(tag, WIRE_LEN, 'attributes');
        readKeyValue(r, r.lengthEnd(), point.attributes);
        break;
      case 3:
        r.expect(tag, WIRE_FIXED64, 'time_unix_nano');
        point.timeUnixNano = r.fixed64();
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'count');
        point.count = r.fixed64();
        break;
      case 5:
        r.expect(tag, WIRE_FIXED64, 'sum');
        point.sum = r.double();
        break;
      case 6:
        readRepeatedFixed64(r, tag, point.bucketCounts, false);
        break;
      case 7:
        readRepeatedFixed64(r, tag, point.explicitBounds, true);
        break;
      case 10:
        r.expect(tag, WIRE_VARINT, 'flags');
        point.flags = r.uint32();
        break;
      case 11:
        r.expect(tag, WIRE_FIXED64, 'min');
        point.min = r.double();
        break;
      case 12:
        r.expect(tag, WIRE_FIXED64, 'max');
        point.max = r.double();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return point;
}

function readExponentialPoint(r: ProtoReader, end: number): ExponentialHistogramPoint {
  const point: ExponentialHistogramPoint = {
    attributes: [],
    timeUnixNano: 0,
    flags: 0,
    count: 0,
    sum: undefined,
    scale: 0,
    zeroCount: 0,
    zeroThreshold: 0,
    positive: { offset: 0, bucketCounts: [] },
    negative: { offset: 0, bucketCounts: [] },
    min: undefined,
    max: undefined,
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'attributes');
        readKeyValue(r, r.lengthEnd(), point.attributes);
        break;
      case 3:
        r.expect(tag, WIRE_FIXED64, 'time_unix_nano');
        point.timeUnixNano = r.fixed64();
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'count');
        point.count = r.fixed64();
        break;
      case 5:
        r.expect(tag, WIRE_FIXED64, 'sum');
        point.sum = r.double();
        break;
      case 6:
        r.expect(tag, WIRE_VARINT, 'scale');
        point.scale = r.sint32();
        break;
      case 7:
        r.expect(tag, WIRE_FIXED64, 'zero_count');
        point.zeroCount = r.fixed64();
        break;
      case 8:
        r.expect(tag, WIRE_LEN, 'positive');
        point.positive = readBuckets(r, r.lengthEnd());
        break;
      case 9:
        r.expect(tag, WIRE_LEN, 'negative');
        point.negative = readBuckets(r, r.lengthEnd());
        break;
      case 10:
        r.expect(tag, WIRE_VARINT, 'flags');
        point.flags = r.uint32();
        break;
      case 12:
        r.expect(tag, WIRE_FIXED64, 'min');
        point.min = r.double();
        break;
      case 13:
        r.expect(tag, WIRE_FIXED64, 'max');
        point.max = r.double();
        break;
      case 14:
        r.expect(tag, WIRE_FIXED64, 'zero_threshold');
        point.zeroThreshold = r.double();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return point;
}

function readBuckets(r: ProtoReader, end: number): Buckets {
  const buckets: Buckets = { offset: 0, bucketCounts: [] };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_VARINT, 'buckets.offset');
        buckets.offset = r.sint32();
        break;
      case 2:
        if ((tag & 7) === WIRE_LEN) {
          const packedEnd = r.lengthEnd();
          while (r.pos < packedEnd) buckets.bucketCounts.push(r.uint64());
          finish(r, packedEnd);
        } else {
          r.expect(tag, WIRE_VARINT, 'buckets.bucket_counts');
          buckets.bucketCounts.push(r.uint64());
        }
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return buckets;
}

function readSummaryPoint(r: ProtoReader, end: number): SummaryPoint {
  const point: SummaryPoint = {
    attributes: [],
    timeUnixNano: 0,
    flags: 0,
    count: 0,
    sum: 0,
    quantileValues: [],
  };
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 7:
        r.expect(tag, WIRE_LEN, 'attributes');
        readKeyValue(r, r.lengthEnd(), point.attributes);
        break;
      case 3:
        r.expect(tag, WIRE_FIXED64, 'time_unix_nano');
        point.timeUnixNano = r.fixed64();
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'count');
        point.count = r.fixed64();
        break;
      case 5:
        r.expect(tag, WIRE_FIXED64, 'sum');
        point.sum = r.double();
        break;
      case 6: {
        r.expect(tag, WIRE_LEN, 'quantile_values');
        const qEnd = r.lengthEnd();
        let quantile = 0;
        let value = 0;
        while (r.pos < qEnd) {
          const t = r.tag();
          if (t >>> 3 === 1) {
            r.expect(t, WIRE_FIXED64, 'quantile');
            quantile = r.double();
          } else if (t >>> 3 === 2) {
            r.expect(t, WIRE_FIXED64, 'value');
            value = r.double();
          } else r.skip(t & 7);
        }
        finish(r, qEnd);
        point.quantileValues.push({ quantile, value });
        break;
      }
      case 8:
        r.expect(tag, WIRE_VARINT, 'flags');
        point.flags = r.uint32();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return point;
}

/** A repeated fixed64 or double field, packed (wire type 2) or not (wire type 1). */
function readRepeatedFixed64(r: ProtoReader, tag: number, into: number[], asDouble: boolean): void {
  if ((tag & 7) === WIRE_LEN) {
    const end = r.lengthEnd();
    if ((end - r.pos) % 8 !== 0)
      throw new ProtobufDecodeError('packed 64-bit field length is not a multiple of 8');
    while (r.pos < end) into.push(asDouble ? r.double() : r.fixed64());
    return;
  }
  r.expect(tag, WIRE_FIXED64, asDouble ? 'explicit_bounds' : 'bucket_counts');
  into.push(asDouble ? r.double() : r.fixed64());
}

/** Appends one KeyValue to a flattened attribute list: `key, rendered value`. */
export function readKeyValue(r: ProtoReader, end: number, into: Attributes): void {
  let key = '';
  let value = '';
  while (r.pos < end) {
    const tag = r.tag();
    const field = tag >>> 3;
    if (field === 1) {
      r.expect(tag, WIRE_LEN, 'key');
      key = r.string();
    } else if (field === 2) {
      r.expect(tag, WIRE_LEN, 'value');
      const valueEnd = r.lengthEnd();
      value = readStringAnyValue(r, valueEnd);
    } else r.skip(tag & 7);
  }
  finish(r, end);
  into.push(key, value);
}

/** An AnyValue rendered as a dimension value; the common string case without building a JS value. */
function readStringAnyValue(r: ProtoReader, end: number): string {
  const start = r.pos;
  if (r.pos < end) {
    const tag = r.tag();
    if (tag === ((1 << 3) | WIRE_LEN)) {
      const s = r.string();
      if (r.pos === end) return s;
    }
  }
  r.pos = start;
  return renderAnyValue(readAnyValue(r, end, 0));
}

export function readAnyValue(r: ProtoReader, end: number, depth: number): AnyValueJs {
  if (depth > MAX_ANY_VALUE_DEPTH) throw new ProtobufDecodeError('AnyValue nested too deeply');
  let value: AnyValueJs = null;
  while (r.pos < end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'string_value');
        value = r.string();
        break;
      case 2:
        r.expect(tag, WIRE_VARINT, 'bool_value');
        value = r.bool();
        break;
      case 3:
        r.expect(tag, WIRE_VARINT, 'int_value');
        value = r.int64();
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'double_value');
        value = r.double();
        break;
      case 5: {
        r.expect(tag, WIRE_LEN, 'array_value');
        const arrayEnd = r.lengthEnd();
        const values: AnyValueJs[] = [];
        while (r.pos < arrayEnd) {
          const t = r.tag();
          if (t >>> 3 === 1) {
            r.expect(t, WIRE_LEN, 'array_value.values');
            values.push(readAnyValue(r, r.lengthEnd(), depth + 1));
          } else r.skip(t & 7);
        }
        finish(r, arrayEnd);
        value = values;
        break;
      }
      case 6: {
        r.expect(tag, WIRE_LEN, 'kvlist_value');
        const listEnd = r.lengthEnd();
        const map: { [key: string]: AnyValueJs } = {};
        while (r.pos < listEnd) {
          const t = r.tag();
          if (t >>> 3 === 1) {
            r.expect(t, WIRE_LEN, 'kvlist_value.values');
            const kvEnd = r.lengthEnd();
            let key = '';
            let inner: AnyValueJs = null;
            while (r.pos < kvEnd) {
              const kt = r.tag();
              if (kt >>> 3 === 1) {
                r.expect(kt, WIRE_LEN, 'key');
                key = r.string();
              } else if (kt >>> 3 === 2) {
                r.expect(kt, WIRE_LEN, 'value');
                inner = readAnyValue(r, r.lengthEnd(), depth + 1);
              } else r.skip(kt & 7);
            }
            finish(r, kvEnd);
            Object.defineProperty(map, key, {
              value: inner,
              enumerable: true,
              writable: true,
              configurable: true,
            });
          } else r.skip(t & 7);
        }
        finish(r, listEnd);
        value = map;
        break;
      }
      case 7:
        r.expect(tag, WIRE_LEN, 'bytes_value');
        value = base64(r.bytes());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  finish(r, end);
  return value;
}

/** A nested message must end exactly at its length; a field running past it is malformed. */
export function finish(r: ProtoReader, end: number): void {
  if (r.pos !== end) throw new ProtobufDecodeError(`field overruns its enclosing message at byte ${r.pos}`);
}
