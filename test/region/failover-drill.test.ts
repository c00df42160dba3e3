/**
 * Region failover drill (issue #17 item 3; RUNBOOK "Region failover"): two local platforms as
 * us-west-2 (A) and us-east-1 (B) over one metadata engine. Tenants live in A; A fails (stopped) with
 * a batch still parked in its spill; `npm run failover -- --region us-west-2 --to us-east-1` moves
 * them; their collectors' config now points to B (config version bumped), B accepts their ingest and
 * replays the parked batch, B alone evaluates their rules, and A, back up, answers 421.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpillDirectory } from '#adapters/local/spill-directory';
import { SqliteAuditLog } from '#adapters/local/sqlite-audit-log';
import { runFailover } from '../../scripts/failover';
import { rule } from '../alerting/alert-store.contract';
import { onePointPayload } from '../support/native-payload';
import { bodyOf, type TestPlatform } from '../support/platform';
import { startTwoRegions, type TwoRegions } from './two-regions';

const A = 'us-west-2';
const B = 'us-east-1';

describe('region failover drill', () => {
  let world: TwoRegions;
  let offsetMs = 0;
  const clock = { now: () => new Date(Date.now() + offsetMs) };
  beforeAll(async () => {
    world = await startTwoRegions([A, B], A, { clock });
  });
  afterAll(async () => world?.destroy());

  const platform = (region: string) => world.regions[region]?.platform as TestPlatform;
  const push = (p: TestPlatform, ingestKey: string, value: number, atS: number) =>
    p.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(onePointPayload(atS, value)),
    });
  const nowS = () => Math.floor(clock.now().getTime() / 1000);

  it('moves a failed region’s tenants to B: config re-pointed, ingest and alerting in B, A refuses them', async () => {
    const a = platform(A);
    const first = await a.createTenant('first');
    const second = await a.createTenant('second');
    const stays = await platform(B).request('/admin/v1/tenants', {
      method: 'POST',
      token: platform(B).providerAdminToken,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'already-in-b', region: B }),
    });
    const { ingestKey } = await a.createCollector(first.adminToken);
    const configBefore = (await bodyOf(await a.request('/v1/collector/config', { token: ingestKey })))[
      'configVersion'
    ];
    await a.alerting.store.putRule({
      ...rule(first.tenantId, 'r1'),
      selector: { metric: 'util', filters: {} },
    });
    expect((await push(a, ingestKey, 95, nowS() - 5)).status).toBe(202);
    // A, the home, evaluated it on ingest; B's scheduled pass leaves A's tenants alone.
    const opened = (await a.alerting.store.listAlerts(first.tenantId, { limit: 5 })).items;
    expect(opened.map((x) => x.status)).toEqual(['open']);
    expect((await platform(B).alerting.engine.tick()).seriesEvaluated).toBe(0);

    // A fails with a batch still parked (its store was down when it was accepted).
    const regionA = world.regions[A]!;
    await regionA.stop();
    const parkedAtS = nowS() - 3;
    await new SpillDirectory(join(regionA.dataDir, 'spill')).park({
      tenantId: first.tenantId,
      samples: [
        { metric: 'util', dimensions: { instance: 'parked' }, timestampMs: parkedAtS * 1000, value: 3 },
      ],
      spilledAtMs: parkedAtS * 1000,
    });

    const receipts = await runFailover([
      '--region',
      A,
      '--to',
      B,
      '--metadata-dir',
      world.metadataDir,
      '--spill-from',
      join(regionA.dataDir, 'spill'),
      '--spill-to',
      join(world.regions[B]!.dataDir, 'spill'),
      '--default-home',
      A,
      '--actor',
      'drill',
    ]);
    expect(receipts.map((r) => [r.tenantId, r.from, r.to, r.moved, r.configVersion]).sort()).toEqual(
      [
        [first.tenantId, A, B, true, 2],
        [second.tenantId, A, B, true, 2],
      ].sort(),
    );
    expect(receipts.find((r) => r.tenantId === first.tenantId)?.spilledBatchesMoved).toBe(1);
    expect(receipts.map((r) => r.tenantId)).not.toContain((await bodyOf(stays)).tenantId);
    // Running it again changes nothing.
    expect(await runFailover(['--region', A, '--to', B, '--metadata-dir', world.metadataDir])).toEqual([]);

    offsetMs += 11_000; // past B's 10 s cache of who it owns
    const b = platform(B);
    const config = await bodyOf(await b.request('/v1/collector/config', { token: ingestKey }));
    // The config version (the collector's ETag) moves with the home region.
    expect(config).toMatchObject({ region: B, endpoints: world.regions[B]?.endpoint });
    expect(config['configVersion']).not.toBe(configBefore);
    expect((await push(b, ingestKey, 97, nowS() - 2)).status).toBe(202);
    // The parked batch is replayed by B into B's store.
    const deadline = Date.now() + 10_000;
    const stored = async () =>
      (
        await world.regions[B]!.metrics.query(first.tenantId, {
          metric: 'util',
          fromMs: (nowS() - 600) * 1000,
          toMs: (nowS() + 60) * 1000,
          aggregation: 'avg',
          filters: {},
        })
      ).flatMap((s) => s.points.map(([, v]) => v));
    while (!(await stored()).includes(3) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    expect((await stored()).sort()).toEqual([3, 97]);
    // B now evaluates the tenant's rule (the open alert from A is the same alert: state is global).
    expect((await b.alerting.engine.tick()).seriesEvaluated).toBeGreaterThan(0);
    expect((await b.alerting.store.listAlerts(first.tenantId, { limit: 5 })).items).toHaveLength(1);

    // The move is in the provider's trail and the tenant's, with who and from/to.
    const audit = new SqliteAuditLog(join(world.metadataDir, 'audit.sqlite'));
    const trail = await audit.query(first.tenantId, {}, { limit: 100 });
    expect(trail.items.filter((e) => e.action === 'tenant.failover')).toEqual([
      expect.objectContaining({
        actor: 'operator:drill',
        before: { region: A, configVersion: 1 },
        after: { region: B, configVersion: 2 },
      }),
    ]);
    audit.close();

    // A comes back: its former tenants are sent to B.
    const back = await regionA.start();
    const refused = await push(back, ingestKey, 1, nowS() - 1);
    expect(refused.status).toBe(421);
    expect((await bodyOf(refused)).endpoints).toEqual(world.regions[B]?.endpoint);
  });
});
