/**
 * Everything the console reads or changes, in one place: views never call fetch themselves. Charts
 * read through `series()` (GET /v1/metrics/query: a metric and exact dimension filters, dotted
 * dimension names as they are) or `promqlSeries()` (the Prometheus HTTP API's query_range, as Grafana
 * calls it); metric names come from /api/v1/label/__name__/values.
 */
import { loadConfig, session, signOut } from './auth';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** Called when the API refuses the session (expired, revoked): the shell shows the sign-in page. */
let onUnauthorized: () => void = () => undefined;
export const whenUnauthorized = (handler: () => void): void => {
  onUnauthorized = handler;
};

export async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
  const { apiBase } = await loadConfig();
  const token = session()?.idToken;
  const response = await fetch(`${apiBase}${path}`, {
    ...init,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...(init.headers as Record<string, string> | undefined),
    },
  });
  const text = await response.text();
  const body = text ? JSON.parse(text) : {};
  if (response.status === 401) {
    signOut();
    onUnauthorized();
  }
  if (!response.ok) {
    // The platform's `{error: {message, field}}`, or the Prometheus API's `{error: "…"}`.
    const error = typeof body.error === 'string' ? { message: body.error } : (body.error ?? {});
    throw new ApiError(response.status, error.message ?? `HTTP ${response.status}`, error.field);
  }
  return body as T;
}

export interface ChartSeries {
  readonly label: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly timestampsMs: readonly number[];
  readonly values: readonly (number | null)[];
}

export interface SeriesQuery {
  readonly metric: string;
  /** Exact-match dimension filters. */
  readonly filters?: Readonly<Record<string, string>>;
  readonly fromMs: number;
  readonly toMs: number;
  /** 0: the raw points. */
  readonly stepSeconds: number;
  /** How points fold into a step (default avg). */
  readonly agg?: 'avg' | 'sum' | 'max';
}

const seriesLabel = (metric: string, dimensions: Readonly<Record<string, string>>): string => {
  const labels = Object.entries(dimensions).map(([k, v]) => `${k}="${v}"`);
  return labels.length ? `${metric}{${labels.join(', ')}}` : metric;
};

const toNumber = (v: number | string): number => (typeof v === 'number' ? v : Number(v.replace('+', '')));

export async function series(query: SeriesQuery, path = '/v1/metrics/query'): Promise<ChartSeries[]> {
  const params = new URLSearchParams({
    metric: query.metric,
    from: String(Math.floor(query.fromMs)),
    to: String(Math.ceil(query.toMs)),
  });
  if (query.stepSeconds > 0) {
    params.set('step', String(query.stepSeconds));
    params.set('agg', query.agg ?? 'avg');
  }
  for (const [name, value] of Object.entries(query.filters ?? {})) params.append(name, value);
  const body = await call<{
    series: { metric: string; dimensions: Record<string, string>; points: [number, number | string][] }[];
  }>(`${path}?${params}`);
  return body.series.map((s) => ({
    label: seriesLabel(s.metric, s.dimensions),
    dimensions: s.dimensions,
    timestampsMs: s.points.map((p) => p[0]),
    values: s.points.map((p) => toNumber(p[1])),
  }));
}

/** PromQL over a range: GET /api/v1/query_range, the matrix as chart series. */
export async function promqlSeries(query: {
  readonly promql: string;
  readonly fromMs: number;
  readonly toMs: number;
  readonly stepSeconds: number;
}): Promise<ChartSeries[]> {
  const params = new URLSearchParams({
    query: query.promql,
    start: String(query.fromMs / 1000),
    end: String(query.toMs / 1000),
    step: String(query.stepSeconds),
  });
  const body = await call<{
    data: { result: { metric: Record<string, string>; values: [number, string][] }[] };
  }>(`/api/v1/query_range?${params}`);
  return body.data.result.map((r) => {
    const { __name__: name = '', ...labels } = r.metric;
    return {
      label: seriesLabel(name, labels),
      dimensions: labels,
      timestampsMs: r.values.map((v) => v[0] * 1000),
      values: r.values.map((v) => toNumber(v[1])),
    };
  });
}

/** Every metric name of the tenant (the explorer's picker). */
export const metricNames = async (): Promise<string[]> =>
  (await call<{ data: string[] }>('/api/v1/label/__name__/values')).data;

