/**
 * How samples become Prometheus series and back, for Amazon Managed Service for Prometheus.
 *
 * Names: our metric and dimension names allow `.`, `-` and `/` (OTLP names such as
 * `http.server.duration`), Prometheus' classic names do not, and the mapping must be reversible so a
 * query answers with the names that were written (the same answer as Timestream and the local store).
 * So a name that is not a plain Prometheus name is escaped the way Prometheus 3 escapes UTF-8 names
 * ("U__" values escaping): prefix `U__`, `_` doubled, any other character as `_<hex code point>_`.
 * `http.server.duration` → `U__http_2e_server_2e_duration`.
 *
 * Tenancy: every series carries TENANT_LABEL, set by the adapter from the credential's tenant. A
 * dimension can never produce that label (nor `__name__` or any `__`-prefixed name): such names are
 * escaped too, so `tenant_id` from a client becomes `U__tenant__id` and cannot override or widen the
 * tenant matcher.
 */
import type { Dimensions } from '#domain/metrics';

export const TENANT_LABEL = 'tenant_id';
export const METRIC_NAME_LABEL = '__name__';
const ESCAPE_PREFIX = 'U__';

const PLAIN_METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const PLAIN_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function escapeName(name: string, keep: RegExp): string {
  let out = ESCAPE_PREFIX;
  for (const char of name) {
    if (char === '_') out += '__';
    else if (keep.test(char)) out += char;
    else out += `_${(char.codePointAt(0) as number).toString(16)}_`;
  }
  return out;
}

export function metricNameToPrometheus(metric: string): string {
  return PLAIN_METRIC_NAME.test(metric) && !metric.startsWith(ESCAPE_PREFIX)
    ? metric
    : escapeName(metric, /[a-zA-Z0-9:]/);
}

export function dimensionNameToLabel(name: string): string {
  return PLAIN_LABEL_NAME.test(name) &&
    !name.startsWith(ESCAPE_PREFIX) &&
    !name.startsWith('__') &&
    name !== TENANT_LABEL
    ? name
    : escapeName(name, /[a-zA-Z0-9]/);
}

/** The inverse of both escapes. */
export function nameFromPrometheus(name: string): string {
  if (!name.startsWith(ESCAPE_PREFIX)) return name;
  let out = '';
  const body = name.slice(ESCAPE_PREFIX.length);
  for (let i = 0; i < body.length; i++) {
    const char = body[i] as string;
    if (char !== '_') {
      out += char;
      continue;
    }
    if (body[i + 1] === '_') {
      out += '_';
      i++;
      continue;
    }
    const end = body.indexOf('_', i + 1);
    const code = end > i + 1 ? Number.parseInt(body.slice(i + 1, end), 16) : Number.NaN;
    if (!Number.isInteger(code)) return name; // Not one of ours: keep it as stored.
    out += String.fromCodePoint(code);
    i = end;
  }
  return out;
}

export interface PromLabel {
  readonly name: string;
  readonly value: string;
}

/** The label set of one series, sorted by name as remote write requires. */
export function seriesLabels(tenantId: string, metric: string, dimensions: Dimensions): PromLabel[] {
  const labels: PromLabel[] = [
    { name: METRIC_NAME_LABEL, value: metricNameToPrometheus(metric) },
    { name: TENANT_LABEL, value: tenantId },
  ];
  for (const name of Object.keys(dimensions)) {
    labels.push({ name: dimensionNameToLabel(name), value: dimensions[name] as string });
  }
  return labels.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Dimensions of a stored series: every label but the metric name and the tenant, names unescaped. */
export function dimensionsFromLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const dimensions: Record<string, string> = {};
  for (const [name, value] of Object.entries(labels)) {
    if (name === METRIC_NAME_LABEL || name === TENANT_LABEL) continue;
    dimensions[nameFromPrometheus(name)] = value;
  }
  return dimensions;
}

/** A PromQL double-quoted string literal. */
export function promqlString(value: string): string {
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n').replaceAll('\r', '\\r')}"`;
}

/**
 * The series selector for one tenant: the tenant matcher first and always present, then the metric
 * and exact-match filters (their names escaped like written dimensions, so they can only ever narrow).
 */
export function tenantSelector(tenantId: string, metric?: string, filters: Dimensions = {}): string {
  const matchers = [`${TENANT_LABEL}=${promqlString(tenantId)}`];
  if (metric !== undefined)
    matchers.push(`${METRIC_NAME_LABEL}=${promqlString(metricNameToPrometheus(metric))}`);
  for (const name of Object.keys(filters).sort()) {
    matchers.push(`${dimensionNameToLabel(name)}=${promqlString(filters[name] as string)}`);
  }
  return `{${matchers.join(',')}}`;
}
