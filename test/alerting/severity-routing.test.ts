/**
 * Severity changes and routing on the engine, with the real notifier, ledger and webhook deliveries:
 * two engine instances over one SQLite alert store (two processes' worth: each its own store handle,
 * bus, notifier and clock, sharing the store file and the notification ledger file), alert routing
 * rules, and a webhook receiver per route.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEventBus } from '#adapters/local/event-bus';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SqliteNotificationLedger } from '#adapters/local/sqlite-notification-ledger';
import { FileDeadLetters, WebhookNotifier } from '#adapters/webhook/webhook-notifier';
import type { EscalationChain } from '#domain/alerting/escalation';
import { notificationPattern } from '#domain/alerting/events';
import type { AlertRoute } from '#domain/alerting/routing';
import { SEVERITIES } from '#domain/alerting/thresholds';
import type { Sample } from '#domain/metrics';
import type { AlertStore } from '#ports/alert-store';
import { AlertEngine } from '../../functions/alert-evaluator/engine';
import { createNotificationProcessor } from '../../functions/notifier/app';
import { rule } from './alert-store.contract';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

const AT = '2026-01-01T00:00:00.000Z';
let dir: string;
let metrics: SqliteMetricStore;
let receiver: WebhookReceiver;
let now: number;
const closers: (() => void)[] = [];

const chain = (chainId: string, path: string, notifyOnDeescalation = false): EscalationChain => ({
  tenantId: 't1',
  chainId,
  name: chainId,
  stages: [{ recipients: [{ type: 'webhook', address: `${receiver.url}${path}` }] }],
  stageIntervalSeconds: 300,
  notifyOnDeescalation,
  createdAt: AT,
  updatedAt: AT,
});

const route = (
  routeId: string,
  priority: number,
  match: AlertRoute['match'],
  chainId: string,
): AlertRoute => ({
  tenantId: 't1',
  routeId,
  name: routeId,
  priority,
  enabled: true,
  match,
  escalationChainId: chainId,
  createdAt: AT,
  updatedAt: AT,
});

/** One evaluator process: its own handle on the shared store file, bus, notifier and clock offset. */
function evaluator(clockOffsetMs: number, wrap: (store: AlertStore) => AlertStore = (s) => s) {
  const store = new SqliteAlertStore(join(dir, 'alerts.sqlite'));
  const ledger = new SqliteNotificationLedger(join(dir, 'alerts.sqlite'));
  closers.push(
    () => ledger.close(),
    () => store.close(),
  );
  const bus = new LocalEventBus();
  const process = createNotificationProcessor({
    store,
    ledger,
    channels: {
      webhook: new WebhookNotifier({ retryDelayMs: () => 5, allowLoopback: true }),
      email: { deliver: async () => undefined },
      sms: { deliver: async () => undefined },
    },
    deadLetters: new FileDeadLetters(join(dir, 'dead-letters.jsonl')),
  });
  for (const severity of SEVERITIES)
    bus.addRule({
      name: `notify-${severity}`,
      pattern: notificationPattern(severity),
      target: async (event) => void (await process(event.detail, event.id)),
    });
  const engine = new AlertEngine({
    store: wrap(store),
    metrics,
    bus,
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(now + clockOffsetMs) },
  });
  return { engine, store, bus };
}

const sample = (host: string, value: number): Sample => ({
  metric: 'cpu',
  dimensions: { host },
  timestampMs: now - 1000,
  value,
});

async function push(e: ReturnType<typeof evaluator>, host: string, value: number) {
  await metrics.write('t1', [sample(host, value)]);
  await e.engine.onIngest('t1', [sample(host, value)]);
  await e.bus.idle();
}

const hooks = (path: string) => receiver.received.filter((r) => r.path === path).map((r) => r.body);

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'severity-routing-'));
  metrics = new SqliteMetricStore(join(dir, 'metrics.sqlite'));
  receiver = await startWebhookReceiver();
  now = Date.UTC(2026, 5, 1, 12, 0, 5);
});
afterEach(async () => {
  for (const close of closers.splice(0)) close();
  metrics.close();
  await receiver.close();
});