export interface Alert {
  readonly alertId: string;
  readonly ruleName: string;
  readonly metric: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly resource?: string;
  readonly status: 'open' | 'cleared';
  readonly severity: 'warning' | 'error' | 'critical';
  readonly value?: number;
  readonly openedAt: string;
  readonly acknowledgedAt?: string;
}

export const alerts = async (): Promise<Alert[]> =>
  (await call<{ alerts: Alert[] }>('/v1/alerts?limit=100')).alerts;

export interface LogLine {
  readonly id: string;
  readonly timestamp: string;
  readonly severity: string;
  readonly message: string;
}

/** An alert's detail: with its resource's log lines around its opening (when the person may read logs). */
export interface AlertDetail extends Alert {
  readonly logs?: { readonly q: string; readonly items: readonly LogLine[]; readonly more: boolean };
}

export const alertDetail = (alertId: string): Promise<AlertDetail> =>
  call<AlertDetail>(`/v1/alerts/${encodeURIComponent(alertId)}`);

export const acknowledge = (alertId: string): Promise<Alert> =>
  call<Alert>(`/v1/alerts/${encodeURIComponent(alertId)}/ack`, { method: 'POST', body: '{}' });

export interface AlertRule {
  readonly ruleId: string;
  readonly name: string;
  readonly metric: string;
  readonly filters?: Readonly<Record<string, string>>;
}

export const alertRules = async (): Promise<AlertRule[]> => {
  const { rules } = await call<{
    rules: {
      ruleId: string;
      name: string;
      selector?: { metric: string; filters?: Record<string, string> };
      /** A PromQL rule's expression: shown where a metric rule shows its metric. */
      expr?: string;
    }[];
  }>('/v1/alert-rules');
  return rules.map((r) => ({ ruleId: r.ruleId, name: r.name, ...(r.selector ?? { metric: r.expr ?? '' }) }));
};

export interface Resource {
  readonly resourceId: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, string>>;
}

export const resources = async (): Promise<Resource[]> =>
  (await call<{ items: Resource[] }>('/v1/resources?limit=100')).items;

export interface Collector {
  readonly collectorId: string;
  readonly name: string;
  readonly createdAt: string;
  /** From the heartbeats: never-seen until the first, down after downAfterSeconds without one. */
  readonly status: 'up' | 'down' | 'never-seen';
  readonly downAfterSeconds: number;
  readonly lastHeartbeat?: {
    readonly at: string;
    readonly version: string;
    readonly queueDepth: number;
    readonly dropped: number;
    readonly state: string;
  };
}

export const collectors = async (): Promise<Collector[]> => {
  const body = await call<{ items?: Collector[]; collectors?: Collector[] }>('/v1/collectors');
  return body.items ?? body.collectors ?? [];
};

export interface LimitUsage {
  readonly limit: string;
  readonly used: number;
  readonly value: number;
  readonly ratio: number;
}

export interface Usage {
  readonly usage: readonly LimitUsage[];
  readonly activeSeries: { readonly total: number };
  readonly samples: {
    readonly lastHour: { readonly accepted: number; readonly discarded: Record<string, number> };
  };
}

export const usage = (): Promise<Usage> => call<Usage>('/v1/usage');

/** The provider's operational metrics (the EMF metrics of the functions), same shape as tenant series. */
export const platformSeries = (query: SeriesQuery): Promise<ChartSeries[]> =>
  series(query, '/admin/v1/platform-metrics/query');

export interface TenantSummary {
  readonly tenantId: string;
  readonly name: string;
  readonly status: string;
}

export const tenants = async (): Promise<TenantSummary[]> =>
  (await call<{ items: TenantSummary[] }>('/admin/v1/tenants?limit=100')).items;

// ---- Dashboards and editors (alert rules, escalation chains, scheduled downtime) ----

/** The value of a PromQL expression now: GET /api/v1/query, one number per series. */
export async function instantValues(promql: string): Promise<{ label: string; value: number }[]> {
  const body = await call<{
    data: {
      resultType: string;
      result: { metric: Record<string, string>; value: [number, string] }[] | [number, string];
    };
  }>(`/api/v1/query?${new URLSearchParams({ query: promql })}`);
  const { resultType, result } = body.data;
  if (resultType === 'scalar') return [{ label: promql, value: toNumber((result as [number, string])[1]) }];
  return (result as { metric: Record<string, string>; value: [number, string] }[]).map((r) => {
    const { __name__: name = '', ...labels } = r.metric;
    return { label: seriesLabel(name, labels), value: toNumber(r.value[1]) };
  });
}

