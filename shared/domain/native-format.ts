/**
 * The native JSON push format, modelled on LogicMonitor's Push Metrics API: one resource (identified
 * by resourceIds, described by properties), one datasource, its instances, and each instance's
 * datapoints with values keyed by epoch seconds.
 */
import { UnprocessableError } from './errors';
import {
  acceptedTimeWindow,
  type Dimensions,
  dimensionsProblem,
  metricNameProblem,
  type Sample,
  timestampProblem,
} from './metrics';
import { parseSampleValue } from './special-values';
import { parseOrThrow } from './validation';
import * as z from './zod';

export const NATIVE_LIMITS = {
  maxInstances: 100,
  maxDataPointsPerInstance: 100,
  maxValuesPerDataPoint: 1000,
  maxResourceIds: 10,
  maxProperties: 100,
  nameMaxLength: 255,
  propertyValueMaxLength: 1024,
} as const;

/** LogicMonitor names: letters, digits and a few separators; no spaces at the ends. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:\-/ ]*$/;
const name = (what: string) =>
  z.string({ error: `${what} must be a string` }).check(
    z.minLength(1, `${what} must not be empty`),
    z.maxLength(
      NATIVE_LIMITS.nameMaxLength,
      `${what} must be at most ${NATIVE_LIMITS.nameMaxLength} characters`,
    ),
    z.regex(NAME, `${what} may use letters, digits, spaces and _ . : - /, and must not start with a space`),
    z.refine((s) => !s.endsWith(' '), `${what} must not end with a space`),
  );

/** Resource and instance property keys (they become dimension names). */
const PROPERTY_KEY = /^[A-Za-z_][A-Za-z0-9_.-]{0,59}$/;
/** A datapoint value given as a string: "12.5" yes, "12abc", "" no. */
const NUMERIC_STRING = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;
/**
 * The IEEE special values JSON numbers cannot spell, as strings (any case): "NaN", "+Inf", "-Inf",
 * "Inf", "Infinity", "+Infinity", "-Infinity" (Prometheus' and JavaScript's spellings).
 */
const SPECIAL_STRING = /^\s*(nan|[-+]?inf(inity)?)\s*$/i;
const VALUE_STRING_MAX_LENGTH = 64;
const DESCRIPTION_MAX_LENGTH = 1024;
const DATA_POINT_TYPES = ['GAUGE', 'COUNTER', 'DERIVE'] as const;
const AGGREGATION_TYPES = ['none', 'avg', 'sum', 'min', 'max', 'percentile'] as const;

const propertyMap = (what: string, max: number) =>
  z
    .record(
      z.string().check(z.regex(PROPERTY_KEY, `${what} keys use letters, digits and _ . - (≤ 60)`)),
      z
        .string()
        .check(z.maxLength(NATIVE_LIMITS.propertyValueMaxLength, `${what} values must be ≤ 1024 characters`)),
    )
    .check(z.refine((m) => Object.keys(m).length <= max, `at most ${max} ${what}`));

const optionalText = (max: number) => z.optional(z.string().check(z.maxLength(max)));

/** A datapoint value: a JSON number or a numeric string, as LogicMonitor accepts, or a special value. */
const datapointValue = z
  .union([z.number(), z.string().check(z.maxLength(VALUE_STRING_MAX_LENGTH))])
  .check(
    z.describe(
      'A number, a numeric string, or NaN/±Inf as the strings "NaN", "+Inf", "-Inf" (also "Inf", "Infinity", "-Infinity", any case), which JSON numbers cannot spell',
    ),
  );

