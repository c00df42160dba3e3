/**
 * The engine's log rules against the real local stores (SQLite FTS5 logs, SQLite alert state): the
 * count per group, a group without lines healthy again, and the bound on the lines a pass reads
 * (groups the bounded count did not reach hold their state instead of clearing).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalEventBus } from '#adapters/local/event-bus';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteLogStore } from '#adapters/local/sqlite-log-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { LOG_RULE_LIMITS, logRuleInputSchema, ruleFromLogInput } from '#domain/alerting/log-rule';
import type { AlertRule } from '#domain/alerting/rule';
import type { LogRecord } from '#domain/logs/record';
import { parseOrThrow } from '#domain/validation';
import { AlertEngine } from '../../functions/alert-evaluator/engine';

let store: SqliteAlertStore;
let logs: SqliteLogStore;
let metrics: SqliteMetricStore;
let engine: AlertEngine;
let now: number;
let warnings: string[];

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'log-rule-engine-'));
  store = new SqliteAlertStore(join(dir, 'alerts.sqlite'));
  logs = new SqliteLogStore(join(dir, 'logs.sqlite'));
  metrics = new SqliteMetricStore(join(dir, 'metrics.sqlite'));
  now = Date.UTC(2026, 11, 6, 12);
  warnings = [];
  engine = new AlertEngine({
    store,
    metrics,
    logs,
    bus: new LocalEventBus(),
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(now) },
    log: (message) => void warnings.push(message),
  });
});
afterEach(() => {
  store.close();
  logs.close();
});

async function logRule(body: Record<string, unknown>): Promise<AlertRule> {
  const rule = ruleFromLogInput(
    parseOrThrow(logRuleInputSchema, { name: 'r', windowSeconds: 300, threshold: '>= 1', ...body }),
    { tenantId: 't1', ruleId: 'r1' },
    new Date(now).toISOString(),
  );
  await store.putRule(rule);
  return rule;
}

const line = (host: string | undefined, message: string, atMs = now - 1000): LogRecord => ({
  timestampMs: atMs,
  severity: 'error',
  severityNumber: 17,
  message,
  resource: host === undefined ? {} : { host },
  attributes: {},
});

const openAlerts = async () =>
  (await store.listAlerts('t1', { limit: 100, status: 'open' })).items.map((a) => [a.resource, a.value]);

describe('log rules in the engine', () => {
  it('counts the window’s matching lines per group, and a group without lines is healthy again', async () => {
    await logRule({ log: { query: '"link down"', groupBy: ['host'] }, threshold: '>= 2' });
    await logs.append('t1', [
      line('sw1', 'ge-0/0/1 link down'),
      line('sw1', 'ge-0/0/2 link down'),
      line('sw1', 'link is up'),
      line('sw2', 'ge-0/0/1 link down'),
      // Before the window: not counted.
      line('sw2', 'ge-0/0/2 link down', now - 301_000),
    ]);
    await engine.tick();
    expect(await openAlerts()).toEqual([['sw1', 2]]);
    now += 300_000;
    await engine.tick();
    expect(await openAlerts()).toEqual([]);
  });

  it('judges one count for the whole tenant without groupBy, zero when nothing matches', async () => {
    await logRule({ log: { query: 'severity:error fan' }, threshold: '> 0' });
    await logs.append('t1', [line('sw1', 'link down')]);
    await engine.tick();
    expect(await openAlerts()).toEqual([]);
    const states = await store.getSeriesStates('t1', 'r1');
    now += 60_000;
    await logs.append('t1', [line(undefined, 'fan failure'), line('sw2', 'fan tray removed')]);
    await engine.tick();
    expect(states.size).toBe(0);
    expect(await openAlerts()).toEqual([[undefined, 2]]);
  });

  it('reads at most the line bound a pass: groups the bounded count did not reach hold their state', async () => {
    await logRule({ log: { query: 'down', groupBy: ['host'] } });
    await logs.append('t1', [line('sw1', 'link down', now - 200_000)]);
    await engine.tick();
    expect(await openAlerts()).toEqual([['sw1', 1]]);
    // Newer lines of another group than one pass reads: sw1's line is beyond the bound.
    now += 60_000;
    await logs.append(
      't1',
      Array.from({ length: LOG_RULE_LIMITS.maxLines + 1 }, (_, i) =>
        line('sw2', `port ${i} down`, now - 1000 - i),
      ),
    );
    await engine.tick();
    expect((await openAlerts()).sort()).toEqual([
      ['sw1', 1],
      ['sw2', LOG_RULE_LIMITS.maxLines],
    ]);
    expect(warnings).toContain('log rule reached its line bound; unreached groups hold their state');
  });
});
