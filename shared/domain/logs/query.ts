/**
 * The log search language, shared by `GET /v1/logs/search` and log alert rules:
 * whitespace-separated clauses, all of which must hold (`AND` between them is optional):
 * - `word` or `"a phrase"`: full text over the message (case-insensitive, whole words);
 * - `message:word`, `message:"a phrase"`: the same, spelled out;
 * - `severity:error`: the record's severity (canonical words: trace debug info warn error fatal);
 * - `resource.<name>:value`: a resource attribute equals value (e.g. `resource.host.name:sw1`);
 * - `<name>:value`: a record attribute equals value (quote values with spaces).
 * OR, NOT and wildcards are not supported: 422 naming `q`, never a guess.
 */
import { UnprocessableError } from '../errors';
import type { LogRecord } from './record';
import { normaliseSeverity } from './record';

export interface LogQuery {
  /** Each entry: one word, or a phrase's words in order; all must occur in the message. */
  readonly text: readonly (readonly string[])[];
  readonly severity?: string;
  readonly resource: readonly (readonly [string, string])[];
  readonly attributes: readonly (readonly [string, string])[];
}

export const LOG_QUERY_LIMITS = { maxLength: 1024, maxClauses: 16, maxPhraseWords: 16 } as const;

const WORD = /[\p{L}\p{N}_]+/gu;

/** The words of a text as the full-text index sees them (SQLite FTS5 unicode61 with `_` as a word character). */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

function bad(message: string, field: string): never {
  throw new UnprocessableError(message, field);
}

/** Splits into clauses, honouring double quotes (`\"` escapes a quote inside). */
function clauses(q: string, field: string): { key?: string; value: string; quoted: boolean }[] {
  const out: { key?: string; value: string; quoted: boolean }[] = [];
  let i = 0;
  while (i < q.length) {
    while (i < q.length && /\s/.test(q[i]!)) i++;
    if (i >= q.length) break;
    let key: string | undefined;
    const keyMatch = /^([A-Za-z_][A-Za-z0-9_.-]*):/.exec(q.slice(i));
    if (keyMatch) {
      key = keyMatch[1];
      i += keyMatch[0].length;
    }
    if (q[i] === '"') {
      let value = '';
      i++;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === '\\' && i + 1 < q.length) i++;
        value += q[i];
        i++;
      }
      if (i >= q.length) bad(`${field} has an unterminated quote`, field);
      i++;
      out.push({ ...(key ? { key } : {}), value, quoted: true });
    } else {
      const start = i;
      while (i < q.length && !/\s/.test(q[i]!)) i++;
      out.push({ ...(key ? { key } : {}), value: q.slice(start, i), quoted: false });
    }
  }
  return out;
}

/** Parses a search string; `field` names the parameter in a 422. An empty string matches everything. */
export function parseLogQuery(q: string, field = 'q'): LogQuery {
  if (q.length > LOG_QUERY_LIMITS.maxLength)
    bad(`${field} is longer than ${LOG_QUERY_LIMITS.maxLength} characters`, field);
  const text: string[][] = [];
  const resource: [string, string][] = [];
  const attributes: [string, string][] = [];
  let severity: string | undefined;
  const parts = clauses(q, field).filter((c) => c.quoted || c.key !== undefined || c.value !== 'AND');
  if (parts.length > LOG_QUERY_LIMITS.maxClauses)
    bad(`${field} has ${parts.length} clauses, more than the limit of ${LOG_QUERY_LIMITS.maxClauses}`, field);
  for (const c of parts) {
    if (!c.quoted && c.key === undefined && (c.value === 'OR' || c.value === 'NOT'))
      bad(`${field}: ${c.value} is not supported; every clause must hold`, field);
    if (!c.quoted && /[*?]/.test(c.value)) bad(`${field}: wildcards are not supported`, field);
    if (c.key === undefined || c.key === 'message') {
      const w = words(c.value);
      if (w.length === 0) bad(`${field}: "${c.value.slice(0, 40)}" has no words to search for`, field);
      if (w.length > LOG_QUERY_LIMITS.maxPhraseWords)
        bad(`${field}: a phrase may hold at most ${LOG_QUERY_LIMITS.maxPhraseWords} words`, field);
      if (c.quoted) text.push(w);
      else for (const word of w) text.push([word]);
    } else if (c.key === 'severity') {
      const s = normaliseSeverity(c.value);
      if (severity !== undefined && severity !== s) bad(`${field} names two severities`, field);
      severity = s;
    } else if (c.key.startsWith('resource.')) resource.push([c.key.slice('resource.'.length), c.value]);
    else attributes.push([c.key, c.value]);
  }
  return { text, ...(severity === undefined ? {} : { severity }), resource, attributes };
}

function containsPhrase(haystack: readonly string[], phrase: readonly string[]): boolean {
  outer: for (let i = 0; i + phrase.length <= haystack.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (haystack[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

/** Whether a record satisfies the query: the reference semantics every store's search must match. */
export function matchesLogQuery(record: LogRecord, query: LogQuery): boolean {
  if (query.severity !== undefined && record.severity !== query.severity) return false;
  for (const [k, v] of query.resource) if (record.resource[k] !== v) return false;
  for (const [k, v] of query.attributes) if (record.attributes[k] !== v) return false;
  if (query.text.length === 0) return true;
  const w = words(record.message);
  return query.text.every((phrase) => containsPhrase(w, phrase));
}

/** The query as canonical text (for audit events and alert messages). */
export function formatLogQuery(query: LogQuery): string {
  const quote = (s: string) =>
    /^[^\s"]+$/.test(s) ? s : `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  return [
    ...query.text.map((p) => (p.length === 1 ? p[0]! : `"${p.join(' ')}"`)),
    ...(query.severity ? [`severity:${query.severity}`] : []),
    ...query.resource.map(([k, v]) => `resource.${k}:${quote(v)}`),
    ...query.attributes.map(([k, v]) => `${k}:${quote(v)}`),
  ].join(' ');
}