export const nativePayloadSchema = z.strictObject({
  resourceName: name('resourceName'),
  resourceDescription: optionalText(DESCRIPTION_MAX_LENGTH),
  resourceIds: propertyMap('resourceIds', NATIVE_LIMITS.maxResourceIds).check(
    z.refine((m) => Object.keys(m).length >= 1, 'resourceIds must name the resource with at least one id'),
  ),
  resourceProperties: z.optional(propertyMap('resourceProperties', NATIVE_LIMITS.maxProperties)),
  dataSource: name('dataSource'),
  dataSourceDisplayName: optionalText(NATIVE_LIMITS.nameMaxLength),
  dataSourceGroup: optionalText(NATIVE_LIMITS.nameMaxLength),
  instances: z
    .array(
      z.strictObject({
        instanceName: name('instanceName'),
        instanceDisplayName: optionalText(NATIVE_LIMITS.nameMaxLength),
        instanceProperties: z.optional(propertyMap('instanceProperties', NATIVE_LIMITS.maxProperties)),
        dataPoints: z
          .array(
            z.strictObject({
              dataPointName: name('dataPointName'),
              dataPointDescription: optionalText(DESCRIPTION_MAX_LENGTH),
              dataPointType: z.optional(z.enum(DATA_POINT_TYPES)),
              dataPointAggregationType: z.optional(z.enum(AGGREGATION_TYPES)),
              values: z
                .record(
                  z.string().check(z.regex(/^\d{1,11}$/, 'values keys must be epoch seconds')),
                  datapointValue,
                )
                .check(
                  z.refine((m) => Object.keys(m).length >= 1, 'values must hold at least one value'),
                  z.refine(
                    (m) => Object.keys(m).length <= NATIVE_LIMITS.maxValuesPerDataPoint,
                    `at most ${NATIVE_LIMITS.maxValuesPerDataPoint} values per datapoint`,
                  ),
                ),
            }),
          )
          .check(
            z.minLength(1, 'an instance needs at least one datapoint'),
            z.maxLength(
              NATIVE_LIMITS.maxDataPointsPerInstance,
              `at most ${NATIVE_LIMITS.maxDataPointsPerInstance} datapoints per instance`,
            ),
          ),
      }),
    )
    .check(
      z.minLength(1, 'at least one instance is required'),
      z.maxLength(NATIVE_LIMITS.maxInstances, `at most ${NATIVE_LIMITS.maxInstances} instances per payload`),
    ),
});

export type NativePayload = z.infer<typeof nativePayloadSchema>;

/**
 * A datapoint value given as a string, parsed strictly: "12.5", "NaN", "-Inf" yes; "12abc", "" no,
 * nor "1e400" (a number that overflows a double is a mistake, not an infinity).
 */
function stringValue(raw: string): number | undefined {
  if (NUMERIC_STRING.test(raw)) {
    const value = Number(raw);
    return Number.isFinite(value) ? value : undefined;
  }
  return SPECIAL_STRING.test(raw) ? parseSampleValue(raw) : undefined;
}

/**
 * The rules as written: the zod schema, then the mapping. Every refusal of nativePayloadToSamples
 * comes from here; it is also the reference the fast path is tested against.
 */
export function nativePayloadToSamplesReference(body: unknown, nowMs: number): Sample[] {
  const payload = parseOrThrow(nativePayloadSchema, body);
  const window = acceptedTimeWindow(nowMs);
  const samples: Sample[] = [];
  payload.instances.forEach((instance, i) => {
    const dimensions: Dimensions = {
      ...payload.resourceIds,
      datasource: payload.dataSource,
      instance: instance.instanceName,
    };
    const dimsProblem = dimensionsProblem(dimensions);
    if (dimsProblem) throw new UnprocessableError(`instances[${i}]: ${dimsProblem}`, `instances[${i}]`);
    instance.dataPoints.forEach((dp, d) => {
      const base = `instances[${i}].dataPoints[${d}]`;
      const nameProblem = metricNameProblem(dp.dataPointName);
      if (nameProblem)
        throw new UnprocessableError(`${base}.dataPointName: ${nameProblem}`, `${base}.dataPointName`);
      for (const [epochSeconds, raw] of Object.entries(dp.values)) {
        const field = `${base}.values.${epochSeconds}`;
        const timestampMs = Number(epochSeconds) * 1000;
        const tsProblem = timestampProblem(timestampMs, window);
        if (tsProblem) throw new UnprocessableError(`${field}: ${tsProblem}`, field);
        // zod's number() already refused a non-finite JSON number (JSON cannot spell one anyway).
        const value = typeof raw === 'number' ? raw : stringValue(raw);
        if (value === undefined)
          throw new UnprocessableError(
            `${field}: value must be a number, a numeric string, or one of "NaN", "+Inf", "-Inf"`,
            field,
          );
        samples.push({ metric: dp.dataPointName, dimensions, timestampMs, value });
      }
    });
  });
  return samples;
}

