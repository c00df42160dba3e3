/**
 * The provider view's gaps, fed locally by the same EMF metrics the functions emit in AWS: evaluator
 * lag after a pass, notification failures when a webhook cannot be reached, and the spill queue depth
 * while the metric store is down (and its 0 once replayed).
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnavailableError } from '#domain/errors';
import type { MetricStore } from '#ports/metric-store';
import { callApi } from '../support/api-call';
import { webPointPayload } from '../support/native-payload';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let platform: TestPlatform;
let storeDown = false;
let tenant: { tenantId: string; adminToken: string };
let ingestKey: string;

/** A loopback port nothing listens on: connections are refused at once. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

beforeAll(async () => {
  platform = await startTestPlatform({
    alerting: { tickIntervalMs: 0, webhook: { allowLoopback: true, maxAttempts: 1 } },
    spillReplayIntervalMs: 100,
    wrapMetricStore: (store: MetricStore) =>
      new Proxy(store, {
        get(target, name, receiver) {
          const value = Reflect.get(target, name, receiver);
          if (name !== 'write' || typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (storeDown) return Promise.reject(new UnavailableError('metric store unavailable (test)', 1));
            return value.apply(target, args);
          };
        },
      }),
  });
  tenant = await platform.createTenant('acme');
  ({ ingestKey } = await platform.createCollector(tenant.adminToken, 'c1'));
});

afterAll(async () => {
  await platform?.destroy();
});

const points = async (metric: string) => {
  await platform.platformMetrics.flush(true);
  const toMs = Date.now() + 60_000;
  const series = await platform.platformMetrics.query({
    metric,
    filters: {},
    fromMs: toMs - 3_600_000,
    toMs,
    aggregation: 'avg',
  });
  return series.flatMap((s) => s.points.map((p) => Number(p[1])));
};

const ingest = (value: number) =>
  callApi(platform, '/v1/ingest', {
    token: ingestKey,
    method: 'POST',
    status: 202,
    body: webPointPayload('busy', Math.floor(Date.now() / 1000), value),
  });

describe('provider view metrics, locally', () => {
  it('records the alert evaluator lag of a pass', async () => {
    expect(await points('AlertEvaluatorLagSeconds')).toEqual([]);
    await platform.alerting.tick();
    const lag = await points('AlertEvaluatorLagSeconds');
    expect(lag.length).toBeGreaterThan(0);
    expect(lag.every((s) => s >= 0 && s < 60)).toBe(true);
  });

  it('counts a notification that could not be delivered as a failure', async () => {
    const chain = await callApi<{ chainId: string }>(platform, '/v1/escalation-chains', {
      token: tenant.adminToken,
      method: 'POST',
      status: 201,
      body: {
        name: 'hook',
        stages: [{ recipients: [{ type: 'webhook', address: `http://127.0.0.1:${await closedPort()}/x` }] }],
      },
    });
    await callApi(platform, '/v1/alert-rules', {
      token: tenant.adminToken,
      method: 'POST',
      status: 201,
      body: { name: 'busy', metric: 'busy', threshold: '> 90', escalationChainId: chain.chainId },
    });
    await ingest(99);
    await platform.alerting.idle();
    await expect.poll(async () => (await points('NotificationFailures')).reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('reports the spill queue depth while the store is down, and 0 once replayed', async () => {
    storeDown = true;
    await ingest(1);
    await ingest(2);
    await expect
      .poll(async () => Math.max(0, ...(await points('SpillQueueDepth'))))
      .toBeGreaterThanOrEqual(1);
    storeDown = false;
    await expect.poll(async () => (await points('SpillQueueDepth')).at(-1), { timeout: 10_000 }).toBe(0);
  });
});
