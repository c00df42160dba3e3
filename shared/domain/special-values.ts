/**
 * IEEE special values as data. NaN, +Inf and -Inf are ordinary sample values; Prometheus' stale marker
 * (the NaN with bit pattern 0x7ff0000000000002) is not a value but the end of a series.
 *
 * V8 canonicalises NaN payloads when a number is stored in a packed double array or a Map (the marker
 * turns into 0x7ff8000000000002), so the marker never travels as NaN bits inside the platform: a decoder
 * recognises it from the wire bytes (isStaleMarkerAt) and sets a flag (Sample.stale, RawSeries.stale);
 * stores that keep raw doubles write the exact bits back from that flag (STALE_MARKER_BITS).
 */

/** High and low 32-bit words of the stale marker's IEEE 754 bits. */
export const STALE_MARKER_HI = 0x7ff00000;
export const STALE_MARKER_LO = 0x00000002;

/** True when the 8 bytes at `offset` are the stale marker (not any other NaN). */
export function isStaleMarkerAt(view: DataView, offset: number, littleEndian: boolean): boolean {
  const hi = view.getUint32(littleEndian ? offset + 4 : offset, littleEndian);
  const lo = view.getUint32(littleEndian ? offset : offset + 4, littleEndian);
  return hi === STALE_MARKER_HI && lo === STALE_MARKER_LO;
}

/** Writes the stale marker's exact bits at `offset`. */
export function writeStaleMarker(view: DataView, offset: number, littleEndian: boolean): void {
  view.setUint32(littleEndian ? offset + 4 : offset, STALE_MARKER_HI, littleEndian);
  view.setUint32(littleEndian ? offset : offset + 4, STALE_MARKER_LO, littleEndian);
}

/**
 * The value to write as raw bits for a sample that is not a stale marker: any NaN as the canonical
 * quiet NaN, so a NaN whose payload happens to be the marker's never reads back as one.
 */
export function plainValue(value: number): number {
  return Number.isNaN(value) ? Number.NaN : value;
}

/**
 * How a value travels in JSON (Prometheus' HTTP API convention): finite values as numbers in the
 * platform's own API, special values as the strings "NaN", "+Inf", "-Inf".
 */
export function specialValueText(value: number): 'NaN' | '+Inf' | '-Inf' | undefined {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return undefined;
}

/**
 * A sample's value in a JSON record (offboarding exports): special values as their strings, a stale
 * marker as `{value: "NaN", stale: true}`.
 */
export function jsonSampleValue(value: number, stale: boolean): { value: number | string; stale?: true } {
  if (stale) return { value: 'NaN', stale: true };
  return { value: specialValueText(value) ?? value };
}

/** Parses "NaN", "+Inf", "-Inf", "Inf" (any case, as Prometheus' strconv does) or a decimal number. */
export function parseSampleValue(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'nan') return Number.NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Number.POSITIVE_INFINITY;
  if (t === '-inf' || t === '-infinity') return Number.NEGATIVE_INFINITY;
  if (t === '') return undefined;
  const n = Number(t);
  return Number.isNaN(n) ? undefined : n;
}

/**
 * JSON.stringify replacer for samples (spilled batches): a `value` JSON cannot spell travels as a
 * string ("NaN", "+Inf", "-Inf", and "-0", whose sign JSON would drop); `stale` is a plain boolean.
 */
export function sampleJsonReplacer(key: string, value: unknown): unknown {
  // `sum`: a native histogram's, which may be NaN or ±Inf too.
  if ((key !== 'value' && key !== 'sum') || typeof value !== 'number') return value;
  return specialValueText(value) ?? (Object.is(value, -0) ? '-0' : value);
}

/** JSON.parse reviver undoing sampleJsonReplacer. */
export function sampleJsonReviver(key: string, value: unknown): unknown {
  if ((key !== 'value' && key !== 'sum') || typeof value !== 'string') return value;
  return parseSampleValue(value) ?? value;
}
