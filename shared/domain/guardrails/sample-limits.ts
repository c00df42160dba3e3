/** Per-sample limits: checked before any shared state is touched, so a bad sample costs nothing. */
import { byteLength, type Sample } from '../metrics';
import type { DiscardReason } from './errors';
import type { TenantLimits } from './limits';

export interface SampleViolation {
  readonly reason: DiscardReason;
  readonly message: string;
  readonly limit: number;
  /** The dotted path inside the sample at fault. */
  readonly field: string;
}

/**
 * The label checks' verdict per dimensions object and limits: every sample of a series shares its
 * dimensions object (and remote write reuses it across requests), so its labels are checked once.
 */
const labelVerdicts = new WeakMap<
  Sample['dimensions'],
  { readonly limits: TenantLimits; readonly violation: SampleViolation | undefined }
>();

export function sampleLimitViolation(
  sample: Sample,
  limits: TenantLimits,
  nowMs: number,
): SampleViolation | undefined {
  let verdict = labelVerdicts.get(sample.dimensions);
  if (verdict?.limits !== limits) {
    verdict = { limits, violation: labelViolation(sample, limits) };
    labelVerdicts.set(sample.dimensions, verdict);
  }
  return verdict.violation ?? timeViolation(sample, limits, nowMs);
}

function labelViolation(sample: Sample, limits: TenantLimits): SampleViolation | undefined {
  const names = Object.keys(sample.dimensions);
  if (names.length > limits.maxLabelNamesPerSeries) {
    return {
      reason: 'max-label-names-per-series',
      message: `series has ${names.length} labels, more than the limit of ${limits.maxLabelNamesPerSeries}`,
      limit: limits.maxLabelNamesPerSeries,
      field: 'dimensions',
    };
  }
  for (const name of names) {
    if (byteLength(name) > limits.maxLabelNameLength) {
      return {
        reason: 'label-name-too-long',
        message: `label name "${name.slice(0, 64)}…" is longer than the limit of ${limits.maxLabelNameLength} bytes`,
        limit: limits.maxLabelNameLength,
        field: 'dimensions',
      };
    }
    const value = sample.dimensions[name] as string;
    if (byteLength(value) > limits.maxLabelValueLength) {
      return {
        reason: 'label-value-too-long',
        message: `value of label "${name}" is longer than the limit of ${limits.maxLabelValueLength} bytes`,
        limit: limits.maxLabelValueLength,
        field: `dimensions.${name}`,
      };
    }
  }
  return undefined;
}

function timeViolation(sample: Sample, limits: TenantLimits, nowMs: number): SampleViolation | undefined {
  if (sample.timestampMs < nowMs - limits.maxSampleAgeSeconds * 1000) {
    return {
      reason: 'sample-too-old',
      message: `sample at ${isoOrRaw(sample.timestampMs)} is older than the limit of ${limits.maxSampleAgeSeconds} s`,
      limit: limits.maxSampleAgeSeconds,
      field: 'timestamp',
    };
  }
  if (sample.timestampMs > nowMs + limits.maxFutureSkewSeconds * 1000) {
    return {
      reason: 'sample-too-far-in-future',
      message: `sample at ${isoOrRaw(sample.timestampMs)} is more than the limit of ${limits.maxFutureSkewSeconds} s in the future`,
      limit: limits.maxFutureSkewSeconds,
      field: 'timestamp',
    };
  }
  return undefined;
}

function isoOrRaw(ms: number): string {
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}
