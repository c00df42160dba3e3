/**
 * Prometheus' HTTP API parameters: GET query strings and POST form bodies (Prometheus reads both, as
 * Go's ParseForm does), times as RFC 3339 or float Unix seconds, durations as `5m`/`1h30m` or float
 * seconds, repeated `match[]`.
 */
import { BadRequestError } from '#domain/errors';
import { readBody } from '#http/body';
import { type HttpEvent, header } from '#http/types';

export type Params = ReadonlyMap<string, readonly string[]>;

/** Every parameter of the request: form body values first, then the query string's (Go's r.Form order). */
export function requestParams(event: HttpEvent): Params {
  const params = new Map<string, string[]>();
  const add = (name: string, value: string) => {
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  };
  if (event.httpMethod === 'POST') {
    const type = (header(event, 'content-type') ?? '').split(';')[0]?.trim().toLowerCase();
    if (type === 'application/x-www-form-urlencoded')
      for (const [name, value] of new URLSearchParams(readBody(event).toString('utf8'))) add(name, value);
    else if (event.body)
      throw new BadRequestError('a POST body must be application/x-www-form-urlencoded', 'content-type');
  }
  const multi = event.multiValueQueryStringParameters;
  if (multi) for (const [name, values] of Object.entries(multi)) for (const v of values ?? []) add(name, v);
  else
    for (const [name, value] of Object.entries(event.queryStringParameters ?? {}))
      if (value !== undefined) add(name, value);
  return params;
}

export const param = (params: Params, name: string): string | undefined => params.get(name)?.[0];

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Prometheus' minimum and maximum query times (its API's defaults for an absent start/end). */
export const MIN_TIME_MS = -9_223_309_901_257_974;
export const MAX_TIME_MS = 9_223_309_901_257_974;

/** A time parameter in milliseconds: float Unix seconds or RFC 3339 (Prometheus' parseTime). */
export function parseTime(raw: string, field: string): number {
  const text = raw.trim();
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const seconds = Number(text);
    if (Number.isFinite(seconds)) return Math.round(seconds * 1000);
  }
  if (RFC3339.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T'));
    if (Number.isFinite(ms)) return ms;
  }
  if (text === '-292273086-05-16T16:47:06Z') return MIN_TIME_MS;
  if (text === '292277025-08-17T07:12:54.999999999Z') return MAX_TIME_MS;
  throw new BadRequestError(
    `invalid parameter "${field}": cannot parse "${raw}" to a valid timestamp`,
    field,
  );
}

const DURATION_UNITS: Record<string, number> = {
  y: 365 * 86_400_000,
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
};

/** A duration parameter in milliseconds: float seconds or Prometheus' `1h30m` form. */
export function parseDuration(raw: string, field: string): number {
  const text = raw.trim();
  const invalid = () =>
    new BadRequestError(`invalid parameter "${field}": cannot parse "${raw}" to a valid duration`, field);
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text)) {
    const seconds = Number(text);
    if (!Number.isFinite(seconds) || Math.abs(seconds * 1000) > Number.MAX_SAFE_INTEGER) throw invalid();
    return Math.round(seconds * 1000);
  }
  if (text === '' || !/^(\d+(ms|[ywdhms]))+$/.test(text)) throw invalid();
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)(ms|[ywdhms])/g))
    total += Number(amount) * (DURATION_UNITS[unit as string] as number);
  return total;
}