// ---- the fast path: the same rules checked by hand, for payloads that follow them all ----
//
// zod costs several times a JSON.parse of the same bytes on this format (issue 3 asks ≤ 2×). The fast
// path only ever answers "valid → these samples": at the first thing it is not sure of it returns
// undefined and the reference above decides, so every refusal (message, field) is the reference's.
// test/domain/native-format-fast.property.test.ts holds the two to the same answers.

type JsonObject = Record<string, unknown>;

/** A plain JSON object (what JSON.parse makes); anything more exotic goes to the reference. */
function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;
}

/**
 * A record (z.record) as JSON.parse makes it. zod also reads a record's symbol keys (and refuses
 * them); JSON has none, and a body built in code that has some goes to the reference.
 */
function isJsonRecord(v: unknown): v is JsonObject {
  return isJsonObject(v) && Object.getOwnPropertySymbols(v).length === 0;
}

/** name(what) of the schema. */
function isName(v: unknown): v is string {
  return (
    typeof v === 'string' &&
    v.length >= 1 &&
    v.length <= NATIVE_LIMITS.nameMaxLength &&
    NAME.test(v) &&
    v.charCodeAt(v.length - 1) !== 0x20
  );
}

/** z.string().max(max).optional() */
function isOptionalString(v: unknown, max: number): boolean {
  return v === undefined || (typeof v === 'string' && v.length <= max);
}

/** propertyMap(what, max) of the schema, holding at least `min` entries. */
function isPropertyMap(v: unknown, min: number, max: number): boolean {
  if (!isJsonRecord(v)) return false;
  let count = 0;
  for (const key in v) {
    // zod drops a __proto__ key silently; leave that oddity to the reference.
    if (key === '__proto__' || !PROPERTY_KEY.test(key)) return false;
    const value = v[key];
    if (typeof value !== 'string' || value.length > NATIVE_LIMITS.propertyValueMaxLength) return false;
    count++;
  }
  return count >= min && count <= max;
}

function isTopLevelKey(key: string): boolean {
  switch (key) {
    case 'resourceName':
    case 'resourceDescription':
    case 'resourceIds':
    case 'resourceProperties':
    case 'dataSource':
    case 'dataSourceDisplayName':
    case 'dataSourceGroup':
    case 'instances':
      return true;
    default:
      return false;
  }
}

function isInstanceKey(key: string): boolean {
  switch (key) {
    case 'instanceName':
    case 'instanceDisplayName':
    case 'instanceProperties':
    case 'dataPoints':
      return true;
    default:
      return false;
  }
}

function isDataPointKey(key: string): boolean {
  switch (key) {
    case 'dataPointName':
    case 'dataPointDescription':
    case 'dataPointType':
    case 'dataPointAggregationType':
    case 'values':
      return true;
    default:
      return false;
  }
}

function isDataPointType(v: unknown): boolean {
  return v === undefined || v === 'GAUGE' || v === 'COUNTER' || v === 'DERIVE';
}

function isAggregationType(v: unknown): boolean {
  return (
    v === undefined ||
    v === 'none' ||
    v === 'avg' ||
    v === 'sum' ||
    v === 'min' ||
    v === 'max' ||
    v === 'percentile'
  );
}

/**
 * The samples of a payload that breaks no rule, or undefined when it breaks one (or might: then the
 * reference decides). Exported for the equivalence test.
 */
