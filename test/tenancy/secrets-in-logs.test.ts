/**
 * Secrets never reach the logs: run every kind of request — successes, failed authentications, bad
 * input carrying secrets, a dependency failure that ends in a logged 500, offboarding — at DEBUG log
 * level with everything the Powertools logger (and anything else) writes captured, then scan it.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { KeyService } from '#ports/key-service';
import { PROVIDER_TOKEN, startHarness } from './support/harness';

describe('logs', () => {
  let captured: string[] = [];
  let previousLevel: string | undefined;
  beforeEach(() => {
    captured = [];
    previousLevel = process.env.POWERTOOLS_LOG_LEVEL;
    process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
    const capture =
      (_stream: NodeJS.WriteStream) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        captured.push(String(chunk));
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture(process.stdout) as never);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture(process.stderr) as never);
    for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        captured.push(
          args.map((a) => (a instanceof Error ? `${a.message} ${a.stack}` : JSON.stringify(a))).join(' '),
        );
      });
  });
  afterEach(() => {
    vi.restoreAllMocks();
    if (previousLevel === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = previousLevel;
  });

  it('never contain a token, key, device secret or personal data', async () => {
    let failEncryption = false;
    const h = await startHarness('sqlite', undefined, {
      wrapKeys: (keys): KeyService => ({
        createTenantKey: (t) => keys.createTenantKey(t),
        decrypt: (s, c) => keys.decrypt(s, c),
        destroyTenantKey: (t, k) => keys.destroyTenantKey(t, k),
        encrypt: async (scope, plaintext) => {
          if (failEncryption) throw new Error(`KMS unavailable for ${scope.field}`);
          return keys.encrypt(scope, plaintext);
        },
      }),
    });
    const secrets: string[] = [PROVIDER_TOKEN];
    const { tenantId, adminToken } = await h.onboard('acme');
    secrets.push(adminToken);
    const { body: collector } = await h.call('POST', '/v1/collectors', {
      token: adminToken,
      body: { name: 'c' },
    });
    secrets.push(collector.ingestKey);
    const { body: token } = await h.call('POST', '/v1/tokens', {
      token: adminToken,
      body: { name: 'ci', role: 'operator' },
    });
    secrets.push(token.token);
    const rotated = await h.call('POST', `/v1/tokens/${token.tokenId}/rotate`, { token: adminToken });
    secrets.push(rotated.body.token);
    const community = 'LOGSCAN-community-7d1f';
    const password = 'LOGSCAN-password-93ab';
    const email = 'logscan.person@example.com';
    secrets.push(community, password, email, 'LOGSCAN Person', '+447700900123');
    await h.call('POST', '/v1/device-credentials', {
      token: adminToken,
      body: { name: 'snmp', type: 'snmp-v2c', secrets: { community } },
    });
    await h.call('POST', '/v1/users', {
      token: adminToken,
      body: { name: 'LOGSCAN Person', email, phone: '+447700900123', role: 'admin' },
    });
    // Bad input that carries secrets: a wrong type next to a password, unknown fields, broken JSON.
    const invalid = await h.call('POST', '/v1/device-credentials', {
      token: adminToken,
      body: { name: 'x', type: 'http-basic', secrets: { username: 'u', password, extra: community } },
    });
    expect(invalid.status).toBe(422);
    await h.call('POST', '/v1/device-credentials', {
      token: adminToken,
      rawBody: `{"secrets":{"community":"${community}"`,
    });
    // Failed authentications: wrong secret, revoked, malformed, wrong kind.
    await h.call('GET', '/v1/resources', { token: `${adminToken.slice(0, -5)}ZZZZZ` });
    await h.call('GET', '/v1/resources', { token: token.token });
    await h.call('GET', '/v1/resources', { token: `garbage-${password}` });
    await h.call('GET', '/v1/resources', { token: collector.ingestKey });
    await h.call('GET', '/admin/v1/tenants', { token: adminToken });
    // A dependency failure: the handler logs an error and answers a generic 500.
    failEncryption = true;
    const failed = await h.call('POST', '/v1/device-credentials', {
      token: adminToken,
      body: { name: 'snmp2', type: 'snmp-v2c', secrets: { community } },
    });
    expect(failed.status).toBe(500);
    expect(failed.text).not.toContain(community);
    failEncryption = false;
    expect((await h.offboard(tenantId)).body.state).toBe('succeeded');

    const logs = captured.join('\n');
    // The scan saw real log output (the 500 above is logged), so it cannot pass vacuously.
    expect(logs).toContain('unhandled error');
    for (const secret of secrets) {
      expect(logs, 'a secret reached the logs').not.toContain(secret);
      const secretPart = secret.split('_').slice(3).join('_');
      if (secretPart.length >= 20) expect(logs).not.toContain(secretPart);
    }
  });
});
