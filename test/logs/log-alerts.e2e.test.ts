/**
 * Log alert rules ("pattern count over a window") and alert ↔ log correlation end to end on the local
 * platform: validation through the API, native log lines sent through the ingest route, the scheduled
 * evaluator (ticked by hand on a clock the test moves) counting them per resource in the SQLite FTS5
 * store, alerts opened, notified to a real webhook, held in downtime, cleared once the window passes;
 * an alert's detail lists its resource's log lines (a log rule's: its matching lines), and that
 * search, run through GET /v1/logs/search, finds those lines only; tenancy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../alerting/support/webhook-receiver';
import { callApi } from '../support/api-call';
import { bodyOf, startTestPlatform, type TestPlatform } from '../support/platform';

let now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const advance = (seconds: number) => {
  now += seconds * 1000;
};

let platform: TestPlatform;
let receiver: WebhookReceiver;
const tenants: Record<'a' | 'b', { adminToken: string; ingestKey: string }> = {} as never;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  platform = await startTestPlatform({
    clock: { now: () => new Date(now) },
    alerting: {
      tickIntervalMs: 0,
      webhook: { retryDelayMs: () => 5, nowSeconds: () => Math.floor(now / 1000), allowLoopback: true },
    },
  });
  for (const name of ['a', 'b'] as const) {
    const { adminToken } = await platform.createTenant(`log-alerts-${name}`);
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

/** Native log lines from `host`, stamped at the clock. */
async function sendLogs(tenant: keyof typeof tenants, host: string, lines: [string, string][]) {
  const response = await platform.request('/v1/logs/ingest', {
    method: 'POST',
    token: tenants[tenant].ingestKey,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(
      lines.map(([severity, message]) => ({
        message,
        severity,
        timestamp: now,
        resourceIds: { 'system.hostname': host },
      })),
    ),
  });
  expect(response.status, await response.text()).toBe(202);
}

interface AlertView {
  alertId: string;
  ruleId: string;
  status: string;
  severity: string;
  metric: string;
  resource?: string;
  dimensions: Record<string, string>;
  value?: number;
  suppressedBy?: string;
  history: { type: string }[];
}
const alertsOf = async (tenant: keyof typeof tenants, ruleId: string) =>
  (await api<{ alerts: AlertView[] }>(tenant, 'GET', '/v1/alerts')).alerts.filter((a) => a.ruleId === ruleId);
const hooksOf = (ruleName: string) => receiver.received.filter((r) => r.body['ruleName'] === ruleName);

const LINK_DOWN_RULE = {
  name: 'Link down',
  log: { query: 'severity:error AND message:"link down"', groupBy: ['system.hostname'] },
  windowSeconds: 300,
  threshold: '>= 3',
};

describe('log alert rules: validation', () => {
  const refused = async (body: Record<string, unknown>) =>
    (await api<{ error: { field: string; message: string } }>('a', 'POST', '/v1/alert-rules', body, 422))
      .error;

  it('refuses a query the search language does not take, naming log.query and why', async () => {
    const error = await refused({ ...LINK_DOWN_RULE, log: { query: 'link OR down' } });
    expect(error.field).toBe('log.query');
    expect(error.message).toContain('OR is not supported');
    expect((await refused({ ...LINK_DOWN_RULE, log: { query: '"unterminated' } })).field).toBe('log.query');
  });

  it('refuses a rule without a threshold, a window out of bounds, too many groupBy names, and other kinds’ fields', async () => {
    const { threshold: _t, ...noThreshold } = LINK_DOWN_RULE;
    expect((await refused(noThreshold)).field).toBe('threshold');
    expect((await refused({ ...LINK_DOWN_RULE, windowSeconds: 90_000 })).field).toBe('windowSeconds');
    expect(
      (await refused({ ...LINK_DOWN_RULE, log: { query: 'down', groupBy: ['a', 'b', 'c', 'd', 'e'] } }))
        .field,
    ).toBe('log.groupBy');
    for (const field of ['metric', 'expr', 'aggregation'])
      expect((await refused({ ...LINK_DOWN_RULE, [field]: 'x' })).field).toBe(field);
  });

  it('creates, reads, replaces and lists a log rule; its view shows log and the window, not a metric selector', async () => {
    const created = await api<Record<string, unknown>>(
      'a',
      'POST',
      '/v1/alert-rules',
      { ...LINK_DOWN_RULE, enabled: false },
      201,
    );
    expect(created).toMatchObject({
      log: LINK_DOWN_RULE.log,
      windowSeconds: 300,
      threshold: '>= 3',
      resourceDimension: 'system.hostname',
    });
    expect(created).not.toHaveProperty('selector');
    const ruleId = created['ruleId'] as string;
    const replaced = await api('a', 'PUT', `/v1/alert-rules/${ruleId}`, {
      ...LINK_DOWN_RULE,
      windowSeconds: 600,
      enabled: false,
    });
    expect(replaced).toMatchObject({ windowSeconds: 600, enabled: false });
    expect(await api('a', 'GET', `/v1/alert-rules/${ruleId}`)).toEqual(replaced);
    const { rules } = await api<{ rules: { ruleId: string }[] }>('a', 'GET', '/v1/alert-rules');
    expect(rules.map((r) => r.ruleId)).toContain(ruleId);
    await api('a', 'DELETE', `/v1/alert-rules/${ruleId}`, undefined, 204);
  });

  it('documents the log kind in the OpenAPI request body and the logs of an alert’s detail', async () => {
    const document = await bodyOf(await platform.request('/openapi.json'));
    const body = JSON.stringify(
      document.paths['/v1/alert-rules'].post.requestBody.content['application/json'].schema,
    );
    expect(body).toContain('"log"');
    expect(body).toContain('"groupBy"');
    const detail = JSON.stringify(document.paths['/v1/alerts/{alertId}'].get.responses['200']);
    expect(detail).toContain('"logs"');
  });
});

