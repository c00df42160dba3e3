/**
 * The Athena (Trino) statements of the AWS log store. Every value a tenant or its query supplies is
 * an execution parameter (`?`, bound by StartQueryExecution's ExecutionParameters as a SQL literal),
 * never part of the SQL text; the text holds only our column names and integers we checked.
 *
 * Each statement names `tenant = ?` (the injected partition projection requires it) and an
 * `event_hour` range, so Athena reads only the tenant's hours of the time range.
 *
 * Athena takes `?` only in a WHERE clause ("Currently, ? parameters can be placed only in the WHERE
 * clause. Syntax like SELECT ? FROM table is not supported": Athena user guide, "Use parameterized
 * queries", docs.aws.amazon.com/athena/latest/ug/querying-with-prepared-statements.html), and string
 * values must be single-quoted literals. So every `?` below sits on a `WHERE` line (a test checks
 * it): the query filter is a WHERE of its own CTE, never a SELECT-list expression, and the
 * histogram's bucket arithmetic uses integers we checked, inlined.
 */

import type { LogQuery } from '#domain/logs/query';
import { words } from '#domain/logs/query';
import { logEventHour } from './athena-log-table';

export interface Statement {
  readonly sql: string;
  /** ExecutionParameters, in the order of the `?` in sql. */
  readonly params: string[];
}

/** A string as a Trino literal (Athena's execution parameters are literals): quotes doubled. */
export const sqlString = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** An integer literal; anything else is our bug, never a tenant's. */
export function sqlInteger(n: number): string {
  if (!Number.isSafeInteger(n)) throw new Error(`not a safe integer: ${n}`);
  return String(n);
}

/** Anything but a word character (shared/domain/logs/query.ts `words`) separates words. */
const NOT_WORD_CHAR = '[^\\p{L}\\p{N}_]';

/**
 * A phrase (its words in order, nothing but separators between them) as a regular expression over the
 * lower-cased message: whole words only, as `words()` cuts them. The words are word characters only,
 * so nothing in them is a regex operator.
 */
export function phrasePattern(phrase: readonly string[]): string {
  for (const word of phrase)
    if (words(word).join(' ') !== word) throw new Error(`not a search word: ${JSON.stringify(word)}`);
  return `(^|${NOT_WORD_CHAR})${phrase.join(`${NOT_WORD_CHAR}+`)}($|${NOT_WORD_CHAR})`;
}

/** The query as one boolean SQL expression and its parameters (`TRUE` matches everything). */
export function filterExpression(query: LogQuery): Statement {
  const parts: string[] = [];
  const params: string[] = [];
  for (const phrase of query.text) {
    parts.push('regexp_like(lower(message), ?)');
    params.push(sqlString(phrasePattern(phrase)));
  }
  if (query.severity !== undefined) {
    parts.push('severity = ?');
    params.push(sqlString(query.severity));
  }
  for (const [column, pairs] of [
    ['resource', query.resource],
    ['attributes', query.attributes],
  ] as const)
    for (const [name, value] of pairs) {
      parts.push(`element_at(${column}, ?) = ?`);
      params.push(sqlString(name), sqlString(value));
    }
  return { sql: parts.length > 0 ? parts.join(' AND ') : 'TRUE', params };
}

/** A position in newest-first order: below it come older records (and, within a millisecond, smaller ids). */
export interface LogPosition {
  readonly ts: number;
  readonly id: string;
}

interface Range {
  readonly tenantId: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly below?: LogPosition;
}

/** `tenant = ?`, the hour partitions of [fromMs, toMs) (up to the cursor), the exact time range, the cursor. */
function rangeWhere(range: Range): Statement {
  const upperMs = range.below ? Math.min(range.toMs, range.below.ts + 1) : range.toMs;
  const params = [
    sqlString(range.tenantId),
    sqlString(logEventHour(range.fromMs)),
    sqlString(logEventHour(Math.max(range.fromMs, upperMs - 1))),
    sqlInteger(range.fromMs),
    sqlInteger(range.toMs),
  ];
  let sql = 'tenant = ? AND event_hour BETWEEN ? AND ? AND ts >= ? AND ts < ?';
  if (range.below) {
    sql += ' AND (ts < ? OR (ts = ? AND id < ?))';
    params.push(sqlInteger(range.below.ts), sqlInteger(range.below.ts), sqlString(range.below.id));
  }
  return { sql, params };
}

