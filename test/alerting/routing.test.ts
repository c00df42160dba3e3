import { describe, expect, it } from 'vitest';
import {
  type AlertRoute,
  alertRouteInputSchema,
  firstMatchingRoute,
  globMatches,
  routingOf,
} from '#domain/alerting/routing';

const route = (
  routeId: string,
  priority: number,
  match: AlertRoute['match'],
  enabled = true,
): AlertRoute => ({
  tenantId: 't1',
  routeId,
  name: routeId,
  priority,
  enabled,
  match,
  escalationChainId: `chain-${routeId}`,
  createdAt: 'x',
  updatedAt: 'x',
});
const alert = {
  severity: 'critical' as const,
  ruleId: 'r1',
  metric: 'cpu_busy',
  dimensions: { datasource: 'CPU', 'system.hostname': 'db-01.example.com' },
  resource: 'db-01.example.com',
  linked: {
    resourceId: 'id-db',
    name: 'db-01',
    groups: ['prod/databases'],
    properties: { env: 'prod' },
    dependsOn: [],
  },
};

describe('alert routing rules', () => {
  it('globs: * any run, the rest literal, whole value, case-insensitive', () => {
    expect(globMatches('db-*', 'DB-01')).toBe(true);
    expect(globMatches('db-*', 'xdb-01')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('*', undefined)).toBe(false);
  });

  it('first match by priority wins, disabled routes skipped', () => {
    const routes = [
      route('everything', 30, {}),
      route('critical', 20, { severities: ['critical'] }),
      route('dbs', 10, {
        resource: { groups: ['*/databases'], names: ['db-*'], properties: { env: 'prod' } },
      }),
      route('off', 1, {}, false),
    ];
    expect(firstMatchingRoute(routes, alert)?.routeId).toBe('dbs');
    expect(firstMatchingRoute(routes, { ...alert, linked: undefined })?.routeId).toBe('critical');
    expect(firstMatchingRoute(routes, { ...alert, severity: 'warning', linked: undefined })?.routeId).toBe(
      'everything',
    );
  });

  it('matches datasource, metric and rule', () => {
    expect(
      firstMatchingRoute([route('m', 1, { datasource: 'cpu', metric: 'cpu_*', ruleIds: ['r1'] })], alert),
    ).toBeDefined();
    expect(firstMatchingRoute([route('m', 1, { ruleIds: ['r2'] })], alert)).toBeUndefined();
    expect(firstMatchingRoute([route('m', 1, { datasource: 'Disk' })], alert)).toBeUndefined();
  });

  it("a rule's own chain wins; no match is unrouted", () => {
    const routes = [route('critical', 1, { severities: ['critical'] })];
    expect(routingOf({ escalationChainId: 'own' }, routes, alert)).toEqual({ by: 'rule', chainId: 'own' });
    expect(routingOf({}, routes, alert)).toEqual({
      by: 'route',
      routeId: 'critical',
      chainId: 'chain-critical',
    });
    expect(routingOf({}, routes, { ...alert, severity: 'error' })).toEqual({ by: 'unrouted' });
  });

  it('validates input and names the field', () => {
    const parsed = alertRouteInputSchema.safeParse({ name: 'x', priority: 1, escalationChainId: 'c' });
    expect(parsed.success && parsed.data).toMatchObject({ enabled: true, match: {} });
    const bad = alertRouteInputSchema.safeParse({
      name: 'x',
      priority: 1,
      escalationChainId: 'c',
      match: { resource: { groups: [] } },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['match', 'resource', 'groups']);
  });
});
