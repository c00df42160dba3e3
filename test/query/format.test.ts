import { describe, expect, it } from 'vitest';
import type { QueryResult } from '../../functions/query/engine';
import { prometheusData, queryAnswer, success } from '../../functions/query/format';

/** The answer written as text must be byte for byte what JSON.stringify writes for the same data. */
const viaObjects = (answer: QueryResult, warnings: string[] = []) =>
  success(prometheusData(answer), warnings);

describe('queryAnswer', () => {
  const matrix: QueryResult = {
    resultType: 'matrix',
    result: [
      {
        metric: { __name__: 'up', job: 'a "quoted" \\ job', path: '/ü/\n' },
        timestampsMs: [1_700_000_000_000, 1_700_000_015_500, 1_700_000_030_001],
        values: [1, Number.NaN, 1e-7],
      },
      { metric: {}, timestampsMs: Float64Array.of(1, 2), values: Float64Array.of(Infinity, -Infinity) },
      { metric: { a: 'b' }, timestampsMs: [], values: [] },
      { metric: { big: 'x' }, timestampsMs: [123_456_789_012_345], values: [1.5e300] },
    ],
  };

  it('writes a matrix exactly as JSON.stringify of its objects would', () => {
    for (const warnings of [[], ['results truncated due to limit', 'a "second" one']]) {
      const text = queryAnswer(matrix, warnings);
      const objects = viaObjects(matrix, warnings);
      expect(text.body).toBe(objects.body);
      expect(text.headers).toEqual(objects.headers);
      expect(text.statusCode).toBe(200);
    }
    expect(JSON.parse(queryAnswer(matrix).body as string).data.result[0].values[1]).toEqual([
      1_700_000_015.5,
      'NaN',
    ]);
  });

  it('writes an empty matrix and every other result type as the object form does', () => {
    const answers: QueryResult[] = [
      { resultType: 'matrix', result: [] },
      { resultType: 'vector', result: [{ metric: { a: '1' }, timeMs: 1_000, value: 2 }] },
      { resultType: 'scalar', result: { timeMs: 1_500, value: Number.NaN } },
      { resultType: 'string', result: { timeMs: 2_000, value: 'x"y' } },
    ];
    for (const answer of answers) expect(queryAnswer(answer).body).toBe(viaObjects(answer).body);
  });
});