/** `WITH recent AS (…` (the caller closes it): the newest `maxScan` rows of the range, newest first (the bounded scan). */
function recentRows(table: string, where: Statement, columns: string, maxScan: number): string[] {
  return [
    'WITH recent AS (',
    `  SELECT ${columns}`,
    `  FROM ${table}`,
    `  WHERE ${where.sql}`,
    '  ORDER BY ts DESC, id DESC',
    `  LIMIT ${sqlInteger(maxScan)}`,
  ];
}

const RECORD_COLUMNS =
  'ts, id, severity, severity_number, message, CAST(resource AS JSON) AS resource, CAST(attributes AS JSON) AS attributes, trace_id, span_id';

/**
 * One page of a search with the port's bounded scan: the newest `maxScan` records of the range (below
 * the cursor) are the records examined; of those, the matches in order (at most `limit + 1`, flagged
 * `matched`), and always the last examined row (`rank_in_scan = examined`, flagged not matched even
 * when it also matches), whose position resumes an unfinished scan.
 */
export function searchStatement(
  table: string,
  range: Range & { readonly query: LogQuery; readonly limit: number; readonly maxScan: number },
): Statement {
  const where = rangeWhere(range);
  const filter = filterExpression(range.query);
  const sql = [
    ...recentRows(
      table,
      where,
      'ts, id, severity, severity_number, message, resource, attributes, trace_id, span_id',
      range.maxScan,
    ),
    '), examined AS (',
    '  SELECT recent.*, row_number() OVER (ORDER BY ts DESC, id DESC) AS rank_in_scan, count(*) OVER () AS examined',
    '  FROM recent',
    '), matches AS (',
    '  SELECT * FROM examined',
    `  WHERE ${filter.sql}`,
    '  ORDER BY rank_in_scan',
    `  LIMIT ${sqlInteger(range.limit + 1)}`,
    ')',
    `SELECT rank_in_scan, examined, TRUE AS matched, ${RECORD_COLUMNS} FROM matches`,
    'UNION ALL',
    `SELECT rank_in_scan, examined, FALSE AS matched, ${RECORD_COLUMNS} FROM examined`,
    'WHERE rank_in_scan = examined',
    'ORDER BY rank_in_scan',
  ].join('\n');
  return { sql, params: [...where.params, ...filter.params] };
}

/** Matches per interval among the newest `maxScan` records of the range, and how many were examined. */
export function histogramStatement(
  table: string,
  request: Range & { readonly query: LogQuery; readonly intervalMs: number; readonly maxScan: number },
): Statement {
  const where = rangeWhere(request);
  const filter = filterExpression(request.query);
  const bucket = `CAST(floor((ts - ${sqlInteger(request.fromMs)}) / ${sqlInteger(request.intervalMs)}) AS BIGINT)`;
  const sql = [
    ...recentRows(table, where, 'ts, severity, message, resource, attributes', request.maxScan),
    '), examined AS (',
    `  SELECT ${bucket} AS bucket, count(*) AS examined FROM recent GROUP BY 1`,
    '), matched AS (',
    `  SELECT ${bucket} AS bucket, count(*) AS matches FROM recent`,
    `  WHERE ${filter.sql}`,
    '  GROUP BY 1',
    ')',
    'SELECT examined.bucket, coalesce(matched.matches, 0) AS matches, examined.examined',
    'FROM examined LEFT JOIN matched ON matched.bucket = examined.bucket',
  ].join('\n');
  return { sql, params: [...where.params, ...filter.params] };
}

/** Every record of the tenant, oldest first (offboarding's export). */
export function exportStatement(table: string, tenantId: string): Statement {
  return {
    sql: `SELECT ${RECORD_COLUMNS}\nFROM ${table}\nWHERE tenant = ?\nORDER BY ts, id`,
    params: [sqlString(tenantId)],
  };
}

export function countStatement(table: string, tenantId: string): Statement {
  return {
    sql: `SELECT count(*) AS records\nFROM ${table}\nWHERE tenant = ?`,
    params: [sqlString(tenantId)],
  };
}
