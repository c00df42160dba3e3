/**
 * The native JSON push format, modelled on LogicMonitor's Push Metrics API: one resource (identified
 * by resourceIds, described by properties), one datasource, its instances, and each instance's
 * datapoints with values keyed by epoch seconds.
 */
import { z } from 'zod';
import { UnprocessableError } from './errors';
import {
  acceptedTimeWindow,
  type Dimensions,
  dimensionsProblem,
  metricNameProblem,
  type Sample,
  timestampProblem,
} from './metrics';
import { parseOrThrow } from './validation';

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
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(NATIVE_LIMITS.nameMaxLength, `${what} must be at most ${NATIVE_LIMITS.nameMaxLength} characters`)
    .regex(NAME, `${what} may use letters, digits, spaces and _ . : - /, and must not start with a space`)
    .refine((s) => !s.endsWith(' '), `${what} must not end with a space`);

const propertyMap = (what: string, max: number) =>
  z
    .record(
      z
        .string()
        .regex(/^[A-Za-z_][A-Za-z0-9_.-]{0,59}$/, `${what} keys use letters, digits and _ . - (≤ 60)`),
      z.string().max(NATIVE_LIMITS.propertyValueMaxLength, `${what} values must be ≤ 1024 characters`),
    )
    .refine((m) => Object.keys(m).length <= max, `at most ${max} ${what}`);

/** A datapoint value: a JSON number or a numeric string, as LogicMonitor accepts. */
const datapointValue = z.union([z.number(), z.string().max(64)]);

export const nativePayloadSchema = z.strictObject({
  resourceName: name('resourceName'),
  resourceDescription: z.string().max(1024).optional(),
  resourceIds: propertyMap('resourceIds', NATIVE_LIMITS.maxResourceIds).refine(
    (m) => Object.keys(m).length >= 1,
    'resourceIds must name the resource with at least one id',
  ),
  resourceProperties: propertyMap('resourceProperties', NATIVE_LIMITS.maxProperties).optional(),
  dataSource: name('dataSource'),
  dataSourceDisplayName: z.string().max(NATIVE_LIMITS.nameMaxLength).optional(),
  dataSourceGroup: z.string().max(NATIVE_LIMITS.nameMaxLength).optional(),
  instances: z
    .array(
      z.strictObject({
        instanceName: name('instanceName'),
        instanceDisplayName: z.string().max(NATIVE_LIMITS.nameMaxLength).optional(),
        instanceProperties: propertyMap('instanceProperties', NATIVE_LIMITS.maxProperties).optional(),
        dataPoints: z
          .array(
            z.strictObject({
              dataPointName: name('dataPointName'),
              dataPointDescription: z.string().max(1024).optional(),
              dataPointType: z.enum(['GAUGE', 'COUNTER', 'DERIVE']).optional(),
              dataPointAggregationType: z.enum(['none', 'avg', 'sum', 'min', 'max', 'percentile']).optional(),
              values: z
                .record(z.string().regex(/^\d{1,11}$/, 'values keys must be epoch seconds'), datapointValue)
                .refine((m) => Object.keys(m).length >= 1, 'values must hold at least one value')
                .refine(
                  (m) => Object.keys(m).length <= NATIVE_LIMITS.maxValuesPerDataPoint,
                  `at most ${NATIVE_LIMITS.maxValuesPerDataPoint} values per datapoint`,
                ),
            }),
          )
          .min(1, 'an instance needs at least one datapoint')
          .max(
            NATIVE_LIMITS.maxDataPointsPerInstance,
            `at most ${NATIVE_LIMITS.maxDataPointsPerInstance} datapoints per instance`,
          ),
      }),
    )
    .min(1, 'at least one instance is required')
    .max(NATIVE_LIMITS.maxInstances, `at most ${NATIVE_LIMITS.maxInstances} instances per payload`),
});

export type NativePayload = z.infer<typeof nativePayloadSchema>;

/** Parses a numeric datapoint value strictly: "12.5" yes, "12abc", "", "NaN", "Infinity" no. */
function numericValue(raw: number | string): number {
  if (typeof raw === 'number') return raw;
  if (!/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(raw)) return Number.NaN;
  return Number(raw);
}

/**
 * Validates a parsed JSON body and maps it to samples. All or nothing: the first problem throws an
 * UnprocessableError naming the field, and nothing is written.
 */
export function nativePayloadToSamples(body: unknown, nowMs: number): Sample[] {
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
        const value = numericValue(raw);
        if (!Number.isFinite(value))
          throw new UnprocessableError(`${field}: value is not a finite number`, field);
        samples.push({ metric: dp.dataPointName, dimensions, timestampMs, value });
      }
    });
  });
  return samples;
}
