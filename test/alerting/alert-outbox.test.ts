/**
 * The engine's transactional outbox: a bus that fails (throws, or refuses some entries) during a
 * transition never fails the evaluation nor loses the event; the next scheduled pass publishes it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventBridgeAlertBus } from '#adapters/aws/eventbridge-alert-bus';
import { LocalEventBus } from '#adapters/local/event-bus';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { AlertBusEvent, AlertStateChangedDetail } from '#domain/alerting/events';
import type { Sample } from '#domain/metrics';
import type { AlertBus } from '#ports/event-bus';
import { AlertEngine, type EngineLimits } from '../../functions/alert-evaluator/engine';
import { rule, stateEvent } from './alert-store.contract';

let store: SqliteAlertStore;
let metrics: SqliteMetricStore;
let now: number;
let pendingReports: number[];
let warnings: string[];

function engine(bus: AlertBus, limits: Partial<EngineLimits> = {}) {
  return new AlertEngine({
    store,
    metrics,
    bus,
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(now) },
    limits,
    log: (message) => void warnings.push(message),
    onEventsPending: (count) => void pendingReports.push(count),
  });
}

const breach = (host: string): Sample => ({
  metric: 'cpu',
  dimensions: { host },
  timestampMs: now - 1000,
  value: 95,
});

beforeEach(() => {
  const dir = mkdtempSync(join(tmpdir(), 'outbox-'));
  store = new SqliteAlertStore(join(dir, 'a.sqlite'));
  metrics = new SqliteMetricStore(join(dir, 'm.sqlite'));
  now = Date.UTC(2026, 5, 1, 12, 0, 5);
  pendingReports = [];
  warnings = [];
});
afterEach(() => {
  store.close();
  metrics.close();
});

describe('AlertEngine outbox: the local bus throws', () => {
  let bus: LocalEventBus;
  let received: AlertStateChangedDetail[];
  /** The local bus behind a switch: down = PutEvents fails outright. */
  let down: boolean;
  const switchable: AlertBus = {
    publish: async (events) => {
      if (down) throw new Error('EventBridge unavailable');
      return bus.publish(events);
    },
  };

  beforeEach(() => {
    bus = new LocalEventBus();
    received = [];
    down = false;
    bus.addRule({
      name: 'all',
      pattern: { source: [{ prefix: '' }] },
      target: async (e) => void received.push(e.detail as AlertStateChangedDetail),
    });
  });

  it('keeps a transition whose publish failed, and publishes it exactly once on the next pass', async () => {
    const e = engine(switchable);
    await store.putRule(rule('t1', 'r1'));
    await metrics.write('t1', [breach('web-1')]);
    down = true;
    await e.onIngest('t1', [breach('web-1')]); // resolves: the evaluation itself succeeded
    await bus.idle();
    expect(received).toEqual([]);
    const pending = await store.pendingEvents(10);
    expect(pending.map((p) => p.event.detail)).toMatchObject([
      { tenantId: 't1', transition: 'opened', eventId: expect.stringMatching(/^[0-9a-f]{32}$/) },
    ]);
    expect((await store.listAlerts('t1', { limit: 10 })).items).toHaveLength(1);
    expect(pendingReports).toEqual([1]);
    expect(warnings).toContain('alert event bus failed; events kept in the outbox for the next pass');

    // Still down at the next pass: the event keeps waiting, the pass completes.
    now += 60_000;
    expect(await e.tick()).toMatchObject({ complete: true, outboxPublished: 0 });
    expect(await store.pendingEvents(10)).toHaveLength(1);

    down = false;
    now += 60_000;
    expect(await e.tick()).toMatchObject({ outboxPublished: 1 });
    await bus.idle();
    expect(received).toHaveLength(1);
    expect(received[0]).toEqual(pending[0]?.event.detail);
    expect(await store.pendingEvents(10)).toEqual([]);
    now += 60_000;
    await e.tick();
    await bus.idle();
    expect(received).toHaveLength(1);
    expect(pendingReports).toEqual([1, 1, 0, 0]);
  });

  it('publishes and removes at once while the bus is healthy', async () => {
    const e = engine(switchable);
    await store.putRule(rule('t1', 'r1'));
    await metrics.write('t1', [breach('web-1')]);
    await e.onIngest('t1', [breach('web-1')]);
    await bus.idle();
    expect(received).toMatchObject([{ transition: 'opened' }]);
    expect(await store.pendingEvents(10)).toEqual([]);
  });

  it('drains a bounded page oldest first and stops at the first bus failure', async () => {
    const queued = Array.from({ length: 25 }, (_, i) => stateEvent('t1', `a${String(i).padStart(2, '0')}`));
    for (const [i, event] of queued.entries()) await store.enqueueEvents([event], now - 100_000 + i);
    let calls = 0;
    const failsSecondCall: AlertBus = {
      publish: async (events) => {
        if (++calls === 2) throw new Error('throttled');
        return bus.publish(events);
      },
    };
    const e = engine(failsSecondCall, { maxOutboxEventsPerTick: 22 });
    expect((await e.tick()).outboxPublished).toBe(10);
    await bus.idle();
    expect(received.map((d) => d.alertId)).toEqual(queued.slice(0, 10).map((q) => q.detail.alertId));
    expect(pendingReports).toEqual([12]);
    expect((await e.tick()).outboxPublished).toBe(15);
    await bus.idle();
    expect(received.map((d) => d.alertId)).toEqual(queued.map((q) => q.detail.alertId));
    expect(await store.pendingEvents(100)).toEqual([]);
  });
});

describe('AlertEngine outbox: EventBridge refuses some entries of a batch', () => {
  const eventBridge = mockClient(EventBridgeClient);
  afterEach(() => eventBridge.reset());

  it('keeps only the refused entry; the next pass sends it, and the accepted one is never sent twice', async () => {
    const accepted: AlertBusEvent['detail'][] = [];
    let refusing = true;
    eventBridge.on(PutEventsCommand).callsFake(({ Entries }: { Entries: PutEventsRequestEntry[] }) => {
      const results = Entries.map((entry, i) => {
        const detail = JSON.parse(entry.Detail as string);
        // While refusing, only web-1's event gets through.
        if (refusing && detail.dimensions.host !== 'web-1')
          return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' };
        accepted.push(detail);
        return { EventId: `e-${accepted.length}-${i}` };
      });
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    });
    const bus = new EventBridgeAlertBus(new EventBridgeClient({ region: 'us-west-2' }), 'alerts', {
      maxAttempts: 2,
      retryDelayMs: () => 0,
    });
    const e = engine(bus);
    await store.putRule(rule('t1', 'r1'));
    await metrics.write('t1', [breach('web-1'), breach('web-2')]);
    expect(await e.tick()).toMatchObject({ events: 2, complete: true });
    expect(accepted.map((d) => d.dimensions['host'])).toEqual(['web-1']);
    expect((await store.pendingEvents(10)).map((p) => p.event.detail.dimensions['host'])).toEqual(['web-2']);
    expect(pendingReports).toEqual([0, 1]);

    refusing = false;
    now += 60_000;
    expect((await e.tick()).outboxPublished).toBe(1);
    expect(await store.pendingEvents(10)).toEqual([]);
    expect(accepted.map((d) => d.dimensions['host'])).toEqual(['web-1', 'web-2']);
    expect(new Set(accepted.map((d) => d.eventId)).size).toBe(2);
  });
});
