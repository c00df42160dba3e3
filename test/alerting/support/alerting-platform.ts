/**
 * The platform of the alerting end-to-end tests: a local platform on a clock the test moves by hand,
 * the evaluator's timer off (tests tick it), webhooks retried after 5 ms and signed at the clock's
 * time, a real webhook receiver, and one tenant onboarded through the API with a collector.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import { verifyWebhook } from '#domain/alerting/webhook';
import type { PlatformOptions } from '../../../local/platform';
import { startTestPlatform, type TestPlatform } from '../../support/platform';
import { type ReceivedWebhook, startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

export interface AlertingPlatform {
  readonly platform: TestPlatform;
  readonly receiver: WebhookReceiver;
  readonly tenantId: string;
  readonly adminToken: string;
  readonly ingestKey: string;
  /**
   * POSTs one native payload of `cpu_busy` (data source CPU) on `host` at the clock's time: `instances`
   * series cpu0, cpu1, … each at `value`. Expects 202, then waits for the evaluation it starts.
   */
  ingestCpuBusy(host: string, value: number, instances?: number): Promise<void>;
}

/**
 * Starts the platform before the file's tests and stops it after them; `now` is the clock in epoch
 * milliseconds. The returned object is filled in by the `beforeAll` this registers.
 */
export function useAlertingPlatform(
  tenantName: string,
  now: () => number,
  /** More platform options (e.g. the report timer's). */
  options: Partial<PlatformOptions> = {},
): AlertingPlatform {
  const fixture = {} as { -readonly [K in keyof AlertingPlatform]: AlertingPlatform[K] };
  beforeAll(async () => {
    const receiver = await startWebhookReceiver();
    fixture.receiver = receiver;
    const platform = await startTestPlatform({
      clock: { now: () => new Date(now()) },
      alerting: {
        tickIntervalMs: 0,
        // The receiver is on 127.0.0.1: the local platform's explicit loopback setting.
        webhook: {
          retryDelayMs: () => 5,
          nowSeconds: () => Math.floor(now() / 1000),
          allowLoopback: true,
        },
      },
      ...options,
    });
    fixture.platform = platform;
    const { tenantId, adminToken } = await platform.createTenant(tenantName);
    const { ingestKey } = await platform.createCollector(adminToken);
    Object.assign(fixture, { tenantId, adminToken, ingestKey });
    fixture.ingestCpuBusy = async (host, value, instances = 1) => {
      const response = await platform.request('/v1/ingest', {
        method: 'POST',
        token: ingestKey,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          resourceName: host,
          resourceIds: { 'system.hostname': host },
          dataSource: 'CPU',
          instances: Array.from({ length: instances }, (_, i) => ({
            instanceName: `cpu${i}`,
            dataPoints: [{ dataPointName: 'cpu_busy', values: { [Math.floor(now() / 1000)]: value } }],
          })),
        }),
      });
      expect(response.status, await response.text()).toBe(202);
      await platform.alerting.idle();
    };
  });
  afterAll(async () => {
    await fixture.platform?.destroy();
    await fixture.receiver?.close();
  });
  return fixture;
}

/** Whether `hook` carries a valid signature with `secret` for the time `nowMs`. */
export const signedWith = (hook: ReceivedWebhook, secret: string, nowMs: number): boolean =>
  verifyWebhook(secret, hook.raw, hook.headers['x-obs-signature'] as string, Math.floor(nowMs / 1000));
