/**
 * An escalation step and its notification are one write (issue #17): a process that dies right after
 * advancing a stage, before the bus was tried, leaves the notification in the outbox, and the next
 * pass (any process) sends it, once.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { EscalationChain } from '#domain/alerting/escalation';
import type { AlertBusEvent, NotificationRequestedDetail } from '#domain/alerting/events';
import type { AlertStore } from '#ports/alert-store';
import type { AlertBus } from '#ports/event-bus';
import { AlertEngine } from '../../functions/alert-evaluator/engine';
import { alert } from './alert-store.contract';

const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
let dir: string;
let store: SqliteAlertStore;
let metrics: SqliteMetricStore;

const chain: EscalationChain = {
  tenantId: 't1',
  chainId: 'c1',
  name: 'on-call',
  stages: [
    { recipients: [{ type: 'webhook', address: 'https://hooks.example.com/first' }] },
    { recipients: [{ type: 'webhook', address: 'https://hooks.example.com/second' }] },
  ],
  stageIntervalSeconds: 300,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

/** A bus that records what it accepted. */
function recordingBus(): AlertBus & { sent: AlertBusEvent[] } {
  const sent: AlertBusEvent[] = [];
  return {
    sent,
    publish: async (events) => {
      sent.push(...events);
      return events.map(() => ({ status: 'accepted' as const }));
    },
  };
}

function engineOver(alertStore: AlertStore, bus: AlertBus) {
  return new AlertEngine({
    store: alertStore,
    metrics,
    bus,
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(NOW) },
  });
}

/** The store as a process sees it that dies right after its escalation step was written. */
function dyingAfterTheStep(inner: AlertStore): AlertStore {
  return new Proxy(inner, {
    get(target, name, receiver) {
      if (name === 'advanceEscalation')
        return async (...args: Parameters<AlertStore['advanceEscalation']>) => {
          await target.advanceEscalation(...args);
          throw new Error('process killed after the escalation step');
        };
      const value = Reflect.get(target, name, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'escalation-crash-'));
  store = new SqliteAlertStore(join(dir, 'alerts.sqlite'));
  metrics = new SqliteMetricStore(join(dir, 'metrics.sqlite'));
});
afterAll(() => {
  store.close();
  metrics.close();
});

describe('an escalation step and its notification', () => {
  it('survive a crash between the step and the bus: the next pass sends the notification exactly once', async () => {
    await store.putChain(chain);
    await store.putAlert(
      alert('t1', 'a1', {
        escalation: {
          chainId: 'c1',
          stageCount: 2,
          nextStage: 0,
          nextAt: NOW - 1000,
          notifiedStages: [],
          sequence: 0,
        },
      }),
    );

    const crashedBus = recordingBus();
    await expect(engineOver(dyingAfterTheStep(store), crashedBus).processEscalations(NOW)).rejects.toThrow(
      'process killed',
    );
    expect(crashedBus.sent).toEqual([]);
    // The stage moved on: without the outbox record written with it, stage 0 would never be sent.
    expect((await store.getAlert('t1', 'a1'))?.escalation?.nextStage).toBe(1);
    const pending = await store.pendingEvents(10);
    expect(pending.map((e) => e.event.detailType)).toEqual(['Alert Notification Requested']);

    // Another process (the next scheduled pass) drains the outbox, then finds nothing due.
    const bus = recordingBus();
    const report = await engineOver(store, bus).tick();
    expect(report.outboxPublished).toBe(1);
    expect(report.escalations).toBe(0);
    const sent = bus.sent.map((e) => e.detail as NotificationRequestedDetail);
    expect(sent.map((d) => [d.alertId, d.chainId, d.stage])).toEqual([['a1', 'c1', 0]]);
    expect(sent[0]?.eventId).toBe(pending[0]?.eventId);
    expect(await store.pendingEvents(10)).toEqual([]);
    await engineOver(store, bus).tick();
    expect(bus.sent).toHaveLength(1);
  });
});
