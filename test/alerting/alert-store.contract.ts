import { beforeEach, describe, expect, it } from 'vitest';
import type { Alert } from '../../shared/domain/alerting/alert';
import type { AlertRule } from '../../shared/domain/alerting/rule';
import { INITIAL_STATE } from '../../shared/domain/alerting/state-machine';
import type { AlertStore } from '../../shared/ports/alert-store';

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
      expect((await store.listDowntimes('t1')).map((d) => d.downtimeId)).toEqual(['d1']);
      expect(await store.deleteDowntime('t1', 'd1')).toBe(true);
      expect(await store.listDowntimes('t1')).toEqual([]);
      expect(await store.deleteChain('t1', 'c1')).toBe(true);
      expect(await store.getChain('t1', 'c1')).toBeUndefined();
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

    it('indexes open alerts by resource until they clear', async () => {
      await store.putAlert(alert('t1', 'a1', { resource: 'switch-1', severity: 'critical' }));
      await store.putAlert(alert('t1', 'a2', { resource: 'web-1' }));
      expect((await store.openAlertsOnResources('t1', ['switch-1'])).map((a) => a.alertId)).toEqual(['a1']);
      expect(await store.openAlertsOnResources('t2', ['switch-1'])).toEqual([]);
      await store.putAlert(alert('t1', 'a1', { resource: 'switch-1', status: 'cleared' }));
      expect(await store.openAlertsOnResources('t1', ['switch-1'])).toEqual([]);
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
      const exported: unknown[] = [];
      for await (const record of store.exportTenant('t1')) exported.push(record);
      expect(exported).toHaveLength(4);
      expect(JSON.stringify(exported)).not.toContain('very-secret-value-123');
      expect(await store.deleteTenant('t1')).toBe(4);
      expect(await store.listRules('t1')).toEqual([]);
      expect(await store.getAlert('t1', 'a1')).toBeUndefined();
      expect((await store.listRules('t2')).map((r) => r.ruleId)).toEqual(['b']);
    });
  });
}
