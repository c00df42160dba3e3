/**
 * One page per step however evaluators race (issue #17 item 2): two alert engines over one DynamoDB
 * Local table (two regions' evaluators, or an ingest function and the scheduled pass), one of them
 * reading the escalation index through a fault-injected replica lag (it is served the index as it was
 * one pass earlier). Every escalation step is a conditional write, so each stage is notified once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbAlertStore } from '#adapters/aws/dynamodb-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import type { Alert } from '#domain/alerting/alert';
import type { EscalationChain } from '#domain/alerting/escalation';
import { type AlertBusEvent, DETAIL_TYPE } from '#domain/alerting/events';
import type { AlertStore } from '#ports/alert-store';
import { ACCEPTED } from '#ports/event-bus';
import { AlertEngine } from '../../functions/alert-evaluator/engine';
import { rule } from '../alerting/alert-store.contract';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';

const AT = '2026-01-01T00:00:00.000Z';
const STAGES = 4;
const chain: EscalationChain = {
  tenantId: 't1',
  chainId: 'oncall',
  name: 'oncall',
  stages: Array.from({ length: STAGES }, (_, i) => ({
    recipients: [{ type: 'webhook' as const, address: `https://hooks.example.com/stage-${i}` }],
  })),
  stageIntervalSeconds: 300,
  notifyOnDeescalation: false,
  createdAt: AT,
  updatedAt: AT,
};

/** The escalation index as a lagging replica serves it: the answer of the previous read. */
function laggingIndex(store: AlertStore): AlertStore {
  let previous: Alert[] = [];
  return Object.create(store, {
    dueEscalations: {
      value: async (at: number, limit: number) => {
        const stale = previous;
        previous = await store.dueEscalations(at, limit);
        return stale.length > 0 ? stale : previous;
      },
    },
  });
}

describe('escalation steps race over DynamoDB Local', () => {
  let ddb: DynamoDbLocal;
  let dir: string;
  beforeAll(async () => {
    ddb = await startDynamoDbLocal();
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    dir = mkdtempSync(`${tmpdir()}/race-`);
  });
  afterAll(async () => ddb?.stop());

  it('notifies each stage exactly once across two evaluators, one of them reading a stale index', async () => {
    const table = await ddb.createTable();
    const metrics = new SqliteMetricStore(`${dir}/metrics.sqlite`);
    let now = Date.UTC(2026, 5, 1, 12, 0, 5);
    const sent: AlertBusEvent[] = [];
    const engine = (store: AlertStore) =>
      new AlertEngine({
        store,
        metrics,
        bus: {
          publish: async (events) => {
            sent.push(...events);
            return events.map(() => ACCEPTED);
          },
        },
        topology: { dependenciesOf: async () => [] },
        clock: { now: () => new Date(now) },
      });
    const fresh = new DynamoDbAlertStore(ddb.documentClient, table);
    const a = engine(fresh);
    const b = engine(laggingIndex(new DynamoDbAlertStore(ddb.documentClient, table)));
    await fresh.putChain(chain);
    await fresh.putRule({ ...rule('t1', 'r1'), escalationChainId: 'oncall' });

    const point = { metric: 'cpu', dimensions: { host: 'web-1' }, timestampMs: now - 1000, value: 95 };
    await metrics.write('t1', [point]);
    // Both evaluate the same samples at once: one opens the alert and sends stage 0.
    await Promise.all([a.onIngest('t1', [point]), b.onIngest('t1', [point])]);
    for (let pass = 0; pass < STAGES + 2; pass++) {
      now += 301_000;
      await metrics.write('t1', [{ ...point, timestampMs: now - 1000 }]);
      // Both at once, and each twice: every pass races every other on the same due stage.
      await Promise.all([
        a.processEscalations(now),
        b.processEscalations(now),
        b.processEscalations(now),
        a.processEscalations(now),
      ]);
    }
    const notifications = sent.filter((e) => e.detailType === DETAIL_TYPE.notificationRequested);
    const stages = notifications.map((e) => (e.detail as { stage?: number }).stage);
    expect(stages.sort()).toEqual([0, 1, 2, 3]);
    // One event id per step: the notifier's ledger would have nothing to deduplicate.
    expect(new Set(notifications.map((e) => e.detail.eventId)).size).toBe(STAGES);
    const [alert] = (await fresh.listAlerts('t1', { limit: 5 })).items;
    expect(alert?.escalation).toMatchObject({ nextStage: STAGES, notifiedStages: [0, 1, 2, 3] });
    metrics.close();
  });
  // The store's side of it (a stale copy, a cleared or absent alert refused) is in the AlertStore
  // contract, on SQLite and DynamoDB Local (test/alerting/alert-store.contract.ts).
});
