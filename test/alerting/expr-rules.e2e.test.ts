/**
 * PromQL alert rules (`"expr"`) end to end on the local platform: validation through the API, the
 * scheduled evaluator (ticked by hand on a clock the test moves) evaluating the expression with the
 * PromQL engine over the SQLite store, alerts raised per output series and cleared when the series
 * leaves the result, notified through an escalation chain; tenancy; and the query limits bounding a
 * rule's evaluation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { QueryLimitExceededError } from '#domain/query-limits';
import { backendRuleExpressions, RULE_QUERY_LIMITS } from '../../functions/alert-evaluator/rule-expressions';
import { promqlEngine } from '../../functions/query/promql';
import { regionBackend } from '../../functions/query/region-backend';
import { callApi } from '../support/api-call';
import { bodyOf, startTestPlatform, type TestPlatform, tempDataDir } from '../support/platform';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

/** The series a PromQL rule may read in this file's platform: the cost test goes past it. */
const RULE_MAX_SERIES = 5;

let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const advance = (seconds: number) => {
  now += seconds * 1000;
};

let platform: TestPlatform;
let receiver: WebhookReceiver;
const tenants: Record<'a' | 'b' | 'c', { adminToken: string; ingestKey: string }> = {} as never;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  platform = await startTestPlatform({
    clock: { now: () => new Date(now) },
    ruleQueryLimits: { maxSeries: RULE_MAX_SERIES },
    alerting: {
      tickIntervalMs: 0,
      webhook: { retryDelayMs: () => 5, nowSeconds: () => Math.floor(now / 1000), allowLoopback: true },
    },
  });
  for (const name of ['a', 'b', 'c'] as const) {
    const { adminToken } = await platform.createTenant(`expr-${name}`);
    const { ingestKey } = await platform.createCollector(adminToken);
    tenants[name] = { adminToken, ingestKey };
  }
});
afterAll(async () => {
  await platform?.destroy();
  await receiver?.close();
});

const api = <T = Record<string, unknown>>(
  tenant: keyof typeof tenants,
  method: string,
  path: string,
  body?: unknown,
  status = 200,
) => callApi<T>(platform, path, { token: tenants[tenant].adminToken, method, body, status });

/** One native payload: `cpu_busy` of data source CPU on `host`, one series per instance, at the clock. */
async function ingest(tenant: keyof typeof tenants, host: string, value: number, instances = 1) {
  const response = await platform.request('/v1/ingest', {
    method: 'POST',
    token: tenants[tenant].ingestKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceName: host,
      resourceIds: { 'system.hostname': host },
      dataSource: 'CPU',
      instances: Array.from({ length: instances }, (_, i) => ({
        instanceName: `cpu${i}`,
        dataPoints: [{ dataPointName: 'cpu_busy', values: { [Math.floor(now / 1000)]: value } }],
      })),
    }),
  });
  expect(response.status, await response.text()).toBe(202);
  await platform.alerting.idle();
}

interface AlertView {
  ruleId: string;
  status: string;
  severity: string;
  metric: string;
  resource?: string;
  dimensions: Record<string, string>;
  value?: number;
  history: { type: string }[];
}
const alertsOf = async (tenant: keyof typeof tenants, ruleId: string) =>
  (await api<{ alerts: AlertView[] }>(tenant, 'GET', '/v1/alerts')).alerts.filter((a) => a.ruleId === ruleId);

