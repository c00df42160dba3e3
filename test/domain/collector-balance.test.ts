/** Auto-balanced collector groups: the pure balancing (orphans, down members, spread, load). */
import { describe, expect, it } from 'vitest';
import { balanceMoves, groupLoads, resourceLoad } from '#domain/collector-balance';
import type { CollectorMove } from '#domain/collector-failover';
import type { Resource } from '#domain/entities';
import type { Collector } from '#domain/tenant';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const collector = (id: string, status: 'up' | 'down' | 'never-seen', group = 'g'): Collector => ({
  tenantId: 't',
  collectorId: id,
  name: id,
  createdAt: '',
  collectorGroup: group,
  ...(status === 'never-seen'
    ? {}
    : {
        heartbeat: {
          at: new Date(NOW - (status === 'up' ? 10_000 : 600_000)).toISOString(),
          version: '1',
          queueDepth: 0,
          dropped: 0,
          state: 'connected',
        },
      }),
});
const resource = (id: string, on: string | undefined, poll?: Resource['poll'], group = 'g'): Resource => ({
  tenantId: 't',
  resourceId: id,
  type: 'device',
  name: id,
  address: '10.0.0.1',
  properties: {},
  groups: [],
  dependsOn: [],
  credentialIds: [],
  ...(on ? { collectorId: on } : {}),
  collectorGroup: group,
  ...(poll ? { poll } : {}),
  version: 1,
  createdAt: '',
});
/** Where each resource is after the moves. */
const after = (resources: Resource[], moves: CollectorMove[]) =>
  Object.fromEntries(
    resources.map((r) => [
      r.resourceId,
      moves.find((m) => m.resourceId === r.resourceId)?.to ?? r.collectorId,
    ]),
  );
const loadsAfter = (collectors: Collector[], resources: Resource[], moves: CollectorMove[]) => {
  const placed = after(resources, moves);
  const moved = resources.map((r) => {
    const to = placed[r.resourceId];
    return to ? { ...r, collectorId: to } : r;
  });
  return Object.fromEntries(groupLoads('g', collectors, moved, NOW).map((l) => [l.collectorId, l.load]));
};

describe('collector group balancing', () => {
  it('weighs a resource by its polls per minute', () => {
    expect(resourceLoad(resource('r', undefined))).toBe(1);
    expect(resourceLoad(resource('r', undefined, { intervalSeconds: 30, tcpPorts: [22, 443] }))).toBe(4);
    expect(
      resourceLoad({ ...resource('r', undefined, { intervalSeconds: 120 }), credentialIds: ['c'] }),
    ).toBe(0.5);
    expect(resourceLoad({ ...resource('r', undefined), type: 'website' })).toBe(1);
  });

  it('spreads unassigned resources evenly over the up members, never to a down or unseen one', () => {
    const collectors = [
      collector('a', 'up'),
      collector('b', 'up'),
      collector('c', 'down'),
      collector('d', 'never-seen'),
    ];
    const resources = Array.from({ length: 9 }, (_, i) => resource(`r${i}`, undefined));
    const moves = balanceMoves('g', collectors, resources, NOW);
    expect(moves).toHaveLength(9);
    expect(moves.every((m) => m.reason === 'balance' && m.from === '')).toBe(true);
    const loads = loadsAfter(collectors, resources, moves);
    expect([loads['a'], loads['b'], loads['c'], loads['d']]).toEqual([5, 4, 0, 0]);
  });

  it('moves a down member’s resources to the rest, least loaded first, and nothing else', () => {
    const collectors = [collector('a', 'up'), collector('b', 'up'), collector('c', 'down')];
    const resources = [
      resource('a1', 'a'),
      resource('a2', 'a'),
      resource('b1', 'b'),
      resource('c1', 'c'),
      resource('c2', 'c'),
      resource('c3', 'c'),
    ];
    const moves = balanceMoves('g', collectors, resources, NOW);
    expect(moves.map((m) => m.from).sort()).toEqual(['c', 'c', 'c']);
    expect(loadsAfter(collectors, resources, moves)).toEqual({ a: 3, b: 3, c: 0 });
  });

  it('balances by load, not count: one heavy resource against several light ones', () => {
    const collectors = [collector('a', 'up'), collector('b', 'up')];
    const heavy = resource('heavy', undefined, { intervalSeconds: 10 }); // 6 polls a minute
    const light = Array.from({ length: 6 }, (_, i) => resource(`l${i}`, undefined));
    const moves = balanceMoves('g', collectors, [heavy, ...light], NOW);
    const placed = after([heavy, ...light], moves);
    const withHeavy = placed['heavy'];
    expect(light.every((r) => placed[r.resourceId] !== withHeavy)).toBe(true);
  });

  it('rebalances a returning member only beyond the tolerance, and is stable once balanced', () => {
    const collectors = [collector('a', 'up'), collector('b', 'up')];
    const resources = Array.from({ length: 10 }, (_, i) => resource(`r${i}`, 'a'));
    const moves = balanceMoves('g', collectors, resources, NOW);
    expect(moves).toHaveLength(5);
    expect(moves.every((m) => m.from === 'a' && m.to === 'b')).toBe(true);
    const balanced = resources.map((r) => {
      const m = moves.find((x) => x.resourceId === r.resourceId);
      return m ? { ...r, collectorId: m.to } : r;
    });
    expect(balanceMoves('g', collectors, balanced, NOW)).toEqual([]);
    // 6 against 4 is a spread of 2 on an average of 5: within a 50 % tolerance, beyond 20 %.
    const uneven = resources.map((r, i) => ({ ...r, collectorId: i < 6 ? 'a' : 'b' }));
    expect(balanceMoves('g', collectors, uneven, NOW, { tolerance: 0.5 })).toEqual([]);
    expect(balanceMoves('g', collectors, uneven, NOW)).toHaveLength(1);
  });

  it('leaves other groups, and resources of a group with no up member, alone', () => {
    const collectors = [collector('a', 'up'), collector('x', 'up', 'other'), collector('b', 'down')];
    const resources = [resource('r1', 'x', undefined, 'other'), resource('r2', 'b')];
    expect(balanceMoves('other', collectors, resources, NOW)).toEqual([]);
    expect(balanceMoves('g', collectors, resources, NOW)).toEqual([
      { resourceId: 'r2', from: 'b', to: 'a', reason: 'balance' },
    ]);
    expect(balanceMoves('g', [collector('b', 'down')], resources, NOW)).toEqual([]);
  });
});
