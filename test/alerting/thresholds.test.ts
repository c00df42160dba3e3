import { describe, expect, it } from 'vitest';
import { alertRuleInputSchema } from '#domain/alerting/rule';
import {
  formatThreshold,
  judgeableValues,
  parseThreshold,
  staticSeverity,
} from '#domain/alerting/thresholds';
import { UnprocessableError } from '#domain/errors';

describe('parseThreshold', () => {
  it('reads LogicMonitor notation as warning, error, critical', () => {
    expect(parseThreshold('> 60 80 90')).toEqual({ operator: '>', warning: 60, error: 80, critical: 90 });
    expect(parseThreshold('<= 10')).toEqual({ operator: '<=', warning: 10 });
    expect(parseThreshold('!= - - 0')).toEqual({ operator: '!=', critical: 0 });
    expect(parseThreshold('== 1')).toEqual({ operator: '=', warning: 1 });
  });

  it.each(['60 80 90', '> ', '> a 80', '> - -', '> 1 2 3 4', '=> 5'])('refuses %j with a 422', (raw) => {
    expect(() => parseThreshold(raw)).toThrow(UnprocessableError);
  });

  it('formats back to the same notation', () => {
    expect(formatThreshold(parseThreshold('>= 60 - 90'))).toBe('>= 60 - 90');
  });
});

describe('staticSeverity', () => {
  const rising = parseThreshold('> 60 80 90');
  it.each([
    [50, undefined],
    [60, undefined],
    [61, 'warning'],
    [80.5, 'error'],
    [91, 'critical'],
  ])('> 60 80 90 with %d → %s', (value, severity) => {
    expect(staticSeverity(value, rising)).toBe(severity);
  });

  it.each([
    ['< 10 5 1', 4, 'error'],
    ['<= 10 5 1', 10, 'warning'],
    ['>= 60 80 90', 90, 'critical'],
    ['= 0', 0, 'warning'],
    ['= 0', 1, undefined],
    ['!= - - 200', 500, 'critical'],
    ['!= - - 200', 200, undefined],
  ] as const)('%s with %d → %s', (expr, value, severity) => {
    expect(staticSeverity(value, parseThreshold(expr))).toBe(severity);
  });
});

describe('judgeableValues', () => {
  it('leaves NaN out of what a threshold judges (it compares with nothing), but counts it', () => {
    const window = [70, Number.NaN, 90, Number.POSITIVE_INFINITY];
    expect(judgeableValues(window, 'avg')).toEqual([70, 90, Number.POSITIVE_INFINITY]);
    expect(judgeableValues(window, 'max')).toEqual([70, 90, Number.POSITIVE_INFINITY]);
    expect(judgeableValues(window, 'count')).toEqual(window);
    expect(judgeableValues([Number.NaN], 'avg')).toEqual([]);
  });

  it('±Inf compares as IEEE says', () => {
    const above = { operator: '>' as const, warning: 60, critical: 90 };
    expect(staticSeverity(Number.POSITIVE_INFINITY, above)).toBe('critical');
    expect(staticSeverity(Number.NEGATIVE_INFINITY, above)).toBeUndefined();
    expect(staticSeverity(Number.NEGATIVE_INFINITY, { operator: '<', warning: 10 })).toBe('warning');
  });
});

describe('alertRuleInputSchema', () => {
  it('accepts a threshold string and fills defaults', () => {
    const rule = alertRuleInputSchema.parse({ name: 'cpu', metric: 'cpu', threshold: '> 60 80 90' });
    expect(rule).toMatchObject({
      threshold: { operator: '>', warning: 60, error: 80, critical: 90 },
      windowSeconds: 300,
      aggregation: 'avg',
      triggerInterval: 1,
      clearInterval: 1,
      enabled: true,
    });
  });

  it('names the threshold field when the expression is wrong', () => {
    const parsed = alertRuleInputSchema.safeParse({ name: 'cpu', metric: 'cpu', threshold: '~ 1' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['threshold']);
  });

  it('needs some condition', () => {
    const parsed = alertRuleInputSchema.safeParse({ name: 'cpu', metric: 'cpu' });
    expect(parsed.success).toBe(false);
  });
});