describe('log alert rules: evaluation, notification and correlation on the local platform', () => {
  let ruleId: string;
  let alertId: string;

  it('opens one alert per resource whose matching lines reach the threshold in the window, and notifies the chain', async () => {
    const chain = await api<{ chainId: string }>(
      'a',
      'POST',
      '/v1/escalation-chains',
      {
        name: 'network on-call',
        stageIntervalSeconds: 300,
        stages: [{ recipients: [{ type: 'webhook', address: `${receiver.url}/logs` }] }],
      },
      201,
    );
    ruleId = (
      await api<{ ruleId: string }>(
        'a',
        'POST',
        '/v1/alert-rules',
        { ...LINK_DOWN_RULE, escalationChainId: chain.chainId },
        201,
      )
    ).ruleId;
    await sendLogs('a', 'sw1', [
      ['error', 'interface ge-0/0/1 link down'],
      ['error', 'interface ge-0/0/2 link down'],
      // Neither matches: an info line, and the words not as a phrase.
      ['info', 'interface ge-0/0/3 link down'],
      ['error', 'link flapping, down again'],
    ]);
    await sendLogs('a', 'sw2', [
      ['error', 'interface xe-1/0/0 link down'],
      ['error', 'interface xe-1/0/1 link down'],
    ]);
    await platform.alerting.tick();
    expect(await alertsOf('a', ruleId)).toEqual([]);

    advance(60);
    await sendLogs('a', 'sw1', [['ERROR', 'interface ge-0/0/4 link down']]);
    await platform.alerting.tick();
    const alerts = await alertsOf('a', ruleId);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      status: 'open',
      // One level in the threshold: the first, warning.
      severity: 'warning',
      resource: 'sw1',
      dimensions: { 'system.hostname': 'sw1' },
      value: 3,
      metric: `log_lines{q=${JSON.stringify('"link down" severity:error')}}`,
    });
    alertId = alerts[0]?.alertId as string;
    const hooks = hooksOf('Link down');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]?.body).toMatchObject({ kind: 'alert', stage: 0, resource: 'sw1' });
  });

  it('lists the matching lines of the alert’s resource in its detail, and that search finds exactly them', async () => {
    const detail = await api<{
      logs: { q: string; from: string; to: string; items: { message: string }[]; more: boolean };
    }>('a', 'GET', `/v1/alerts/${alertId}`);
    expect(detail.logs.q).toBe('"link down" severity:error resource.system.hostname:sw1');
    expect(detail.logs.items.map((l) => l.message)).toEqual([
      'interface ge-0/0/4 link down',
      'interface ge-0/0/2 link down',
      'interface ge-0/0/1 link down',
    ]);
    expect(detail.logs.more).toBe(false);
    const query = new URLSearchParams({ q: detail.logs.q, from: detail.logs.from, to: detail.logs.to });
    const found = await api<{ items: { message: string; resource: Record<string, string> }[] }>(
      'a',
      'GET',
      `/v1/logs/search?${query}`,
    );
    expect(found.items.map((l) => l.message)).toEqual(detail.logs.items.map((l) => l.message));
    expect(new Set(found.items.map((l) => l.resource['system.hostname']))).toEqual(new Set(['sw1']));
    // Reading the lines is a search of Customer Sensitive data: audited like one.
    const audit = await api<{ items: { action: string; target: string }[] }>('a', 'GET', '/v1/audit-events');
    expect(audit.items.some((e) => e.action === 'logs.search' && e.target.includes(`alert=${alertId}`))).toBe(
      true,
    );
  });

  it('lists a metric alert’s resource lines around its opening, and a log search narrows to an alert’s resource', async () => {
    const metricRule = await api<{ ruleId: string }>(
      'a',
      'POST',
      '/v1/alert-rules',
      { name: 'cpu', metric: 'cpu_busy', threshold: '> 90', windowSeconds: 60 },
      201,
    );
    const ingest = await platform.request('/v1/ingest', {
      method: 'POST',
      token: tenants.a.ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceName: 'sw2',
        resourceIds: { 'system.hostname': 'sw2' },
        dataSource: 'CPU',
        instances: [
          { instanceName: 'cpu0', dataPoints: [{ dataPointName: 'cpu_busy', values: { [now / 1000]: 99 } }] },
        ],
      }),
    });
    expect(ingest.status, await ingest.text()).toBe(202);
    await platform.alerting.idle();
    const [cpu] = await alertsOf('a', metricRule.ruleId);
    expect(cpu?.resource).toBe('sw2');
    const detail = await api<{ logs: { q: string; items: { message: string }[] } }>(
      'a',
      'GET',
      `/v1/alerts/${cpu?.alertId}`,
    );
    expect(detail.logs.q).toBe('resource.system.hostname:sw2');
    expect(detail.logs.items.map((l) => l.message).sort()).toEqual([
      'interface xe-1/0/0 link down',
      'interface xe-1/0/1 link down',
    ]);
    // A log search narrowed to the alert's resource: its lines only, with any further query.
    const range = `from=${now - 3_600_000}&to=${now + 60_000}`;
    const search = (tenant: 'a' | 'b', q: string, status = 200) =>
      api<{ items: { message: string; resource: Record<string, string> }[] }>(
        tenant,
        'GET',
        `/v1/logs/search?alertId=${cpu?.alertId}&q=${encodeURIComponent(q)}&${range}`,
        undefined,
        status,
      );
    const resourceLines = await search('a', '');
    expect(resourceLines.items.map((l) => l.message).sort()).toEqual([
      'interface xe-1/0/0 link down',
      'interface xe-1/0/1 link down',
    ]);
    expect((await search('a', 'fan')).items.map((l) => l.message)).toEqual([]);
    expect((await search('a', '"xe-1/0/1"')).items.map((l) => l.message)).toEqual([
      'interface xe-1/0/1 link down',
    ]);
    // Another tenant's alert is no alert at all.
    await search('b', '', 404);
    await api('a', 'DELETE', `/v1/alert-rules/${metricRule.ruleId}`, undefined, 204);
  });

  it('holds the alert while lines keep matching, and clears it (notifying the chain) once the window has none', async () => {
    advance(60);
    await platform.alerting.tick();
    expect((await alertsOf('a', ruleId)).map((a) => a.status)).toEqual(['open']);
    advance(300);
    await platform.alerting.tick();
    const [alert] = await alertsOf('a', ruleId);
    expect(alert?.status).toBe('cleared');
    expect(alert?.history.map((t) => t.type)).toEqual(['opened', 'cleared']);
    expect(hooksOf('Link down').map((r) => r.body['kind'])).toEqual(['alert', 'clear']);
  });

  it('opens but does not notify an alert on a resource in downtime', async () => {
    const downtime = await api<{ downtimeId: string }>(
      'a',
      'POST',
      '/v1/downtimes',
      { name: 'sw3 maintenance', resources: ['sw3'], startsAt: now - 1000, endsAt: now + 3_600_000 },
      201,
    );
    advance(60);
    await sendLogs('a', 'sw3', [
      ['error', 'ge-0/0/1 link down'],
      ['error', 'ge-0/0/2 link down'],
      ['error', 'ge-0/0/3 link down'],
    ]);
    await platform.alerting.tick();
    const sw3 = (await alertsOf('a', ruleId)).filter((a) => a.resource === 'sw3');
    expect(sw3).toHaveLength(1);
    expect(sw3[0]?.suppressedBy).toBe(downtime.downtimeId);
    expect(hooksOf('Link down').map((r) => r.body['kind'])).toEqual(['alert', 'clear']);
  });

  it('counts only the rule’s own tenant’s lines', async () => {
    const rule = await api<{ ruleId: string }>(
      'b',
      'POST',
      '/v1/alert-rules',
      { ...LINK_DOWN_RULE, name: 'b link down', threshold: '>= 1' },
      201,
    );
    advance(60);
    await sendLogs('a', 'sw9', [['error', 'ge-0/0/9 link down']]);
    await platform.alerting.tick();
    expect(await alertsOf('b', rule.ruleId)).toEqual([]);
    await sendLogs('b', 'core1', [['error', 'et-0/0/0 link down']]);
    await platform.alerting.tick();
    expect((await alertsOf('b', rule.ruleId)).map((a) => a.resource)).toEqual(['core1']);
  });
});
