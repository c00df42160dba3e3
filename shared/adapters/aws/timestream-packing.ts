/**
 * How a write's samples become WriteRecords calls. Timestream bills each request in 1 KiB units and
 * meters common attributes once per request, so what a call shares (its dimension names and values)
 * should travel once, as CommonAttributes. Two candidate packings are metered with the one metering
 * definition (timestream-metering.ts) and the cheaper is sent:
 *
 * - in order: the samples as they came, 100 a call, each call hoisting what all its samples share
 *   (one OTLP resource, one native resource, a Prometheus job/instance);
 * - by dimension names: samples grouped by their set of dimension names, in order of first
 *   appearance, then 100 a call. An OTLP request interleaves gauges and sums, and only sums carry
 *   `otel.temporality`/`otel.monotonic`: grouped, each call shares far more than the resource.
 *
 * The grouping never changes what is stored (same dimensions, same record per sample), only how
 * records are batched; every call keeps the index of each record's sample so a rejected record maps
 * back to its sample.
 */
import type { _Record, Dimension, MeasureValue } from '@aws-sdk/client-timestream-write';
import type { Sample } from '#domain/metrics';
import { specialValueText } from '#domain/special-values';
import { billedUnits } from './timestream-metering';

/** Timestream's limit on records per WriteRecords call. */
export const MAX_RECORDS_PER_WRITE = 100;
/** The measure column of every ordinary sample's multi-measure record (DOUBLE). */
export const VALUE_COLUMN = 'value';
/**
 * Timestream cannot write NaN or ±Infinity into a DOUBLE (its data types page says so): a sample with
 * one of them, or a stale marker, is a record with this VARCHAR measure instead of `value`
 * ('NaN' | '+Inf' | '-Inf' | 'stale'). Ordinary records are unchanged, so they cost what they did.
 */
export const SPECIAL_COLUMN = 'special_value';
export const STALE_TEXT = 'stale';
/**
 * More dimension-name sets than this in one write and grouping is not tried: each group costs at
 * least one call (and one rounding to KiB), so many small groups never beat the in-order packing.
 */
const MAX_GROUPS_TRIED = 64;

/** One WriteRecords call: its common dimensions, its records, and the sample index of each record. */
export interface PackedWrite {
  readonly commonDimensions: Dimension[];
  readonly records: _Record[];
  /** `sampleIndices[i]` is the index, in the write's samples, of `records[i]`. */
  readonly sampleIndices: readonly number[];
  /** Billed 1 KiB write units of the call. */
  readonly units: number;
}

/**
 * The cheaper of the two packings (in order on a tie). `placeholder` stands in for
 * the dimensions of a sample that has none: Timestream refuses a record without any dimension.
 */
export function packWrites(
  samples: readonly Sample[],
  placeholder: Readonly<Record<string, string>>,
): PackedWrite[] {
  const effective = samples.map((s) => (hasAny(s.dimensions) ? s.dimensions : placeholder));
  const dimensionsOf = (i: number) => effective[i] as Readonly<Record<string, string>>;
  const all = Array.from({ length: samples.length }, (_, i) => i);
  const inOrder = chunked(all).map((indices) => packCall(samples, indices, dimensionsOf));

  const groups = new Map<string, number[]>();
  for (const i of all) {
    const shape = Object.keys(dimensionsOf(i)).sort().join('\n');
    const group = groups.get(shape);
    if (group) group.push(i);
    else {
      if (groups.size === MAX_GROUPS_TRIED) return inOrder;
      groups.set(shape, [i]);
    }
  }
  if (groups.size < 2) return inOrder;
  const byNames = [...groups.values()].flatMap((group) =>
    chunked(group).map((indices) => packCall(samples, indices, dimensionsOf)),
  );
  // In order never makes more calls (it fills every call but the last), so it wins a tie.
  const cost = (calls: PackedWrite[]) => calls.reduce((n, c) => n + c.units, 0);
  return cost(byNames) < cost(inOrder) ? byNames : inOrder;
}

function hasAny(dimensions: Readonly<Record<string, string>>): boolean {
  for (const _name in dimensions) return true;
  return false;
}

function chunked(indices: readonly number[]): number[][] {
  const chunks: number[][] = [];
  for (let start = 0; start < indices.length; start += MAX_RECORDS_PER_WRITE)
    chunks.push(indices.slice(start, start + MAX_RECORDS_PER_WRITE));
  return chunks;
}

function packCall(
  samples: readonly Sample[],
  indices: number[],
  dimensionsOf: (i: number) => Readonly<Record<string, string>>,
): PackedWrite {
  const shared = sharedDimensions(indices.map(dimensionsOf));
  const commonDimensions = Object.keys(shared)
    .sort()
    .map((name) => ({ Name: name, Value: shared[name], DimensionValueType: 'VARCHAR' as const }));
  const records = indices.map((i) => toRecord(samples[i] as Sample, dimensionsOf(i), shared));
  return {
    commonDimensions,
    records,
    sampleIndices: indices,
    units: billedUnits({ CommonAttributes: { Dimensions: commonDimensions }, Records: records }),
  };
}

/** The dimensions (name and value) that every one of `dimensionSets` carries. */
export function sharedDimensions(
  dimensionSets: readonly Readonly<Record<string, string>>[],
): Record<string, string> {
  const first = dimensionSets[0];
  if (!first) return {};
  const shared: Record<string, string> = { ...first };
  for (let i = 1; i < dimensionSets.length; i++) {
    const dimensions = dimensionSets[i] as Readonly<Record<string, string>>;
    for (const name of Object.keys(shared)) if (dimensions[name] !== shared[name]) delete shared[name];
  }
  return shared;
}

function toRecord(
  sample: Sample,
  dimensions: Readonly<Record<string, string>>,
  shared: Readonly<Record<string, string>>,
): _Record {
  return {
    Dimensions: Object.keys(dimensions)
      .filter((name) => !(name in shared))
      .sort()
      .map((name) => ({ Name: name, Value: dimensions[name], DimensionValueType: 'VARCHAR' })),
    MeasureName: sample.metric,
    MeasureValues: [measureValue(sample)],
    Time: String(sample.timestampMs),
  };
}

/** `value` as a DOUBLE (-0 spelled so: String(-0) is "0"), or the special-value measure. */
function measureValue(sample: Sample): MeasureValue {
  const special = sample.stale ? STALE_TEXT : specialValueText(sample.value);
  if (special !== undefined) return { Name: SPECIAL_COLUMN, Value: special, Type: 'VARCHAR' };
  const value = Object.is(sample.value, -0) ? '-0' : String(sample.value);
  return { Name: VALUE_COLUMN, Value: value, Type: 'DOUBLE' };
}