export type Widget =
  | { type: 'line'; title: string; promql: string; rangeSeconds?: number; width?: 1 | 2 }
  | { type: 'single-value'; title: string; promql: string; unit?: string; width?: 1 | 2 }
  | { type: 'alert-list'; title: string; status?: 'open' | 'all'; width?: 1 | 2 };

export interface DashboardInput {
  readonly name: string;
  readonly description?: string;
  readonly widgets: readonly Widget[];
}

export interface Dashboard extends DashboardInput {
  readonly dashboardId: string;
  readonly version: number;
}

const json = (method: string, body: unknown, version?: number): RequestInit => ({
  method,
  body: JSON.stringify(body),
  ...(version ? { headers: { 'if-match': `"${version}"` } } : {}),
});

export const dashboards = async (): Promise<Dashboard[]> =>
  (await call<{ items: Dashboard[] }>('/v1/dashboards?limit=100')).items;
export const dashboard = (id: string): Promise<Dashboard> =>
  call<Dashboard>(`/v1/dashboards/${encodeURIComponent(id)}`);
export const saveDashboard = (input: DashboardInput, existing?: Dashboard): Promise<Dashboard> =>
  existing
    ? call<Dashboard>(
        `/v1/dashboards/${encodeURIComponent(existing.dashboardId)}`,
        json('PUT', input, existing.version),
      )
    : call<Dashboard>('/v1/dashboards', json('POST', input));
export const deleteDashboard = (id: string): Promise<void> =>
  call<void>(`/v1/dashboards/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** An alert rule as GET /v1/alert-rules returns it (the editor's form fields). */
export interface RuleDocument {
  readonly ruleId: string;
  readonly name: string;
  readonly enabled: boolean;
  readonly selector: { readonly metric: string; readonly filters?: Readonly<Record<string, string>> };
  readonly windowSeconds: number;
  readonly aggregation: string;
  readonly threshold?: string;
  readonly triggerInterval: number;
  readonly clearInterval: number;
  readonly escalationChainId?: string;
}

export interface Recipient {
  readonly type: 'email' | 'sms' | 'webhook';
  readonly address: string;
  readonly format?: string;
}

export interface Chain {
  readonly chainId: string;
  readonly name: string;
  readonly stageIntervalSeconds: number;
  readonly stages: readonly { readonly recipients: readonly Recipient[] }[];
}

export interface Downtime {
  readonly downtimeId: string;
  readonly name: string;
  readonly startsAt: string;
  /** Absent: a recurrence without an end. */
  readonly endsAt?: string;
  readonly recurrence?: unknown;
  readonly version: number;
  readonly resources?: readonly string[];
  readonly filters?: Readonly<Record<string, string>>;
  readonly ruleIds?: readonly string[];
}

const item = (collection: string, id: string) => `/v1/${collection}/${encodeURIComponent(id)}`;

export const ruleDocuments = async (): Promise<RuleDocument[]> =>
  (await call<{ rules: RuleDocument[] }>('/v1/alert-rules')).rules;
export const saveRule = (body: unknown, ruleId?: string): Promise<RuleDocument> =>
  ruleId ? call(item('alert-rules', ruleId), json('PUT', body)) : call('/v1/alert-rules', json('POST', body));
export const deleteRule = (ruleId: string): Promise<void> =>
  call(item('alert-rules', ruleId), { method: 'DELETE' });

export const chains = async (): Promise<Chain[]> =>
  (await call<{ chains: Chain[] }>('/v1/escalation-chains')).chains;
export const saveChain = (body: unknown, chainId?: string): Promise<Chain> =>
  chainId
    ? call(item('escalation-chains', chainId), json('PUT', body))
    : call('/v1/escalation-chains', json('POST', body));
export const deleteChain = (chainId: string): Promise<void> =>
  call(item('escalation-chains', chainId), { method: 'DELETE' });

export const downtimes = async (): Promise<Downtime[]> =>
  (await call<{ downtimes: Downtime[] }>('/v1/downtimes')).downtimes;
export const createDowntime = (body: unknown): Promise<Downtime> => call('/v1/downtimes', json('POST', body));
/** PATCH: only the version shown may change (else 409: someone changed it since). */
export const updateDowntime = (downtime: Downtime, patch: unknown): Promise<Downtime> =>
  call(item('downtimes', downtime.downtimeId), json('PATCH', patch, downtime.version));
export const deleteDowntime = (downtimeId: string): Promise<void> =>
  call(item('downtimes', downtimeId), { method: 'DELETE' });
