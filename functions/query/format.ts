/**
 * Prometheus' JSON: the `{status, data, errorType, error, warnings}` envelope, sample values as
 * strings written like Go's strconv.FormatFloat(v, 'f', -1, 64) (no exponent; "NaN", "+Inf",
 * "-Inf"), timestamps as float Unix seconds.
 */
import {
  BadRequestError,
  DomainError,
  ThrottledError,
  UnavailableError,
  UnprocessableError,
} from '#domain/errors';
import type { Labels } from '#domain/label-matchers';
import { QUERY_LIMIT_NAMES, QueryUnavailableError } from '#domain/query-limits';
import { json, jsonText } from '#http/response';
import type { HttpResult } from '#http/types';
import { formatFloatPlain, sortByLabels } from '#promql/series';
import type { QueryResult, RangeSeries } from './engine';

/** A sample value as Prometheus writes it (the engine's formatter). */
export const formatValue = formatFloatPlain;

export const formatTime = (ms: number): number => ms / 1000;

export function prometheusData(answer: QueryResult): unknown {
  switch (answer.resultType) {
    case 'vector':
      return {
        resultType: 'vector',
        result: answer.result.map((s) => ({
          metric: s.metric,
          value: [formatTime(s.timeMs), formatValue(s.value)],
        })),
      };
    case 'matrix':
      return {
        resultType: 'matrix',
        result: answer.result.map((s) => {
          const values: [number, string][] = new Array(s.timestampsMs.length);
          for (let i = 0; i < s.timestampsMs.length; i++)
            values[i] = [formatTime(s.timestampsMs[i] as number), formatValue(s.values[i] as number)];
          return { metric: s.metric, values };
        }),
      };
    case 'scalar':
      return {
        resultType: 'scalar',
        result: [formatTime(answer.result.timeMs), formatValue(answer.result.value)],
      };
    case 'string':
      return { resultType: 'string', result: [formatTime(answer.result.timeMs), answer.result.value] };
  }
}

/**
 * A query's success answer, its JSON written as text: a matrix of a million points would otherwise be
 * a million `[time, "value"]` arrays built only to be stringified. Every series of a range query has
 * the same step times, so each time's text is written once. The text is JSON.stringify's own for the
 * same data (test/query/format.test.ts).
 */
export function queryAnswer(answer: QueryResult, warnings: readonly string[] = []): HttpResult {
  if (answer.resultType !== 'matrix') return success(prometheusData(answer), warnings);
  const timePrefixes = new Map<number, string>();
  const parts: string[] = new Array(answer.result.length);
  for (let k = 0; k < answer.result.length; k++) {
    const s = answer.result[k] as RangeSeries;
    const points: string[] = new Array(s.timestampsMs.length);
    for (let i = 0; i < points.length; i++) {
      const t = s.timestampsMs[i] as number;
      let prefix = timePrefixes.get(t);
      if (prefix === undefined) {
        prefix = `[${formatTime(t)},"`;
        timePrefixes.set(t, prefix);
      }
      points[i] = `${prefix}${formatValue(s.values[i] as number)}"]`;
    }
    parts[k] = `{"metric":${JSON.stringify(s.metric)},"values":[${points.join(',')}]}`;
  }
  const tail = warnings.length > 0 ? `,"warnings":${JSON.stringify(warnings)}` : '';
  return jsonText(
    200,
    `{"status":"success","data":{"resultType":"matrix","result":[${parts.join(',')}]}${tail}}`,
  );
}

export function success(data: unknown, warnings: readonly string[] = []): HttpResult {
  return json(200, { status: 'success', data, ...(warnings.length > 0 ? { warnings } : {}) });
}

/** Sorted label sets, as Prometheus lists series (labels.Compare order). */
export const sortedLabelSets = (sets: readonly Labels[]): Labels[] => sortByLabels([...sets], (l) => l);

export type ErrorType =
  | 'bad_data'
  | 'execution'
  | 'timeout'
  | 'unavailable'
  | 'internal'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found';

/** A Prometheus error answer; undefined for an error that is not the caller's to see (a 500). */
export function prometheusError(error: unknown): HttpResult | undefined {
  if (!(error instanceof DomainError)) return undefined;
  let errorType: ErrorType;
  if (error instanceof QueryUnavailableError && error.limit === QUERY_LIMIT_NAMES.timeoutMs)
    errorType = 'timeout';
  // Refused for the tenant's concurrency (429): retryable, as Prometheus' own "unavailable".
  else if (error instanceof UnavailableError || error instanceof ThrottledError) errorType = 'unavailable';
  else if (error instanceof BadRequestError) errorType = 'bad_data';
  else if (error instanceof UnprocessableError) errorType = 'execution';
  else if (error.status === 401) errorType = 'unauthorized';
  else if (error.status === 403) errorType = 'forbidden';
  else if (error.status === 404) errorType = 'not_found';
  else errorType = error.status >= 500 ? 'unavailable' : 'bad_data';
  const retryAfter = (error as { retryAfterSeconds?: number }).retryAfterSeconds;
  return json(
    error.status,
    { status: 'error', errorType, error: error.message },
    retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) },
  );
}
