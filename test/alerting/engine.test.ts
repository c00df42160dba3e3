import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEventBus } from '#adapters/local/event-bus';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { AlertStateChangedDetail } from '#domain/alerting/events';
import type { AlertRule } from '#domain/alerting/rule';
import type { Sample } from '#domain/metrics';
import { AlertEngine, type EngineLimits } from '../../functions/alert-evaluator/engine';
import { rule } from './alert-store.contract';

let store: SqliteAlertStore;
let metrics: SqliteMetricStore;
let bus: LocalEventBus;
let events: { type: string; detail: Record<string, unknown> }[];
let now: number;
let dependencies: Record<string, string[]>;

function engine(limits: Partial<EngineLimits> = {}) {
  return new AlertEngine({
    store,
    metrics,
    bus,
    topology: { dependenciesOf: async (_t, r) => dependencies[r] ?? [] },
    clock: { now: () => new Date(now) },
    limits,
  });
}

const sample = (host: string, value: number, metric = 'cpu', at = now - 1000): Sample => ({
  metric,
  dimensions: { host },
  timestampMs: at,
  value,
});

async function write(e: AlertEngine, ...samples: Sample[]) {
  await metrics.write('t1', samples);
  await e.onIngest('t1', samples);
  await bus.idle();
}

const stateChanges = () =>
  events
    .filter((e) => e.type === 'Alert State Changed')
    .map((e) => e.detail as unknown as AlertStateChangedDetail);

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'engine-'));
  store = new SqliteAlertStore(join(dir, 'a.sqlite'));
  metrics = new SqliteMetricStore(join(dir, 'm.sqlite'));
  bus = new LocalEventBus();
  events = [];
  bus.addRule({
    name: 'all',
    pattern: { source: [{ prefix: '' }] },
    target: async (e) =>
      void events.push({ type: e['detail-type'], detail: e.detail as Record<string, unknown> }),
  });
  now = Date.UTC(2026, 5, 1, 12, 0, 5);
  dependencies = {};
});
afterEach(() => {
  store.close();
  metrics.close();
});