describe('severity changes notify the route of the new severity', () => {
  async function setUp(a: ReturnType<typeof evaluator>, deescalationNotice = false) {
    await a.store.putChain(chain('email', '/email', deescalationNotice));
    await a.store.putChain(chain('pager', '/pager'));
    await a.store.putRoute(route('critical-to-pager', 10, { severities: ['critical'] }, 'pager'));
    await a.store.putRoute(route('rest-to-email', 20, { severities: ['warning', 'error'] }, 'email'));
    await a.store.putRule(rule('t1', 'r1'));
  }

  it('warning → critical notifies the critical route once, not twice across concurrent evaluators', async () => {
    // Evaluator A's read of the due escalations is kept, so evaluator B (7 ms later on its clock) acts
    // on the very same read, as an ingest Lambda and the scheduled pass racing on one alert would.
    let sharedRead: Promise<Awaited<ReturnType<AlertStore['dueEscalations']>>> | undefined;
    const a = evaluator(0, (store) =>
      Object.create(store, {
        dueEscalations: {
          value: (at: number, limit: number) => {
            sharedRead = store.dueEscalations(at, limit);
            return sharedRead;
          },
        },
      }),
    );
    const b = evaluator(7, (store) =>
      Object.create(store, { dueEscalations: { value: () => sharedRead ?? Promise.resolve([]) } }),
    );
    await setUp(a);

    await push(a, 'web-1', 65);
    expect(hooks('/email')).toEqual([
      expect.objectContaining({ kind: 'alert', stage: 0, severity: 'warning' }),
    ]);
    const [opened] = (await a.store.listAlerts('t1', { limit: 10 })).items;
    await a.engine.acknowledge('t1', opened!.alertId, 'op-1');

    now += 60_000;
    await push(a, 'web-1', 95);
    // B acts on the stages it read at the same moment as A: its step is refused (A advanced it).
    expect(await b.engine.processEscalations(now + 7)).toBe(0);
    await b.bus.idle();

    expect(hooks('/pager')).toHaveLength(1);
    expect(hooks('/pager')[0]).toMatchObject({
      type: 'alert.notification',
      kind: 'alert',
      stage: 0,
      severity: 'critical',
      previousSeverity: 'warning',
      previousValue: 65,
      value: 95,
      sequence: 2,
      message: '[CRITICAL] rule r1: cpu = 95 on web-1 (escalated from warning to critical: 65 → 95)',
    });
    // The warning route heard of the opening only; the dropped acknowledgement asks the pager to look.
    expect(hooks('/email')).toHaveLength(1);
    const alert = await a.store.getAlert('t1', opened!.alertId);
    expect(alert).toMatchObject({
      severity: 'critical',
      routing: { by: 'route', routeId: 'critical-to-pager', chainId: 'pager' },
      escalation: { chainId: 'pager', sequence: 2, notifiedStages: [0] },
      earlierEscalations: [{ chainId: 'email', notifiedStages: [0] }],
    });
    expect(alert?.acknowledgedAt).toBeUndefined();

    // The clear goes to both routes' notified recipients, once each.
    now += 60_000;
    await push(a, 'web-1', 10);
    expect(hooks('/pager').map((h) => h['kind'])).toEqual(['alert', 'clear']);
    expect(hooks('/email').map((h) => h['kind'])).toEqual(['alert', 'clear']);
  });

  it('de-escalation notifies only where the chain asks for it', async () => {
    const a = evaluator(0);
    await setUp(a, true);
    await push(a, 'web-2', 95); // critical: the pager (no de-escalation notices)
    now += 60_000;
    await push(a, 'web-2', 65); // warning: the pager chain does not ask
    expect(hooks('/pager').map((h) => h['kind'])).toEqual(['alert']);

    await push(a, 'web-3', 85); // error: e-mail, whose chain asks
    now += 60_000;
    await push(a, 'web-3', 65);
    expect(hooks('/email').map((h) => [h['kind'], h['severity']])).toEqual([
      ['alert', 'error'],
      ['deescalated', 'warning'],
    ]);
    expect(hooks('/email')[1]).toMatchObject({
      type: 'alert.deescalated',
      previousSeverity: 'error',
      message: '[WARNING] rule r1: cpu = 65 on web-3 (de-escalated from error to warning: 85 → 65)',
    });
  });

  it('records an alert no route matches, without notifying anyone', async () => {
    const a = evaluator(0);
    await a.store.putChain(chain('pager', '/pager'));
    await a.store.putRoute(route('critical-only', 10, { severities: ['critical'] }, 'pager'));
    await a.store.putRule(rule('t1', 'r1'));
    await push(a, 'web-4', 65);
    const [alert] = (await a.store.listAlerts('t1', { limit: 10 })).items;
    expect(alert).toMatchObject({ status: 'open', severity: 'warning', routing: { by: 'unrouted' } });
    expect(alert?.escalation).toBeUndefined();
    expect(receiver.received).toHaveLength(0);
    // Turning critical, it is routed as a new critical alert would be.
    now += 60_000;
    await push(a, 'web-4', 99);
    expect(hooks('/pager')).toEqual([
      expect.objectContaining({ severity: 'critical', previousSeverity: 'warning' }),
    ]);
  });
});
