/**
 * The alert outbox lives in the global table (issue #17): two regions' evaluators draining it at once
 * each publish only the events of tenants homed in their region, so no tenant's event reaches the
 * notifiers from two regions. Over DynamoDB Local, both regions' drains racing.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAlertStore } from '#adapters/aws/dynamodb-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { AlertBusEvent } from '#domain/alerting/events';
import { ACCEPTED } from '#ports/event-bus';
import { AlertEngine } from '../../functions/alert-evaluator/engine';
import { stateEvent } from '../alerting/alert-store.contract';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';

const HOMES: Record<string, string> = { 'tenant-eu': 'eu-west-2', 'tenant-us': 'us-west-2' };

/** An engine over `store` for the region `name`, and what its bus accepted. */
function regionalEngine(store: DynamoDbAlertStore, metrics: SqliteMetricStore, name: string, nowMs: number) {
  const sent: AlertBusEvent[] = [];
  const engine = new AlertEngine({
    store,
    metrics,
    bus: {
      publish: async (events) => {
        sent.push(...events);
        return events.map(() => ACCEPTED);
      },
    },
    topology: { dependenciesOf: async () => [] },
    clock: { now: () => new Date(nowMs) },
    owns: async (tenantId) => HOMES[tenantId] === name,
  });
  return { engine, sent };
}

describe('two regions drain one global outbox', () => {
  let ddb: DynamoDbLocal;
  let metrics: SqliteMetricStore;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    metrics = new SqliteMetricStore(join(mkdtempSync(join(tmpdir(), 'outbox-owner-')), 'metrics.sqlite'));
  });
  afterAll(async () => {
    metrics?.close();
    await ddb?.stop();
  });

  it('publishes each tenant’s events from its home region only, once', async () => {
    const table = await ddb.createTable();
    const now = Date.UTC(2026, 5, 1, 12, 0, 0);
    const region = (name: string) =>
      regionalEngine(new DynamoDbAlertStore(ddb.documentClient, table), metrics, name, now);
    const eu = region('eu-west-2');
    const us = region('us-west-2');

    // Events both regions' passes left behind (a bus outage), interleaved across tenants.
    const store = new DynamoDbAlertStore(ddb.documentClient, table);
    const events = ['a1', 'a2', 'a3'].flatMap((alertId) => [
      stateEvent('tenant-eu', alertId),
      stateEvent('tenant-us', alertId),
    ]);
    await store.enqueueEvents(events, now - 60_000);

    // Both regions' scheduled passes at once, twice over.
    const drained = [
      ...(await Promise.all([eu.engine.drainOutbox(), us.engine.drainOutbox()])),
      ...(await Promise.all([eu.engine.drainOutbox(), us.engine.drainOutbox()])),
    ];
    const ids = (sent: AlertBusEvent[]) => sent.map((e) => `${e.detail.tenantId}/${e.detail.alertId}`).sort();
    expect(ids(eu.sent)).toEqual(['tenant-eu/a1', 'tenant-eu/a2', 'tenant-eu/a3']);
    expect(ids(us.sent)).toEqual(['tenant-us/a1', 'tenant-us/a2', 'tenant-us/a3']);
    expect(drained).toEqual([3, 3, 0, 0]);
    expect(await store.pendingEvents(100)).toEqual([]);
  });

  it('leaves a tenant homed elsewhere in the outbox for its home region', async () => {
    const table = await ddb.createTable();
    const store = new DynamoDbAlertStore(ddb.documentClient, table);
    const { engine, sent } = regionalEngine(store, metrics, 'us-west-2', Date.now());
    await store.enqueueEvents([stateEvent('tenant-eu', 'b1')], Date.now());
    expect(await engine.drainOutbox()).toBe(0);
    expect(sent).toEqual([]);
    expect((await store.pendingEvents(10)).map((e) => e.tenantId)).toEqual(['tenant-eu']);
  });
});