describe('PromQL alert rules: validation', () => {
  const refused = async (body: Record<string, unknown>) =>
    (await api<{ error: { field: string; message: string } }>('a', 'POST', '/v1/alert-rules', body, 422))
      .error;

  it('refuses an expression that does not parse with a 422 naming expr and the parse error', async () => {
    const error = await refused({ name: 'broken', expr: 'rate(cpu_busy[5m]) >' });
    expect(error.field).toBe('expr');
    expect(error.message).toMatch(/^expr: not a valid PromQL expression: \d+:\d+: parse error/);
  });

  it.each([
    ['cpu_busy[5m]', 'a range vector'],
    ['1 > bool 0', 'a scalar'],
    ['"text"', 'a string'],
  ])('refuses %s, which is not an instant vector, naming its type', async (expr, type) => {
    const error = await refused({ name: 'not a vector', expr });
    expect(error.field).toBe('expr');
    expect(error.message).toContain(
      `must be an instant vector expression (each series an alert), not ${type}`,
    );
  });

  it('refuses the metric rule’s fields beside expr, naming the field', async () => {
    for (const field of ['metric', 'filters', 'windowSeconds', 'aggregation']) {
      const value = field === 'filters' ? {} : field === 'windowSeconds' ? 60 : 'avg';
      const error = await refused({ name: 'mixed', expr: 'cpu_busy > 1', [field]: value });
      expect(error.field).toBe(field);
    }
  });

  it('refuses a severity beside a threshold, and an unknown severity', async () => {
    expect(
      (await refused({ name: 'both', expr: 'cpu_busy', severity: 'warning', threshold: '> 1' })).field,
    ).toBe('severity');
    expect((await refused({ name: 'odd', expr: 'cpu_busy > 1', severity: 'fatal' })).field).toBe('severity');
    expect((await refused({ name: 'long', expr: `cpu_busy > ${'1'.repeat(5000)}` })).field).toBe('expr');
  });

  it('creates, reads, replaces and lists a PromQL rule; its view shows expr, not a metric selector', async () => {
    const created = await api<Record<string, unknown>>(
      'a',
      'POST',
      '/v1/alert-rules',
      { name: 'busy', expr: 'rate(cpu_busy[5m]) > 3', enabled: false },
      201,
    );
    expect(created).toMatchObject({ name: 'busy', expr: 'rate(cpu_busy[5m]) > 3', severity: 'error' });
    expect(created).not.toHaveProperty('selector');
    expect(created).not.toHaveProperty('windowSeconds');
    const ruleId = created['ruleId'] as string;
    const replaced = await api('a', 'PUT', `/v1/alert-rules/${ruleId}`, {
      name: 'busy',
      expr: 'avg by (instance) (cpu_busy)',
      threshold: '> 60 80 90',
      enabled: false,
    });
    expect(replaced).toMatchObject({ expr: 'avg by (instance) (cpu_busy)', threshold: '> 60 80 90' });
    expect(replaced).not.toHaveProperty('severity');
    expect(await api('a', 'GET', `/v1/alert-rules/${ruleId}`)).toEqual(replaced);
    const { rules } = await api<{ rules: { ruleId: string }[] }>('a', 'GET', '/v1/alert-rules');
    expect(rules.map((r) => r.ruleId)).toContain(ruleId);
    await api('a', 'DELETE', `/v1/alert-rules/${ruleId}`, undefined, 204);
  });

  it('documents both rule kinds in the OpenAPI request body', async () => {
    const document = await bodyOf(await platform.request('/openapi.json'));
    const schema = JSON.stringify(
      document.paths['/v1/alert-rules'].post.requestBody.content['application/json'].schema,
    );
    expect(schema).toContain('"expr"');
    expect(schema).toContain('"metric"');
  });
});

describe('PromQL alert rules: evaluation on the local platform', () => {
  let ruleId: string;

  it('raises one alert per output series after the trigger interval, with the series labels, and notifies the chain', async () => {
    const chain = await api<{ chainId: string }>(
      'a',
      'POST',
      '/v1/escalation-chains',
      {
        name: 'on-call',
        stageIntervalSeconds: 300,
        stages: [{ recipients: [{ type: 'webhook', address: `${receiver.url}/hook` }] }],
      },
      201,
    );
    const rule = await api<{ ruleId: string }>(
      'a',
      'POST',
      '/v1/alert-rules',
      {
        name: 'Host busy',
        expr: 'max without (instance) (cpu_busy) > 80',
        severity: 'critical',
        triggerInterval: 2,
        clearInterval: 1,
        escalationChainId: chain.chainId,
      },
      201,
    );
    ruleId = rule.ruleId;
    await ingest('a', 'web-1', 95, 2);
    await ingest('a', 'web-2', 20);
    await platform.alerting.tick();
    // Evaluated on the schedule only, and the trigger interval is two passes.
    expect(await alertsOf('a', ruleId)).toEqual([]);

    advance(60);
    await ingest('a', 'web-1', 96, 2);
    await ingest('a', 'web-2', 20);
    await platform.alerting.tick();
    const alerts = await alertsOf('a', ruleId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      status: 'open',
      severity: 'critical',
      metric: 'max without (instance) (cpu_busy) > 80',
      resource: 'web-1',
      dimensions: { 'system.hostname': 'web-1', datasource: 'CPU' },
      value: 96,
    });
    const hooks = receiver.received.filter((r) => r.body['ruleName'] === 'Host busy');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.body).toMatchObject({ kind: 'alert', stage: 0, severity: 'critical' });
  });

  it('keeps the one alert while the series stays in the result, and clears it once the series leaves', async () => {
    advance(60);
    await ingest('a', 'web-1', 97, 2);
    await platform.alerting.tick();
    expect((await alertsOf('a', ruleId)).map((a) => a.status)).toEqual(['open']);

    advance(60);
    await ingest('a', 'web-1', 30, 2);
    await platform.alerting.tick();
    const [alert] = await alertsOf('a', ruleId);
    expect(alert?.status).toBe('cleared');
    expect(alert?.history.map((t) => t.type)).toEqual(['opened', 'cleared']);
    expect(
      receiver.received.filter((r) => r.body['ruleName'] === 'Host busy').map((r) => r.body['kind']),
    ).toEqual(['alert', 'clear']);
  });

  it('judges the expression’s value against a threshold when the rule has one', async () => {
    const rule = await api<{ ruleId: string }>(
      'a',
      'POST',
      '/v1/alert-rules',
      { name: 'levels', expr: 'max without (instance) (cpu_busy)', threshold: '> 60 80 90' },
      201,
    );
    advance(60);
    await ingest('a', 'web-1', 85, 2);
    await ingest('a', 'web-2', 20);
    await platform.alerting.tick();
    const alerts = await alertsOf('a', rule.ruleId);
    expect(alerts.map((a) => [a.resource, a.severity, a.status])).toEqual([['web-1', 'error', 'open']]);
    await api('a', 'DELETE', `/v1/alert-rules/${rule.ruleId}`, undefined, 204);
  });
});

