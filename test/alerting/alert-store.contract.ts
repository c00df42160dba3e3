import { beforeEach, describe, expect, it } from 'vitest';
import { type Alert, alertIdTimePrefix } from '#domain/alerting/alert';
import { type AlertBusEvent, DETAIL_TYPE, withEventId } from '#domain/alerting/events';
import type { AlertRoute } from '#domain/alerting/routing';
import type { AlertRule } from '#domain/alerting/rule';
import { INITIAL_STATE } from '#domain/alerting/state-machine';
import type { AlertStore, OutboxEntry, StoredSeriesState } from '#ports/alert-store';
import { ACCEPTED } from '#ports/event-bus';
import type { MetricStore } from '#ports/metric-store';
import { AlertEngine } from '../../functions/alert-evaluator/engine';

export const rule = (tenantId: string, ruleId: string, enabled = true): AlertRule => ({
  tenantId,
  ruleId,
  name: `rule ${ruleId}`,
  enabled,
  selector: { metric: 'cpu', filters: {} },
  windowSeconds: 60,
  aggregation: 'avg',
  threshold: { operator: '>', warning: 60, error: 80, critical: 90 },
  triggerInterval: 1,
  clearInterval: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

export const alert = (tenantId: string, alertId: string, overrides: Partial<Alert> = {}): Alert => ({
  tenantId,
  alertId,
  ruleId: 'r1',
  ruleName: 'rule r1',
  seriesKey: `cpu\u0000host\u0001${alertId}`,
  metric: 'cpu',
  dimensions: { host: 'web-1' },
  resource: 'web-1',
  cause: 'threshold',
  status: 'open',
  severity: 'error',
  openedAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  history: [],
  ...overrides,
});

/** An `Alert State Changed` event of alert `alertId` (with its stable event id). */
export const stateEvent = (tenantId: string, alertId: string, at = '2026-01-01T00:00:00.000Z') =>
  withEventId({
    detailType: DETAIL_TYPE.stateChanged,
    detail: {
      version: 1,
      tenantId,
      alertId,
      ruleId: 'r1',
      ruleName: 'rule r1',
      severity: 'error',
      metric: 'cpu',
      dimensions: { host: 'web-1' },
      status: 'open',
      openedAt: at,
      notify: true,
      transition: 'opened',
      at,
    },
  });

export function alertStoreContract(name: string, create: () => Promise<AlertStore>) {
  describe(`AlertStore contract: ${name}`, () => {
    let store: AlertStore;
    beforeEach(async () => {
      store = await create();
    });

    it('keeps rules per tenant, and deleting a rule removes its series states', async () => {
      await store.putRule(rule('t1', 'a'));
      await store.putRule(rule('t2', 'b'));
      await store.putSeriesStates('t1', 'a', [
        { seriesKey: 's1', metric: 'cpu', dimensions: {}, state: INITIAL_STATE, lastSeenAt: 1 },
      ]);
      expect((await store.listRules('t1')).map((r) => r.ruleId)).toEqual(['a']);
      expect(await store.getRule('t2', 'a')).toBeUndefined();
      expect((await store.getSeriesStates('t1', 'a')).get('s1')?.lastSeenAt).toBe(1);
      expect(await store.deleteRule('t1', 'a')).toBe(true);
      expect(await store.deleteRule('t1', 'a')).toBe(false);
      expect((await store.getSeriesStates('t1', 'a')).size).toBe(0);
    });

    it('refuses a series state write made from a stale read (version check)', async () => {
      const fresh = { seriesKey: 's1', metric: 'cpu', dimensions: {}, state: INITIAL_STATE, lastSeenAt: 1 };
      expect(await store.putSeriesStates('t1', 'a', [fresh])).toEqual([]);
      // A second writer that also saw "no state yet" loses.
      expect(await store.putSeriesStates('t1', 'a', [{ ...fresh, lastSeenAt: 99 }])).toEqual(['s1']);
      const readByA = (await store.getSeriesStates('t1', 'a')).get('s1') as StoredSeriesState;
      const readByB = (await store.getSeriesStates('t1', 'a')).get('s1') as StoredSeriesState;
      expect(readByA.lastSeenAt).toBe(1);
      expect(await store.putSeriesStates('t1', 'a', [{ ...readByA, lastSeenAt: 2 }])).toEqual([]);
      expect(await store.putSeriesStates('t1', 'a', [{ ...readByB, lastSeenAt: 3 }])).toEqual(['s1']);
      const after = (await store.getSeriesStates('t1', 'a')).get('s1') as StoredSeriesState;
      expect(after.lastSeenAt).toBe(2);
      expect(after.version).toBeGreaterThan(readByA.version as number);
      // Only the refused state is held back; the others in the same call are written.
      const other = { ...fresh, seriesKey: 's2' };
      expect(await store.putSeriesStates('t1', 'a', [{ ...readByB, lastSeenAt: 4 }, other])).toEqual(['s1']);
      expect((await store.getSeriesStates('t1', 'a')).get('s2')?.lastSeenAt).toBe(1);
    });

    it('loses no update when concurrent writers read-modify-write one state', async () => {
      const writers = 8;
      let refusals = 0;
      await Promise.all(
        Array.from({ length: writers }, async () => {
          for (;;) {
            const current = (await store.getSeriesStates('t1', 'a')).get('s1');
            const next: StoredSeriesState = current
              ? { ...current, lastSeenAt: current.lastSeenAt + 1 }
              : { seriesKey: 's1', metric: 'cpu', dimensions: {}, state: INITIAL_STATE, lastSeenAt: 1 };
            if ((await store.putSeriesStates('t1', 'a', [next])).length === 0) return;
            refusals++;
          }
        }),
      );
      expect((await store.getSeriesStates('t1', 'a')).get('s1')?.lastSeenAt).toBe(writers);
      // The writers did collide (otherwise this test proves nothing).
      expect(refusals).toBeGreaterThan(0);
    });

    it('opens one alert when an on-ingest and a scheduled evaluation race on one rule × series', async () => {
      const now = Date.UTC(2026, 5, 1, 12, 0, 5);
      await store.putRule(rule('t1', 'r1'));
      const series = [{ metric: 'cpu', dimensions: { host: 'web-1' }, points: [[now - 1000, 95]] as const }];
      const metrics = { query: async () => series } as unknown as MetricStore;
      // Both evaluators read the (empty) states before either writes: the race, made certain.
      let reads = 0;
      let release!: () => void;
      const bothRead = new Promise<void>((r) => {
        release = r;
      });
      const racing: AlertStore = Object.create(store, {
        getSeriesStates: {
          value: async (tenantId: string, ruleId: string) => {
            const states = await store.getSeriesStates(tenantId, ruleId);
            if (++reads === 2) release();
            if (reads <= 2) await bothRead;
            return states;
          },
        },
      });
      const published: AlertBusEvent[] = [];
      // Two engines: two Lambdas, so the in-process rule lock does not serialise them.
      const engine = () =>
        new AlertEngine({
          store: racing,
          metrics,
          bus: {
            publish: async (events) => {
              published.push(...events);
              return events.map(() => ACCEPTED);
            },
          },
          topology: { dependenciesOf: async () => [] },
          clock: { now: () => new Date(now) },
        });
      await Promise.all([
        engine().onIngest('t1', [
          { metric: 'cpu', dimensions: { host: 'web-1' }, timestampMs: now - 1000, value: 95 },
        ]),
        engine().tick(),
      ]);
      expect(reads).toBeGreaterThan(2); // the loser re-read
      const opened = published.filter(
        (e) => e.detailType === 'Alert State Changed' && e.detail['transition'] === 'opened',
      );
      expect(opened).toHaveLength(1);
      const alerts = (await store.listAlerts('t1', { limit: 10 })).items;
      expect(alerts.map((a) => a.alertId)).toEqual([opened[0]?.detail['alertId']]);
      const state = [...(await store.getSeriesStates('t1', 'r1')).values()];
      expect(state).toHaveLength(1);
      expect(state[0]?.openAlertId).toBe(alerts[0]?.alertId);
      expect(state[0]?.state.phase).toBe('open');
    });

    it('pages through the enabled rules of every tenant, skipping disabled ones', async () => {
      for (let i = 0; i < 7; i++) await store.putRule(rule(`t${i % 3}`, `r${i}`, i !== 4));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listEnabledRules({ limit: 2, ...(cursor ? { cursor } : {}) });
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...page.items.map((r) => r.ruleId));
        cursor = page.cursor;
      } while (cursor);
      expect(seen.sort()).toEqual(['r0', 'r1', 'r2', 'r3', 'r5', 'r6']);
      await store.putRule(rule('t0', 'r0', false));
      const all = await store.listEnabledRules({ limit: 100 });
      expect(all.items.map((r) => r.ruleId)).not.toContain('r0');
    });

    it('keeps escalation chains and downtimes', async () => {
      await store.putChain({
        tenantId: 't1',
        chainId: 'c1',
        name: 'ops',
        stageIntervalSeconds: 60,
        stages: [{ recipients: [{ type: 'email', address: 'a@example.com' }] }],
        createdAt: 'x',
        updatedAt: 'x',
      });
      await store.putDowntime({
        tenantId: 't1',
        downtimeId: 'd1',
        name: 'm',
        startsAt: 1,
        endsAt: 2,
        resources: ['web-1'],
        createdAt: 'x',
      });
      expect((await store.getChain('t1', 'c1'))?.name).toBe('ops');
      expect(await store.listChains('t2')).toEqual([]);
      expect((await store.listDowntimes('t1')).map((d) => [d.downtimeId, d.version])).toEqual([['d1', 1]]);
      // A replace is conditional on the version read: a stale one changes nothing.
      const read = (await store.getDowntime('t1', 'd1'))!;
      expect(await store.replaceDowntime({ ...read, name: 'n' }, read.version)).toBe(true);
      expect(await store.replaceDowntime({ ...read, name: 'stale' }, read.version)).toBe(false);
      expect(await store.getDowntime('t1', 'd1')).toMatchObject({ name: 'n', version: 2 });
      expect(await store.getDowntime('t2', 'd1')).toBeUndefined();
      expect(await store.deleteDowntime('t1', 'd1')).toBe(true);
      expect(await store.listDowntimes('t1')).toEqual([]);
      expect(await store.deleteChain('t1', 'c1')).toBe(true);
      expect(await store.getChain('t1', 'c1')).toBeUndefined();
    });

    it('counts email recipient references across tenants; erasing a tenant drops its references', async () => {
      const address = 'shared@example.com';
      await store.referenceEmailRecipient('t1', address);
      await store.referenceEmailRecipient('t1', address);
      await store.referenceEmailRecipient('t2', address);
      expect(await store.releaseEmailRecipient('t1', address)).toBe(false);
      expect(await store.releaseEmailRecipient('t2', address)).toBe(true);
      await store.referenceEmailRecipient('t3', address);
      await store.putChain({
        tenantId: 't3',
        chainId: 'c1',
        name: 'ops',
        stageIntervalSeconds: 60,
        stages: [{ recipients: [{ type: 'email', address }] }],
        createdAt: 'x',
        updatedAt: 'x',
      });
      await store.referenceEmailRecipient('t4', address);
      await store.deleteTenant('t3');
      expect(await store.releaseEmailRecipient('t4', address)).toBe(true);
    });

    it('releases every reference of a tenant, answering (and calling back for) the addresses it was the last to name', async () => {
      await store.referenceEmailRecipient('t5', 'own@example.com');
      await store.referenceEmailRecipient('t5', 'both@example.com');
      await store.referenceEmailRecipient('t6', 'both@example.com');
      const called: string[] = [];
      const last = await store.releaseTenantEmailRecipients('t5', async (a) => void called.push(a));
      expect(last).toEqual(['own@example.com']);
      expect(called).toEqual(['own@example.com']);
      expect(await store.releaseTenantEmailRecipients('t5')).toEqual([]);
      expect(await store.releaseEmailRecipient('t6', 'both@example.com')).toBe(true);
    });

    it('lists alerts newest first, filters by status, and pages with a cursor', async () => {
      for (let i = 0; i < 5; i++)
        await store.putAlert(alert('t1', `a${i}`, { status: i % 2 === 0 ? 'open' : 'cleared' }));
      const first = await store.listAlerts('t1', { limit: 2 });
      expect(first.items.map((a) => a.alertId)).toEqual(['a4', 'a3']);
      const second = await store.listAlerts('t1', { limit: 2, cursor: first.cursor! });
      expect(second.items.map((a) => a.alertId)).toEqual(['a2', 'a1']);
      const open = await store.listAlerts('t1', { status: 'open', limit: 10 });
      expect(open.items.map((a) => a.alertId)).toEqual(['a4', 'a2', 'a0']);
      expect(open.cursor).toBeUndefined();
    });

    it('keeps alert history by opening time: a time range, filters, a bounded scan and a cursor', async () => {
      const t0 = Date.parse('2026-03-01T00:00:00Z');
      const id = (minute: number) =>
        `${alertIdTimePrefix(t0 + minute * 60_000)}${String(minute).padStart(16, '0')}`;
      for (let m = 0; m < 40; m++)
        await store.putAlert(
          alert('t1', id(m), {
            openedAt: new Date(t0 + m * 60_000).toISOString(),
            severity: m % 4 === 0 ? 'critical' : 'warning',
            ruleId: m % 10 === 0 ? 'r-disk' : 'r1',
            ruleName: m % 10 === 0 ? 'Disk full' : 'rule r1',
            status: m < 30 ? 'cleared' : 'open',
            ...(m < 30 ? { clearedAt: new Date(t0 + m * 60_000 + 30_000).toISOString() } : {}),
            ...(m === 7 ? { acknowledgedAt: '2026-03-01T00:08:00Z', acknowledgedBy: 'u1' } : {}),
          }),
        );
      await store.putAlert(alert('t2', id(5), { openedAt: new Date(t0 + 5 * 60_000).toISOString() }));
      const nowMs = t0 + 3_600_000;
      const ids = (page: { items: Alert[] }) => page.items.map((a) => a.alertId);
      const range = await store.alertHistory('t1', {
        fromMs: t0 + 10 * 60_000,
        toMs: t0 + 20 * 60_000,
        filter: {},
        limit: 100,
        nowMs,
      });
      expect(ids(range)).toEqual([19, 18, 17, 16, 15, 14, 13, 12, 11, 10].map(id));
      const critical = await store.alertHistory('t1', { filter: { severity: 'critical' }, limit: 3, nowMs });
      expect(ids(critical)).toEqual([36, 32, 28].map(id));
      const next = await store.alertHistory('t1', {
        filter: { severity: 'critical' },
        limit: 100,
        nowMs,
        ...(critical.cursor ? { cursor: critical.cursor } : {}),
      });
      expect(ids(next)).toEqual([24, 20, 16, 12, 8, 4, 0].map(id));
      expect(next.cursor).toBeUndefined();
      expect(ids(await store.alertHistory('t1', { filter: { text: 'disk' }, limit: 100, nowMs }))).toEqual(
        [30, 20, 10, 0].map(id),
      );
      expect(
        ids(await store.alertHistory('t1', { filter: { state: 'acknowledged' }, limit: 10, nowMs })),
      ).toEqual([id(7)]);
      expect(ids(await store.alertHistory('t2', { filter: {}, limit: 10, nowMs }))).toEqual([id(5)]);
      // A rare match with a small scan budget: fewer items and a cursor, never an unbounded read.
      const bounded = await store.alertHistory('t1', {
        filter: { ruleId: 'r-disk' },
        limit: 10,
        nowMs,
        maxScan: 15,
      });
      expect(bounded.scanned).toBe(15);
      expect(ids(bounded)).toEqual([30].map(id));
      expect(bounded.cursor).toBeDefined();
      const rest = await store.alertHistory('t1', {
        filter: { ruleId: 'r-disk' },
        limit: 10,
        nowMs,
        maxScan: 100,
        ...(bounded.cursor ? { cursor: bounded.cursor } : {}),
      });
      expect(ids(rest)).toEqual([20, 10, 0].map(id));
    });

    it('expires cleared alerts after the retention, never open ones', async () => {
      const openedAt = '2025-01-01T00:00:00.000Z';
      await store.putAlert(
        alert('t1', `${alertIdTimePrefix(Date.parse(openedAt))}a`, {
          openedAt,
          status: 'cleared',
          clearedAt: openedAt,
        }),
      );
      await store.putAlert(alert('t1', `${alertIdTimePrefix(Date.parse(openedAt))}b`, { openedAt }));
      const at = (iso: string) =>
        store
          .alertHistory('t1', { filter: {}, limit: 10, nowMs: Date.parse(iso) })
          .then((p) => p.items.map((a) => a.status));
      expect(await at('2026-01-01T00:00:00Z')).toEqual(['open', 'cleared']);
      // 396 days after it cleared it is gone; the open one stays.
      expect(await at('2026-02-01T00:00:01Z')).toEqual(['open']);
    });

    it('indexes open alerts by resource until they clear', async () => {
      await store.putAlert(alert('t1', 'a1', { resource: 'switch-1', severity: 'critical' }));
      await store.putAlert(alert('t1', 'a2', { resource: 'web-1' }));
      expect((await store.openAlertsOnResources('t1', ['switch-1'])).map((a) => a.alertId)).toEqual(['a1']);
      expect(await store.openAlertsOnResources('t2', ['switch-1'])).toEqual([]);
      await store.putAlert(alert('t1', 'a1', { resource: 'switch-1', status: 'cleared' }));
      expect(await store.openAlertsOnResources('t1', ['switch-1'])).toEqual([]);
    });

    it('indexes an alert linked to an API resource by that resource id, not the series value', async () => {
      const linked = { resource: 'sw1.example.com', resourceId: 'res-1', resourceName: 'sw1' };
      await store.putAlert(alert('t1', 'a1', { ...linked, severity: 'critical' }));
      expect((await store.openAlertsOnResources('t1', ['res-1'])).map((a) => a.alertId)).toEqual(['a1']);
      expect(await store.openAlertsOnResources('t1', ['sw1.example.com'])).toEqual([]);
      await store.putAlert(alert('t1', 'a1', { ...linked, status: 'cleared' }));
      expect(await store.openAlertsOnResources('t1', ['res-1'])).toEqual([]);
    });

    it('keeps alert routing rules per tenant', async () => {
      const route = (tenantId: string, routeId: string, priority: number): AlertRoute => ({
        tenantId,
        routeId,
        name: `route ${routeId}`,
        priority,
        enabled: true,
        match: { severities: ['critical'], resource: { groups: ['db*'] } },
        escalationChainId: 'c1',
        createdAt: 'x',
        updatedAt: 'x',
      });
      await store.putRoute(route('t1', 'r1', 10));
      await store.putRoute(route('t1', 'r2', 5));
      await store.putRoute(route('t2', 'r3', 1));
      expect((await store.listRoutes('t1')).map((r) => r.routeId).sort()).toEqual(['r1', 'r2']);
      expect(await store.getRoute('t1', 'r2')).toEqual(route('t1', 'r2', 5));
      expect(await store.getRoute('t1', 'r3')).toBeUndefined();
      await store.putRoute({ ...route('t1', 'r2', 5), name: 'renamed' });
      expect((await store.getRoute('t1', 'r2'))?.name).toBe('renamed');
      expect(await store.deleteRoute('t1', 'r2')).toBe(true);
      expect(await store.deleteRoute('t1', 'r2')).toBe(false);
      expect(await store.deleteRoute('t2', 'r1')).toBe(false);
      expect((await store.listRoutes('t1')).map((r) => r.routeId)).toEqual(['r1']);
    });

    it('finds due escalations across tenants and drops them once acknowledged', async () => {
      const escalation = (nextAt: number) => ({
        chainId: 'c',
        stageCount: 2,
        nextStage: 0,
        nextAt,
        notifiedStages: [],
      });
      await store.putAlert(alert('t1', 'a1', { escalation: escalation(1000) }));
      await store.putAlert(alert('t2', 'a2', { escalation: escalation(2000) }));
      await store.putAlert(alert('t2', 'a3', { escalation: { ...escalation(500), nextStage: 2 } }));
      expect((await store.dueEscalations(1500, 10)).map((a) => a.alertId)).toEqual(['a1']);
      expect((await store.dueEscalations(2000, 10)).map((a) => a.alertId)).toEqual(['a1', 'a2']);
      await store.putAlert(alert('t1', 'a1', { escalation: escalation(1000), acknowledgedAt: 'x' }));
      expect((await store.dueEscalations(5000, 10)).map((a) => a.alertId)).toEqual(['a2']);
    });

    it('advances an escalation only from the alert as read: a second step on that copy, a step on a cleared or absent alert are refused', async () => {
      const read = alert('t1', 'a1', {
        escalation: {
          chainId: 'c',
          stageCount: 3,
          nextStage: 0,
          nextAt: 1000,
          notifiedStages: [],
          sequence: 0,
        },
      });
      await store.putAlert(read);
      const step = {
        ...read,
        escalation: { ...read.escalation!, nextStage: 1, nextAt: 2000, notifiedStages: [0] },
      };
      expect(await store.advanceEscalation(step, read)).toEqual([]);
      expect(await store.advanceEscalation(step, read)).toBe(false);
      expect((await store.getAlert('t1', 'a1'))?.escalation?.nextStage).toBe(1);
      // The step moved it on the index too: due at 2000, not at 1000.
      expect((await store.dueEscalations(1500, 10)).map((a) => a.alertId)).toEqual([]);
      const cleared = { ...step, status: 'cleared' as const };
      await store.putAlert(cleared);
      const late = { ...step, escalation: { ...step.escalation, nextStage: 2, notifiedStages: [0, 1] } };
      expect(await store.advanceEscalation(late, step)).toBe(false);
      expect((await store.getAlert('t1', 'a1'))?.status).toBe('cleared');
      const absent = alert('t1', 'nope');
      expect(await store.advanceEscalation(absent, absent)).toBe(false);
      expect(await store.getAlert('t1', 'nope')).toBeUndefined();
    });

    it("queues a step's notification in the same write as the step: written with it, never without it", async () => {
      const read = alert('t1', 'q1', {
        escalation: {
          chainId: 'c',
          stageCount: 2,
          nextStage: 0,
          nextAt: 1000,
          notifiedStages: [],
          sequence: 0,
        },
      });
      await store.putAlert(read);
      const step = {
        ...read,
        escalation: { ...read.escalation!, nextStage: 1, nextAt: 2000, notifiedStages: [0] },
      };
      const notification = stateEvent('t1', 'q1');
      const queued = await store.advanceEscalation(step, read, { events: [notification], nowMs: 1000 });
      expect(queued).not.toBe(false);
      expect((queued as OutboxEntry[]).map((e) => e.eventId)).toEqual([notification.detail.eventId]);
      expect((await store.pendingEvents(10)).map((e) => e.event)).toEqual([notification]);
      // A refused step (the copy is stale now) queues nothing.
      expect(
        await store.advanceEscalation(step, read, { events: [stateEvent('t1', 'q2')], nowMs: 1001 }),
      ).toBe(false);
      expect((await store.pendingEvents(10)).map((e) => e.eventId)).toEqual([notification.detail.eventId]);
      await store.removeEvents(await store.pendingEvents(10));
    });

    it('keeps the latest incident per resource', async () => {
      const incident = {
        tenantId: 't1',
        incidentId: 'i1',
        resource: 'web-1',
        openedAt: 'x',
        lastAlertAt: 5,
        alertIds: ['a'],
      };
      await store.putIncident(incident);
      expect(await store.latestIncident('t1', 'web-1')).toEqual(incident);
      expect(await store.latestIncident('t1', 'web-2')).toBeUndefined();
    });

    it('keeps outbox events of every tenant until removed, listing the oldest first in bounded pages', async () => {
      expect(await store.pendingEvents(10)).toEqual([]);
      const t0 = Date.UTC(2026, 0, 1);
      // Enqueued newest first, from several tenants: enough ids to land in every shard.
      for (let i = 9; i >= 0; i--)
        await store.enqueueEvents(
          [stateEvent(`t${i % 3}`, `a${i}`), stateEvent(`t${i % 3}`, `b${i}`)],
          t0 + i,
        );
      const all = await store.pendingEvents(100);
      expect(all.map((e) => e.event.detail.alertId)).toEqual(
        Array.from({ length: 10 }, (_, i) => [`a${i}`, `b${i}`]).flat(),
      );
      expect(all[0]).toMatchObject({ tenantId: 't0', enqueuedAt: t0 });
      // Enqueued in one millisecond by separate calls: still in the order they were enqueued.
      await store.enqueueEvents([stateEvent('t9', 'z1')], t0 - 1);
      await store.enqueueEvents([stateEvent('t1', 'z2')], t0 - 1);
      await store.enqueueEvents([stateEvent('t5', 'z3')], t0 - 1);
      const sameMs = await store.pendingEvents(3);
      expect(sameMs.map((e) => e.event.detail.alertId)).toEqual(['z1', 'z2', 'z3']);
      await store.removeEvents(sameMs);
      expect(all[0]?.event).toEqual(stateEvent('t0', 'a0'));
      const page = await store.pendingEvents(3);
      expect(page.map((e) => e.event.detail.alertId)).toEqual(['a0', 'b0', 'a1']);
      await store.removeEvents(page);
      // Removing twice (a retried removal) is harmless.
      await store.removeEvents(page);
      expect((await store.pendingEvents(2)).map((e) => e.event.detail.alertId)).toEqual(['b1', 'a2']);
      await store.removeEvents(await store.pendingEvents(100));
      expect(await store.pendingEvents(100)).toEqual([]);
    });

    it('refuses an outbox event without an event id', async () => {
      const { eventId: _id, ...detail } = stateEvent('t1', 'a1').detail as Record<string, unknown>;
      await expect(
        store.enqueueEvents([{ detailType: DETAIL_TYPE.stateChanged, detail } as AlertBusEvent], 1),
      ).rejects.toThrow(/eventId/);
      expect(await store.pendingEvents(10)).toEqual([]);
    });

    it("erases a tenant's pending outbox events with its data", async () => {
      await store.enqueueEvents([stateEvent('t1', 'a1'), stateEvent('t2', 'a2'), stateEvent('t1', 'a3')], 5);
      expect(await store.deleteTenant('t1')).toBe(2);
      expect((await store.pendingEvents(10)).map((e) => e.tenantId)).toEqual(['t2']);
    });

    it('exports a tenant without webhook secrets and then erases only that tenant', async () => {
      await store.putRule(rule('t1', 'a'));
      await store.putRule(rule('t2', 'b'));
      await store.putAlert(alert('t1', 'a1'));
      await store.putChain({
        tenantId: 't1',
        chainId: 'c1',
        name: 'ops',
        stageIntervalSeconds: 60,
        stages: [
          {
            recipients: [{ type: 'webhook', address: 'https://x.example', secret: 'very-secret-value-123' }],
          },
        ],
        createdAt: 'x',
        updatedAt: 'x',
      });
      await store.putRoute({
        tenantId: 't1',
        routeId: 'rt1',
        name: 'pages',
        priority: 1,
        enabled: true,
        match: {},
        escalationChainId: 'c1',
        createdAt: 'x',
        updatedAt: 'x',
      });
      const exported: unknown[] = [];
      for await (const record of store.exportTenant('t1')) exported.push(record);
      expect(exported).toHaveLength(5);
      expect(exported).toContainEqual(expect.objectContaining({ kind: 'alertroute', routeId: 'rt1' }));
      expect(JSON.stringify(exported)).not.toContain('very-secret-value-123');
      expect(await store.deleteTenant('t1')).toBe(5);
      expect(await store.listRoutes('t1')).toEqual([]);
      expect(await store.listRules('t1')).toEqual([]);
      expect(await store.getAlert('t1', 'a1')).toBeUndefined();
      expect((await store.listRules('t2')).map((r) => r.ruleId)).toEqual(['b']);
    });
  });
}
