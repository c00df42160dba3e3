/**
 * Webhook signing secrets are customer-confidential: the alerts API seals them under the tenant's key
 * before the chain reaches the alert store, and only the notifier opens them, to sign a delivery.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotificationProcessor } from '../../functions/notifier/app';
import { alertSummaryOf } from '../../shared/domain/alerting/events';
import { verifyWebhook } from '../../shared/domain/alerting/webhook';
import { CIPHERTEXT_PREFIX } from '../../shared/ports/key-service';
import type { Delivery } from '../../shared/ports/notifier';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver';

const SECRET = 'sealed-webhook-secret-0123456789';
const now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
let platform: TestPlatform;
let receiver: WebhookReceiver;
let adminToken: string;
let ingestKey: string;
let tenantId: string;

beforeAll(async () => {
  receiver = await startWebhookReceiver();
  platform = await startTestPlatform({
    clock: { now: () => new Date(now) },
    alerting: {
      tickIntervalMs: 0,
      webhook: { retryDelayMs: () => 5, nowSeconds: () => Math.floor(now / 1000) },
    },
  });
  const tenant = await platform.createTenant('webhook-secrets');
  adminToken = tenant.adminToken;
  tenantId = tenant.tenantId;
  ({ ingestKey } = await platform.createCollector(adminToken));
});
afterAll(async () => {
  await platform?.destroy();
  await receiver?.close();
});

async function api(method: string, path: string, body: unknown) {
  const response = await platform.request(path, {
    method,
    token: adminToken,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, text).toBeLessThan(300);
  return JSON.parse(text) as Record<string, unknown>;
}

describe('webhook secrets at rest (local platform)', () => {
  let chainId: string;

  it('stores the signing secret as ciphertext bound to the tenant', async () => {
    const chain = await api('POST', '/v1/escalation-chains', {
      name: 'sealed',
      stages: [{ recipients: [{ type: 'webhook', address: `${receiver.url}/hook`, secret: SECRET }] }],
    });
    chainId = chain['chainId'] as string;
    const stored = await platform.alerting.store.getChain(tenantId, chainId);
    const secret = stored?.stages[0]?.recipients[0]?.secret as string;
    expect(secret.startsWith(CIPHERTEXT_PREFIX)).toBe(true);
    expect(secret).not.toContain(SECRET);
    expect(Buffer.from(secret.slice(CIPHERTEXT_PREFIX.length), 'base64').toString('latin1')).not.toContain(
      SECRET,
    );
    // Nor anywhere in the database file.
    expect(readFileSync(join(platform.dataDir, 'alerts.sqlite')).toString('latin1')).not.toContain(SECRET);
  });

  it('still signs deliveries with the secret itself', async () => {
    await api('POST', '/v1/alert-rules', {
      name: 'CPU sealed',
      metric: 'cpu_busy',
      threshold: '> 60 80 90',
      triggerInterval: 1,
      escalationChainId: chainId,
    });
    const response = await platform.request('/v1/ingest', {
      method: 'POST',
      token: ingestKey,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        resourceName: 'db-1',
        resourceIds: { 'system.hostname': 'db-1' },
        dataSource: 'CPU',
        instances: [
          {
            instanceName: 'cpu0',
            dataPoints: [{ dataPointName: 'cpu_busy', values: { [Math.floor(now / 1000)]: 95 } }],
          },
        ],
      }),
    });
    expect(response.status, await response.text()).toBe(202);
    await platform.alerting.idle();
    expect(receiver.received).toHaveLength(1);
    const hook = receiver.received[0]!;
    expect(
      verifyWebhook(SECRET, hook.raw, hook.headers['x-obs-signature'] as string, Math.floor(now / 1000)),
    ).toBe(true);
  });

  it('parks (never signs with ciphertext) when the notifier has no key service', async () => {
    const chain = await platform.alerting.store.getChain(tenantId, chainId);
    const delivered: Delivery[] = [];
    const parked: Delivery[] = [];
    const process = createNotificationProcessor({
      store: { getChain: async () => chain },
      channels: {
        webhook: { deliver: async (d) => void delivered.push(d) },
        email: { deliver: async () => undefined },
        sms: { deliver: async () => undefined },
      },
      deadLetters: { park: async (d) => void parked.push(d) },
    });
    const [alert] = (await platform.alerting.store.listAlerts(tenantId, { limit: 1 })).items;
    const outcome = await process(
      {
        ...alertSummaryOf(alert!, true),
        kind: 'alert',
        chainId,
        stage: 0,
        at: new Date(now).toISOString(),
      },
      'event-1',
    );
    expect(outcome).toEqual({ delivered: 0, parked: 1, deduplicated: 0, unconfirmed: 0 });
    expect(delivered).toEqual([]);
    expect(JSON.stringify(parked)).not.toContain(SECRET);
  });
});