describe('PromQL alert rules: tenancy and cost', () => {
  it('never sees another tenant’s series, even through a selector of every series', async () => {
    const rule = await api<{ ruleId: string }>(
      'b',
      'POST',
      '/v1/alert-rules',
      { name: 'everything', expr: '{__name__=~".+"} > -1e300' },
      201,
    );
    // Tenant a has cpu_busy series at this very moment; tenant b has none of its own.
    advance(60);
    await ingest('a', 'web-1', 99, 2);
    await platform.alerting.tick();
    expect(await alertsOf('b', rule.ruleId)).toEqual([]);
    // The same expression over tenant b's own series raises alerts for exactly those.
    await ingest('b', 'db-1', 1);
    advance(60);
    await platform.alerting.tick();
    const alerts = await alertsOf('b', rule.ruleId);
    expect(alerts.map((a) => a.resource)).toEqual(['db-1']);
  });

  it('bounds a rule’s evaluation by the query limits: a rule reading too many series is refused, others still run', async () => {
    const wide = await api<{ ruleId: string }>(
      'c',
      'POST',
      '/v1/alert-rules',
      { name: 'wide', expr: 'cpu_busy > 0' },
      201,
    );
    const narrow = await api<{ ruleId: string }>(
      'c',
      'POST',
      '/v1/alert-rules',
      { name: 'narrow', expr: 'cpu_busy{instance="cpu0"} > 0' },
      201,
    );
    advance(60);
    await ingest('c', 'big-1', 50, RULE_MAX_SERIES + 3);
    await platform.alerting.tick();
    expect(await alertsOf('c', wide.ruleId)).toEqual([]);
    expect((await alertsOf('c', narrow.ruleId)).map((a) => a.dimensions['instance'])).toEqual(['cpu0']);
  });

  it('refuses the over-limit evaluation with the limit named (the evaluator logs it and holds the rule)', async () => {
    const store = new SqliteMetricStore(`${tempDataDir('expr-limit-')}/metrics.sqlite`);
    await store.write(
      'tenant-x',
      Array.from({ length: 4 }, (_, i) => ({
        metric: 'm',
        dimensions: { i: String(i) },
        timestampMs: now,
        value: i,
      })),
    );
    const limited = backendRuleExpressions(regionBackend(store, promqlEngine), {
      ...RULE_QUERY_LIMITS,
      maxSeries: 3,
    });
    const refusal = await limited.instant('tenant-x', 'm > -1', now).catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(QueryLimitExceededError);
    expect((refusal as QueryLimitExceededError).limit).toBe('max_fetched_series_per_query');
    const roomy = backendRuleExpressions(regionBackend(store, promqlEngine));
    expect((await roomy.instant('tenant-x', 'm > 1', now)).map((s) => s.value).sort()).toEqual([2, 3]);
    expect(await roomy.instant('tenant-y', 'm > -1', now)).toEqual([]);
  });
});
