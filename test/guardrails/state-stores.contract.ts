/**
 * One contract for the guardrail state stores, run against the SQLite twins and against the
 * DynamoDB adapters on DynamoDB Local. `open()` returns two independent instances over ONE backing
 * store (two Lambda instances on one table): every limit must hold across both.
 */
import { IdempotencyConfig, makeIdempotent } from '@aws-lambda-powertools/idempotency';
import { describe, expect, it } from 'vitest';
import { ConflictError } from '#domain/errors';
import type { HaTracker } from '#ports/ha-tracker';
import type { IdempotencyStore } from '#ports/idempotency-store';
import type { RateLimiter } from '#ports/rate-limiter';
import type { SeriesRegistry } from '#ports/series-registry';
import type { TenantDataHolder } from '#ports/tenant-data';
import type { TenantLimitsStore } from '#ports/tenant-limits';
import type { UsageLedger } from '#ports/usage-ledger';

export interface GuardrailStores {
  readonly rate: RateLimiter & TenantDataHolder;
  readonly series: SeriesRegistry & TenantDataHolder;
  readonly ha: HaTracker & TenantDataHolder;
  readonly usage: UsageLedger & TenantDataHolder;
  readonly limits: TenantLimitsStore & TenantDataHolder;
  readonly idempotency: IdempotencyStore & TenantDataHolder;
}

const HOUR = 3600_000;
const T0 = 1_800_000_000_000 - (1_800_000_000_000 % HOUR) + 60_000;
let tenantSeq = 0;
const tenant = () => `t${Date.now().toString(36)}${tenantSeq++}`;