describe('AlertEngine', () => {
  it('marks alerts on resources behind an unreachable dependency as dependent and does not notify them', async () => {
    const e = engine();
    await store.putRule(rule('t1', 'r1'));
    dependencies = { 'web-1': ['switch-1'] };
    await write(e, sample('switch-1', 99));
    now += 10_000;
    await write(e, sample('web-1', 95));
    const [parent, child] = stateChanges();
    expect(parent).toMatchObject({ resource: 'switch-1', severity: 'critical', notify: true });
    expect(child).toMatchObject({ resource: 'web-1', dependentOn: parent?.alertId, notify: false });
  });

  it('groups alerts on the same resource within the window into one incident', async () => {
    const e = engine();
    await store.putRule(rule('t1', 'r1'));
    await store.putRule({ ...rule('t1', 'r2'), selector: { metric: 'mem', filters: {} } });
    await write(e, sample('web-1', 95));
    now += 5 * 60_000;
    await write(e, sample('web-1', 95, 'mem'));
    now += 60 * 60_000;
    await write(e, sample('web-1', 10), sample('web-1', 10, 'mem'));
    now += 60_000;
    await write(e, sample('web-1', 95));
    const opened = stateChanges().filter((s) => s.transition === 'opened');
    expect(opened).toHaveLength(3);
    expect(opened[1]?.incidentId).toBe(opened[0]?.incidentId);
    expect(opened[2]?.incidentId).not.toBe(opened[0]?.incidentId);
  });

  it('raises a no-data alert when a known series goes silent, and clears it when data returns', async () => {
    const e = engine();
    await store.putRule({ ...rule('t1', 'r1'), noData: { afterSeconds: 300, severity: 'error' } });
    await write(e, sample('web-1', 10));
    now += 4 * 60_000;
    await e.tick();
    expect(stateChanges()).toHaveLength(0);
    now += 2 * 60_000;
    await e.tick();
    await bus.idle();
    expect(stateChanges()).toMatchObject([{ transition: 'opened', severity: 'error', resource: 'web-1' }]);
    now += 60_000;
    await write(e, sample('web-1', 10));
    expect(stateChanges().map((s) => s.transition)).toEqual(['opened', 'cleared']);
  });

  it('counts one evaluation per period however often a series is evaluated', async () => {
    const e = engine();
    await store.putRule({ ...rule('t1', 'r1'), triggerInterval: 3 });
    for (let i = 0; i < 5; i++) {
      await write(e, sample('web-1', 95, 'cpu', now - 1000 + i));
      await e.tick();
    }
    expect(stateChanges()).toHaveLength(0);
    now += 60_000;
    await write(e, sample('web-1', 95));
    expect(stateChanges()).toHaveLength(0);
    now += 60_000;
    await write(e, sample('web-1', 95));
    expect(stateChanges()).toMatchObject([{ transition: 'opened' }]);
  });

  it('a NaN sample neither breaches nor clears a threshold, even "!="', async () => {
    const e = engine();
    await store.putRule(rule('t1', 'r1'));
    await store.putRule({ ...rule('t1', 'r2'), threshold: { operator: '!=', critical: 0 } });
    await write(e, sample('web-1', 95));
    expect(stateChanges().map((s) => [s.ruleId, s.transition])).toEqual([
      ['r1', 'opened'],
      ['r2', 'opened'],
    ]);
    await write(e, sample('web-2', Number.NaN));
    for (let i = 0; i < 3; i++) {
      now += 60_000;
      await write(e, sample('web-1', Number.NaN));
      await write(e, sample('web-2', Number.NaN));
    }
    // web-1 stays open on both rules, web-2 never opens on "!= 0" although NaN !== 0.
    expect(stateChanges()).toHaveLength(2);
    now += 60_000;
    await write(e, sample('web-1', 0));
    expect(stateChanges().map((s) => [s.ruleId, s.transition])).toEqual([
      ['r1', 'opened'],
      ['r2', 'opened'],
      ['r1', 'cleared'],
      ['r2', 'cleared'],
    ]);
  });

  it('a series that sends only NaN is not silent: no no-data alert', async () => {
    const e = engine();
    await store.putRule({ ...rule('t1', 'r1'), noData: { afterSeconds: 300, severity: 'error' } });
    await write(e, sample('web-1', 10));
    for (let i = 0; i < 8; i++) {
      now += 60_000;
      await write(e, sample('web-1', Number.NaN));
      await e.tick();
    }
    await bus.idle();
    expect(stateChanges()).toEqual([]);
    // The same silence without the NaN samples does raise it.
    now += 6 * 60_000;
    await e.tick();
    await bus.idle();
    expect(stateChanges()).toMatchObject([{ transition: 'opened', severity: 'error' }]);
  });

  it('±Inf compares as IEEE says: +Inf breaches "> 90", -Inf breaches "< 10", and neither is kept as a number', async () => {
    const e = engine();
    await store.putRule(rule('t1', 'r1'));
    await store.putRule({ ...rule('t1', 'r2'), threshold: { operator: '<', warning: 10 } });
    await write(e, sample('web-1', Number.POSITIVE_INFINITY), sample('web-2', Number.NEGATIVE_INFINITY));
    const changes = stateChanges();
    expect(changes.map((s) => [s.ruleId, s.resource, s.transition, s.severity])).toEqual([
      ['r1', 'web-1', 'opened', 'critical'],
      ['r2', 'web-2', 'opened', 'warning'],
    ]);
    for (const change of changes) expect(change).not.toHaveProperty('value');
  });

  it('escalates and de-escalates with the value, and only opens once', async () => {
    const e = engine();
    await store.putRule(rule('t1', 'r1'));
    for (const [i, v] of [65, 85, 95, 70, 72].entries()) {
      now += 60_000 * (i === 0 ? 0 : 1);
      await write(e, sample('web-1', v));
    }
    expect(stateChanges().map((s) => [s.transition, s.severity])).toEqual([
      ['opened', 'warning'],
      ['escalated', 'error'],
      ['escalated', 'critical'],
      ['deescalated', 'warning'],
    ]);
  });

  it('evaluates a bounded page of rules per tick and continues where it stopped', async () => {
    const e = engine({ maxRulesPerTick: 2 });
    for (let i = 0; i < 5; i++)
      await store.putRule({ ...rule('t1', `r${i}`), selector: { metric: `m${i}`, filters: {} } });
    await metrics.write(
      't1',
      [0, 1, 2, 3, 4].map((i) => sample('web-1', 95, `m${i}`)),
    );
    const reports = [await e.tick(), await e.tick(), await e.tick()];
    expect(reports.map((r) => [r.rules, r.complete])).toEqual([
      [2, false],
      [2, false],
      [1, true],
    ]);
    await bus.idle();
    expect(stateChanges()).toHaveLength(5);
  });

  it('alerts on a dynamic threshold learned from the series history', async () => {
    const e = engine();
    const dynamicRule: AlertRule = {
      ...rule('t1', 'r1'),
      windowSeconds: 300,
      dynamic: { seasonality: 'daily', sensitivity: 4, slotMinutes: 60 },
    };
    delete (dynamicRule as { threshold?: unknown }).threshold;
    await store.putRule(dynamicRule);
    // Four days of history every 5 minutes: a daily cycle 40..60 with noise of ±1.
    const history: Sample[] = [];
    for (let t = now - 4 * 86_400_000; t < now - 600_000; t += 300_000) {
      const hour = (t % 86_400_000) / 3_600_000;
      history.push(
        sample('web-1', 50 + 10 * Math.sin((hour / 24) * 2 * Math.PI) + ((t / 300_000) % 3) - 1, 'cpu', t),
      );
    }
    // Timestream-like stores refuse samples older than the retention; SQLite keeps them for the test.
    await metrics.write('t1', history);
    const expected = 50 + 10 * Math.sin(((now % 86_400_000) / 3_600_000 / 24) * 2 * Math.PI);
    await write(e, sample('web-1', expected));
    expect(stateChanges()).toHaveLength(0);
    now += 60_000;
    await write(e, sample('web-1', expected + 40), sample('web-1', expected + 40, 'cpu', now - 2000));
    expect(stateChanges()).toMatchObject([{ transition: 'opened', severity: 'critical' }]);
  });
});
