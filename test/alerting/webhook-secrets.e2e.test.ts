/**
 * Webhook signing secrets are customer-confidential: the alerts API seals them under the tenant's key
 * before the chain reaches the alert store, and only the notifier opens them, to sign a delivery.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertSummaryOf } from '#domain/alerting/events';
import { CIPHERTEXT_PREFIX } from '#ports/key-service';
import type { Delivery } from '#ports/notifier';
import { createNotificationProcessor } from '../../functions/notifier/app';
import { callApi } from '../support/api-call';
import { signedWith, useAlertingPlatform } from './support/alerting-platform';

const SECRET = 'sealed-webhook-secret-0123456789';
const now = Math.floor(Date.now() / 60_000) * 60_000 + 5_000;
const e2e = useAlertingPlatform('webhook-secrets', () => now);

const api = (method: string, path: string, body: unknown) =>
  callApi(e2e.platform, path, { token: e2e.adminToken, method, body, status: '2xx' });

describe('webhook secrets at rest (local platform)', () => {
  let chainId: string;

  it('stores the signing secret as ciphertext bound to the tenant', async () => {
    const chain = await api('POST', '/v1/escalation-chains', {
      name: 'sealed',
      stages: [{ recipients: [{ type: 'webhook', address: `${e2e.receiver.url}/hook`, secret: SECRET }] }],
    });
    chainId = chain['chainId'] as string;
    const stored = await e2e.platform.alerting.store.getChain(e2e.tenantId, chainId);
    const secret = stored?.stages[0]?.recipients[0]?.secret as string;
    expect(secret.startsWith(CIPHERTEXT_PREFIX)).toBe(true);
    expect(secret).not.toContain(SECRET);
    expect(Buffer.from(secret.slice(CIPHERTEXT_PREFIX.length), 'base64').toString('latin1')).not.toContain(
      SECRET,
    );
    // Nor anywhere in the database file.
    expect(readFileSync(join(e2e.platform.dataDir, 'alerts.sqlite')).toString('latin1')).not.toContain(
      SECRET,
    );
  });

  it('still signs deliveries with the secret itself', async () => {
    await api('POST', '/v1/alert-rules', {
      name: 'CPU sealed',
      metric: 'cpu_busy',
      threshold: '> 60 80 90',
      triggerInterval: 1,
      escalationChainId: chainId,
    });
    await e2e.ingestCpuBusy('db-1', 95);
    expect(e2e.receiver.received).toHaveLength(1);
    const hook = e2e.receiver.received[0]!;
    expect(signedWith(hook, SECRET, now)).toBe(true);
  });

  it('parks (never signs with ciphertext) when the notifier has no key service', async () => {
    const chain = await e2e.platform.alerting.store.getChain(e2e.tenantId, chainId);
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
    const [alert] = (await e2e.platform.alerting.store.listAlerts(e2e.tenantId, { limit: 1 })).items;
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