export function guardrailStoresContract(
  name: string,
  open: () => Promise<[GuardrailStores, GuardrailStores]>,
) {
  describe(`guardrail state stores: ${name}`, () => {
    describe('rate limiter', () => {
      it('allows the burst, then refuses with the time the bucket needs, shared by two instances', async () => {
        const [a, b] = await open();
        const t = tenant();
        const spec = { ratePerSecond: 100, burst: 200 };
        expect((await a.rate.take(t, 'samples', 150, spec, T0)).allowed).toBe(true);
        const second = await b.rate.take(t, 'samples', 100, spec, T0);
        expect(second.allowed).toBe(false);
        // 50 left, 100 needed: 50 samples at 100/s = 500 ms.
        expect(second.retryAfterMs).toBe(500);
        expect((await b.rate.take(t, 'samples', 50, spec, T0)).allowed).toBe(true);
        expect((await a.rate.take(t, 'samples', 1, spec, T0)).allowed).toBe(false);
        // One second later 100 tokens are back.
        expect((await a.rate.take(t, 'samples', 100, spec, T0 + 1000)).allowed).toBe(true);
        expect((await b.rate.take(t, 'samples', 1, spec, T0 + 1000)).allowed).toBe(false);
      });

      it('restarts an idle bucket full and keeps tenants and buckets apart', async () => {
        const [a, b] = await open();
        const t = tenant();
        const other = tenant();
        const spec = { ratePerSecond: 10, burst: 10 };
        expect((await a.rate.take(t, 'samples', 10, spec, T0)).allowed).toBe(true);
        expect((await a.rate.take(t, 'requests', 10, spec, T0)).allowed).toBe(true);
        expect((await b.rate.take(other, 'samples', 10, spec, T0)).allowed).toBe(true);
        expect((await b.rate.take(t, 'samples', 10, spec, T0 + 60_000)).allowed).toBe(true);
        expect(await a.rate.peek(t, 'samples')).toBe(T0 + 61_000);
      });

      it('never admits more than the burst under concurrent takes from two instances', async () => {
        const [a, b] = await open();
        const t = tenant();
        const spec = { ratePerSecond: 1, burst: 20 };
        const decisions = await Promise.all(
          Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).rate.take(t, 'samples', 1, spec, T0)),
        );
        expect(decisions.filter((d) => d.allowed)).toHaveLength(20);
      });

      it('refuses a cost larger than the burst whatever the state', async () => {
        const [a] = await open();
        const d = await a.rate.take(tenant(), 'samples', 11, { ratePerSecond: 10, burst: 10 }, T0);
        expect(d.allowed).toBe(false);
      });
    });

    describe('series registry', () => {
      const limits = { maxActiveSeries: 5, maxActiveSeriesPerMetric: 3 };
      const ref = (metric: string, i: number) => ({ id: `${metric}-${i}`, metric });

      it('refuses new series beyond the tenant and metric limits, counted across instances', async () => {
        const [a, b] = await open();
        const t = tenant();
        const first = await a.series.admit(
          t,
          [ref('cpu', 1), ref('cpu', 2), ref('cpu', 3), ref('cpu', 4)],
          limits,
          T0,
        );
        expect([...first.refused]).toEqual([['cpu-4', 'max-series-per-metric']]);
        const second = await b.series.admit(t, [ref('mem', 1), ref('mem', 2), ref('disk', 1)], limits, T0);
        expect([...second.refused]).toEqual([['disk-1', 'max-series']]);
        // Existing series keep ingesting, from either instance.
        expect(
          (await b.series.admit(t, [ref('cpu', 1), ref('mem', 2)], limits, T0 + 1000)).refused.size,
        ).toBe(0);
        expect((await a.series.admit(t, [ref('mem', 2)], limits, T0 + 1000)).refused.size).toBe(0);
        const usage = await a.series.usage(t, T0 + 2000);
        expect(usage.activeSeries).toBe(5);
        expect(usage.perMetric[0]).toEqual({ metric: 'cpu', activeSeries: 3 });
      });

      it('never admits past the limit under concurrent admissions from two instances', async () => {
        const [a, b] = await open();
        const t = tenant();
        const big = { maxActiveSeries: 10, maxActiveSeriesPerMetric: 100 };
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? a : b).series.admit(
              t,
              Array.from({ length: 4 }, (_, j) => ref(`m${i}`, j)),
              big,
              T0,
            ),
          ),
        );
        const refused = results.reduce((n, r) => n + r.refused.size, 0);
        expect(refused).toBe(24 - 10);
        expect((await a.series.usage(t, T0)).activeSeries).toBe(10);
      });

      it('carries series of the previous window over, and forgets series idle for two windows', async () => {
        const [a, b] = await open();
        const t = tenant();
        const one = { maxActiveSeries: 2, maxActiveSeriesPerMetric: 2 };
        await a.series.admit(t, [ref('cpu', 1), ref('cpu', 2)], one, T0);
        // Next window: the old series still count, so a new one is refused; the old ones pass.
        expect([...(await b.series.admit(t, [ref('cpu', 3)], one, T0 + HOUR)).refused]).toEqual([
          ['cpu-3', 'max-series'],
        ]);
        expect((await b.series.admit(t, [ref('cpu', 1)], one, T0 + HOUR)).refused.size).toBe(0);
        // Two windows later only cpu-1 (seen last window) is active: room for one new series.
        const later = await a.series.admit(t, [ref('cpu', 3), ref('cpu', 4)], one, T0 + 2 * HOUR);
        expect([...later.refused]).toEqual([['cpu-4', 'max-series']]);
      });
    });

    describe('HA tracker', () => {
      it('elects one leader, refuses the other replica, fails over after the timeout', async () => {
        const [a, b] = await open();
        const t = tenant();
        expect(await a.ha.check(t, 'prom', 'r1', T0, 30_000)).toEqual({ accept: true, leader: 'r1' });
        expect(await b.ha.check(t, 'prom', 'r2', T0 + 1000, 30_000)).toEqual({ accept: false, leader: 'r1' });
        expect((await b.ha.check(t, 'prom', 'r1', T0 + 20_000, 30_000)).accept).toBe(true);
        // r1 heartbeat at 20 s (refresh after the 15 s update timeout): r2 still refused at 45 s.
        expect((await a.ha.check(t, 'prom', 'r2', T0 + 45_000, 30_000)).accept).toBe(false);
        // r1 silent for more than 30 s: r2 takes over, and r1 is then refused.
        expect(await a.ha.check(t, 'prom', 'r2', T0 + 51_000, 30_000)).toEqual({
          accept: true,
          leader: 'r2',
        });
        expect(await b.ha.check(t, 'prom', 'r1', T0 + 52_000, 30_000)).toEqual({
          accept: false,
          leader: 'r2',
        });
        // Clusters are independent.
        expect((await b.ha.check(t, 'other', 'r1', T0 + 52_000, 30_000)).accept).toBe(true);
      });

      it('lets exactly one of two racing replicas win an election', async () => {
        const [a, b] = await open();
        const t = tenant();
        const [x, y] = await Promise.all([
          a.ha.check(t, 'race', 'ra', T0, 30_000),
          b.ha.check(t, 'race', 'rb', T0, 30_000),
        ]);
        expect([x.accept, y.accept].filter(Boolean)).toHaveLength(1);
        expect(x.leader).toBe(y.leader);
      });
    });

    describe('usage ledger', () => {
      it('adds counters atomically per minute from two instances', async () => {
        const [a, b] = await open();
        const t = tenant();
        await Promise.all([
          a.usage.add(t, T0, { accepted: 10, requests: 1 }),
          b.usage.add(t, T0, { accepted: 5, requests: 1, 'discarded.max-series': 2 }),
          b.usage.add(t, T0 + 60_000, { accepted: 1 }),
        ]);
        expect(await a.usage.read(t, T0, T0 + 60_000)).toEqual([
          { minuteMs: T0, counts: { accepted: 15, requests: 2, 'discarded.max-series': 2 } },
          { minuteMs: T0 + 60_000, counts: { accepted: 1 } },
        ]);
        expect(await a.usage.read(t, T0 + 60_000, T0 + 60_000)).toHaveLength(1);
      });
    });

    describe('tenant limits', () => {
      it('stores versioned overrides and refuses a stale version', async () => {
        const [a, b] = await open();
        const t = tenant();
        expect(await a.limits.get(t)).toBeUndefined();
        const first = await a.limits.put(t, { ingestionRate: 5 }, 0, '2026-01-01T00:00:00Z');
        expect(first.version).toBe(1);
        await expect(b.limits.put(t, { ingestionRate: 6 }, 0, '2026-01-01T00:00:01Z')).rejects.toBeInstanceOf(
          ConflictError,
        );
        await b.limits.put(t, { ingestionRate: 7, ha: { enabled: true } }, 1, '2026-01-01T00:00:02Z');
        expect(await a.limits.get(t)).toEqual({
          tenantId: t,
          overrides: { ingestionRate: 7, ha: { enabled: true } },
          version: 2,
          updatedAt: '2026-01-01T00:00:02Z',
        });
      });
    });

    describe('idempotency (Powertools persistence)', () => {
      const run = (store: IdempotencyStore, t: string, work: () => Promise<unknown>) =>
        makeIdempotent(async (_input: { tenantId: string; key: string; bodyHash: string }) => work(), {
          persistenceStore: store.persistenceFor(t),
          keyPrefix: 'IDEMPOTENCY',
          config: new IdempotencyConfig({
            eventKeyJmesPath: '[tenantId, key]',
            payloadValidationJmesPath: 'bodyHash',
            expiresAfterSeconds: 3600,
            hashFunction: 'sha256',
            lambdaContext: { getRemainingTimeInMillis: () => 25_000 } as never,
          }),
        });

      it('returns the first result to a retry on another instance without running again', async () => {
        const [a, b] = await open();
        const t = tenant();
        let runs = 0;
        const work = async () => ({ statusCode: 202, runs: ++runs });
        const input = { tenantId: t, key: 'k1', bodyHash: 'h1' };
        expect(await run(a.idempotency, t, work)(input)).toEqual({ statusCode: 202, runs: 1 });
        expect(await run(b.idempotency, t, work)(input)).toEqual({ statusCode: 202, runs: 1 });
        expect(runs).toBe(1);
        await expect(run(b.idempotency, t, work)({ ...input, bodyHash: 'other' })).rejects.toThrow(
          /Payload does not match/,
        );
      });

      it('refuses a concurrent duplicate while the first is in progress, and forgets a failed run', async () => {
        const [a, b] = await open();
        const t = tenant();
        let release!: () => void;
        const slow = () => new Promise<unknown>((r) => (release = () => r({ ok: true })));
        const input = { tenantId: t, key: 'k2', bodyHash: 'h' };
        const first = run(a.idempotency, t, slow)(input);
        await new Promise((r) => setTimeout(r, 200));
        await expect(run(b.idempotency, t, async () => ({ ok: 'dup' }))(input)).rejects.toThrow(
          /in progress/i,
        );
        release();
        expect(await first).toEqual({ ok: true });
        const failing = { tenantId: t, key: 'k3', bodyHash: 'h' };
        await expect(
          run(a.idempotency, t, async () => Promise.reject(new Error('boom')))(failing),
        ).rejects.toThrow('boom');
        expect(await run(b.idempotency, t, async () => ({ ok: 'second try' }))(failing)).toEqual({
          ok: 'second try',
        });
      });
    });

    describe('tenant data', () => {
      it('exports and deletes everything a tenant holds, and nothing of another tenant', async () => {
        const [a] = await open();
        const t = tenant();
        const other = tenant();
        for (const id of [t, other]) {
          await a.rate.take(id, 'samples', 1, { ratePerSecond: 10, burst: 10 }, T0);
          await a.series.admit(
            id,
            [{ id: 's', metric: 'm' }],
            { maxActiveSeries: 9, maxActiveSeriesPerMetric: 9 },
            T0,
          );
          await a.ha.check(id, 'c', 'r', T0, 30_000);
          await a.usage.add(id, T0, { accepted: 1 });
          await a.limits.put(id, { ingestionRate: 9 }, 0, '2026-01-01T00:00:00Z');
        }
        const holders: TenantDataHolder[] = [a.rate, a.series, a.ha, a.usage, a.limits, a.idempotency];
        const exported: unknown[] = [];
        for (const holder of holders) for await (const item of holder.exportTenant(t)) exported.push(item);
        expect(exported.length).toBeGreaterThanOrEqual(5);
        expect(JSON.stringify(exported)).not.toContain(other);
        for (const holder of holders) await holder.deleteTenant(t);
        for (const holder of holders) {
          const left: unknown[] = [];
          for await (const item of holder.exportTenant(t)) left.push(item);
          expect(left).toEqual([]);
        }
        expect(await a.limits.get(other)).toBeDefined();
        expect((await a.series.usage(other, T0)).activeSeries).toBe(1);
      });
    });
  });
}
