/**
 * What Timestream for LiveAnalytics bills for a WriteRecords request, as its metering documentation
 * describes it (metering-and-pricing.writes): each record counts its dimension names and values, its
 * measure name, its measure value(s) (names too, for multi-measure; 8 bytes for a DOUBLE) and an 8-byte
 * timestamp; common attributes count once per request; each request is rounded up to 1 KiB write
 * units. One definition for the adapter (which packs requests to lower it) and the cost benchmark.
 */
import type { _Record, WriteRecordsCommandInput } from '@aws-sdk/client-timestream-write';
import { byteLength } from '#domain/metrics';

/** Timestream's write unit. */
export const WRITE_UNIT_BYTES = 1024;
const TIMESTAMP_BYTES = 8;

const valueBytes = (type: string | undefined, value: string | undefined): number =>
  type === 'BOOLEAN' ? 1 : type === 'VARCHAR' ? byteLength(value ?? '') : 8;

const dimensionBytes = (dimensions: _Record['Dimensions']): number =>
  (dimensions ?? []).reduce((n, d) => n + byteLength(d.Name ?? '') + byteLength(d.Value ?? ''), 0);

/** One record: its own dimensions, measure name, measure value(s), time. */
function recordBytes(record: _Record, common: _Record): number {
  let bytes = TIMESTAMP_BYTES + dimensionBytes(record.Dimensions);
  bytes += byteLength(record.MeasureName ?? common.MeasureName ?? '');
  for (const v of record.MeasureValues ?? common.MeasureValues ?? [])
    bytes += byteLength(v.Name ?? '') + valueBytes(v.Type, v.Value);
  const single = record.MeasureValue ?? common.MeasureValue;
  if (single !== undefined) bytes += valueBytes(record.MeasureValueType ?? common.MeasureValueType, single);
  return bytes;
}

/** Metered bytes of one request (before rounding): common dimensions once, then every record. */
export function meteredBytes(input: Pick<WriteRecordsCommandInput, 'CommonAttributes' | 'Records'>): number {
  const common = input.CommonAttributes ?? {};
  let bytes = dimensionBytes(common.Dimensions);
  for (const record of input.Records ?? []) bytes += recordBytes(record, common);
  return bytes;
}

/** Billed 1 KiB write units of one request. */
export function billedUnits(input: Pick<WriteRecordsCommandInput, 'CommonAttributes' | 'Records'>): number {
  return Math.ceil(meteredBytes(input) / WRITE_UNIT_BYTES);
}
