import { describe, expect, it } from 'vitest';
import { UnprocessableError } from '#domain/errors';
import { NATIVE_LIMITS, nativePayloadToSamples } from '#domain/native-format';
import { nativePayload } from '../support/native-payload';

const nowMs = Date.UTC(2026, 5, 1, 12);
const nowS = nowMs / 1000;

function problemField(body: unknown): string | undefined {
  try {
    nativePayloadToSamples(body, nowMs);
  } catch (error) {
    expect(error).toBeInstanceOf(UnprocessableError);
    return (error as UnprocessableError).field;
  }
  throw new Error('expected the payload to be refused');
}

describe('nativePayloadToSamples', () => {
  it('maps each value to a sample: datapoint → metric; resource ids, datasource, instance → dimensions', () => {
    const samples = nativePayloadToSamples(nativePayload(nowS), nowMs);
    const dimensions = { 'system.hostname': 'web-01', datasource: 'LinuxCPU', instance: 'cpu0' };
    expect(samples).toEqual([
      { metric: 'busy', dimensions, timestampMs: nowMs - 60_000, value: 10 },
      { metric: 'busy', dimensions, timestampMs: nowMs, value: 12.5 },
      { metric: 'idle', dimensions, timestampMs: nowMs, value: 87.5 },
    ]);
  });

  it.each([
    ['a missing resourceIds', { resourceIds: undefined }, 'resourceIds'],
    ['empty resourceIds', { resourceIds: {} }, 'resourceIds'],
    ['an unknown top-level field', { tenantId: 'other' }, 'body'],
    ['a bad datasource name', { dataSource: ' leading space' }, 'dataSource'],
    ['a too long resource name', { resourceName: 'r'.repeat(256) }, 'resourceName'],
    ['no instances', { instances: [] }, 'instances'],
    [
      'too many instances',
      {
        instances: Array.from({ length: NATIVE_LIMITS.maxInstances + 1 }, (_, i) => ({
          instanceName: `i${i}`,
          dataPoints: [{ dataPointName: 'x', values: { [nowS]: 1 } }],
        })),
      },
      'instances',
    ],
  ])('refuses %s', (_what, overrides, field) => {
    expect(problemField(nativePayload(nowS, overrides as Record<string, unknown>))).toBe(field);
  });

  const withValues = (values: Record<string, unknown>, dataPointName = 'busy') =>
    nativePayload(nowS, { instances: [{ instanceName: 'cpu0', dataPoints: [{ dataPointName, values }] }] });

  it('refuses non-numeric values and numbers that overflow a double, naming the value', () => {
    for (const bad of ['12abc', '', '1e400', 'Infinityx', 'nan nan', 'inf.0']) {
      expect(problemField(withValues({ [nowS]: bad }))).toBe(`instances[0].dataPoints[0].values.${nowS}`);
    }
  });

  it('takes NaN and ±Inf as the strings JSON numbers cannot spell', () => {
    const spelled: [string, number][] = [
      ['NaN', Number.NaN],
      ['+Inf', Number.POSITIVE_INFINITY],
      ['-Inf', Number.NEGATIVE_INFINITY],
      ['Inf', Number.POSITIVE_INFINITY],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['-Infinity', Number.NEGATIVE_INFINITY],
      ['nan', Number.NaN],
      [' +inf ', Number.POSITIVE_INFINITY],
    ];
    for (const [text, value] of spelled) {
      const samples = nativePayloadToSamples(withValues({ [nowS]: text }), nowMs);
      expect(samples.map((s) => s.value)).toEqual([value]);
    }
  });

  it('refuses timestamps older than retention or more than 15 minutes ahead, naming the value', () => {
    const old = nowS - 25 * 3600;
    const future = nowS + 16 * 60;
    expect(problemField(withValues({ [old]: 1 }))).toBe(`instances[0].dataPoints[0].values.${old}`);
    expect(problemField(withValues({ [future]: 1 }))).toBe(`instances[0].dataPoints[0].values.${future}`);
    expect(problemField(withValues({ 'not-epoch': 1 }))).toBe('instances[0].dataPoints[0].values.not-epoch');
  });

  it('refuses datapoint names a store cannot hold', () => {
    expect(problemField(withValues({ [nowS]: 1 }, 'cpu busy'))).toBe(
      'instances[0].dataPoints[0].dataPointName',
    );
  });
});