export function nativePayloadToSamplesFast(body: unknown, nowMs: number): Sample[] | undefined {
  if (!isJsonObject(body)) return undefined;
  for (const key in body) if (!isTopLevelKey(key)) return undefined;
  const dataSource = body.dataSource;
  const resourceIds = body.resourceIds;
  const instances = body.instances;
  if (
    !isName(body.resourceName) ||
    !isOptionalString(body.resourceDescription, DESCRIPTION_MAX_LENGTH) ||
    !isPropertyMap(resourceIds, 1, NATIVE_LIMITS.maxResourceIds) ||
    (body.resourceProperties !== undefined &&
      !isPropertyMap(body.resourceProperties, 0, NATIVE_LIMITS.maxProperties)) ||
    !isName(dataSource) ||
    !isOptionalString(body.dataSourceDisplayName, NATIVE_LIMITS.nameMaxLength) ||
    !isOptionalString(body.dataSourceGroup, NATIVE_LIMITS.nameMaxLength) ||
    !Array.isArray(instances) ||
    instances.length < 1 ||
    instances.length > NATIVE_LIMITS.maxInstances
  )
    return undefined;

  const { earliestMs, latestMs } = acceptedTimeWindow(nowMs);
  const samples: Sample[] = [];
  for (let i = 0; i < instances.length; i++) {
    const instance: unknown = instances[i];
    if (!isJsonObject(instance)) return undefined;
    for (const key in instance) if (!isInstanceKey(key)) return undefined;
    const instanceName = instance.instanceName;
    const dataPoints = instance.dataPoints;
    if (
      !isName(instanceName) ||
      !isOptionalString(instance.instanceDisplayName, NATIVE_LIMITS.nameMaxLength) ||
      (instance.instanceProperties !== undefined &&
        !isPropertyMap(instance.instanceProperties, 0, NATIVE_LIMITS.maxProperties)) ||
      !Array.isArray(dataPoints) ||
      dataPoints.length < 1 ||
      dataPoints.length > NATIVE_LIMITS.maxDataPointsPerInstance
    )
      return undefined;
    // One dimensions object per instance, shared by its samples, built as the reference builds it.
    const dimensions: Dimensions = {
      ...(resourceIds as Record<string, string>),
      datasource: dataSource,
      instance: instanceName,
    };
    if (dimensionsProblem(dimensions) !== undefined) return undefined;

    for (let d = 0; d < dataPoints.length; d++) {
      const dp: unknown = dataPoints[d];
      if (!isJsonObject(dp)) return undefined;
      for (const key in dp) if (!isDataPointKey(key)) return undefined;
      const metric = dp.dataPointName;
      const values = dp.values;
      if (
        !isName(metric) ||
        metricNameProblem(metric) !== undefined ||
        !isOptionalString(dp.dataPointDescription, DESCRIPTION_MAX_LENGTH) ||
        !isDataPointType(dp.dataPointType) ||
        !isAggregationType(dp.dataPointAggregationType) ||
        !isJsonRecord(values)
      )
        return undefined;

      // Object.keys, not for-in: epoch-second keys are array indices, held as dictionary elements, and
      // for-in over those costs about a JSON.parse of the payload by itself. Same order either way.
      const keys = Object.keys(values);
      const count = keys.length;
      if (count < 1 || count > NATIVE_LIMITS.maxValuesPerDataPoint) return undefined;
      for (let k = 0; k < count; k++) {
        const key = keys[k] as string;
        // /^\d{1,11}$/ and Number(key), in one pass (11 digits stay exact in a double). A leading zero
        // ("0123") is a valid key too, but not the canonical spelling of its number: left to the
        // reference, so that values[seconds] below reads the same property as values[key].
        const length = key.length;
        if (length < 1 || length > 11 || key.charCodeAt(0) === 48) return undefined;
        let seconds = 0;
        for (let c = 0; c < length; c++) {
          const digit = key.charCodeAt(c) - 48;
          if (digit < 0 || digit > 9) return undefined;
          seconds = seconds * 10 + digit;
        }
        const timestampMs = seconds * 1000;
        if (timestampMs < earliestMs || timestampMs > latestMs) return undefined;
        // By number: a string key that is an array index takes V8's slow path, a number does not.
        const raw = values[seconds];
        let value: number | undefined;
        // A non-finite number cannot come from JSON: the reference (zod) refuses one built in code.
        if (typeof raw === 'number') value = Number.isFinite(raw) ? raw : undefined;
        else if (typeof raw === 'string' && raw.length <= VALUE_STRING_MAX_LENGTH) value = stringValue(raw);
        if (value === undefined) return undefined;
        samples.push({ metric, dimensions, timestampMs, value });
      }
    }
  }
  return samples;
}

/**
 * Validates a parsed JSON body and maps it to samples. All or nothing: the first problem throws an
 * UnprocessableError naming the field, and nothing is written.
 */
export function nativePayloadToSamples(body: unknown, nowMs: number): Sample[] {
  return nativePayloadToSamplesFast(body, nowMs) ?? nativePayloadToSamplesReference(body, nowMs);
}
