/**
 * A flood of unauthenticated requests cannot lock the provider out. The audit log is wrapped to
 * behave like a DynamoDB partition under load: each partition takes a bounded number of writes per
 * second and throttles beyond. Failed authentications are counted per source, reason and minute in
 * their own sharded partitions (with a TTL), not written one item each into the provider's partition,
 * and recording a failure never turns a refusal into anything but a refusal; so the provider
 * onboards tenants while the flood runs, and every flood request is a plain 401.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#domain/credentials';
import {
  type AuditEvent,
  type AuditLog,
  type AuthFailure,
  authFailurePartition,
  isAuthFailureLog,
} from '#ports/audit-log';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const WRITES_PER_PARTITION_PER_SECOND = 40;

class ThrottledPartition extends Error {
  override readonly name = 'ProvisionedThroughputExceededException';
  readonly $retryable = {};
}

/** Every write method of the audit log, throttled per partition like a hot DynamoDB partition. */
function hotPartitions<T extends AuditLog>(audit: T): T {
  const windows = new Map<string, { second: number; writes: number }>();
  const admit = (partition: string) => {
    const second = Math.floor(Date.now() / 1000);
    const window = windows.get(partition);
    if (!window || window.second !== second) windows.set(partition, { second, writes: 1 });
    else if (++window.writes > WRITES_PER_PARTITION_PER_SECOND)
      throw new ThrottledPartition('partition throttled');
  };
  return new Proxy(audit, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property === 'append')
        return async (event: AuditEvent) => {
          admit(`AUDIT#${event.tenantId}`);
          return target.append(event);
        };
      if (property === 'countAuthFailure' && isAuthFailureLog(target))
        return async (failure: AuthFailure) => {
          admit(authFailurePartition(failure));
          return target.countAuthFailure(failure);
        };
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

let platform: TestPlatform;
beforeAll(async () => {
  platform = await startTestPlatform({ wrapAudit: hotPartitions });
});
afterAll(async () => {
  await platform?.destroy();
});

describe('an unauthenticated flood', () => {
  it('does not stop the provider onboarding tenants, and is counted per source and minute', async () => {
    const flood = [
      () => platform.request('/v1/resources'),
      () => platform.request('/v1/resources', { token: 'not-a-token' }),
      () => platform.request('/v1/resources', { token: `obs_tenant_${newId()}_${'x'.repeat(43)}` }),
      () => platform.request('/admin/v1/tenants', { token: 'obs_provider_wrong' }),
    ];
    const FLOOD = 600;
    const statuses: number[] = [];
    let sent = 0;
    const floodWorker = async () => {
      while (sent < FLOOD) {
        const request = flood[sent++ % flood.length] as () => Promise<Response>;
        const response = await request();
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    };
    const onboarded: number[] = [];
    const onboard = async () => {
      for (let i = 0; i < 5; i++) {
        const response = await platform.request('/admin/v1/tenants', {
          method: 'POST',
          token: platform.providerAdminToken,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: `during-flood-${i}` }),
        });
        await response.arrayBuffer();
        onboarded.push(response.status);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await Promise.all([...Array.from({ length: 24 }, floodWorker), onboard()]);
    expect(onboarded).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(statuses)).toEqual(new Set([401]));
    expect(statuses).toHaveLength(FLOOD);

    // Counted, not listed: one row per source × reason × target × minute, with a TTL.
    const counts = await platform.authFailures();
    const total = counts.reduce((sum, c) => sum + c.count, 0);
    expect(total).toBeGreaterThan(0);
    expect(total).toBeLessThanOrEqual(FLOOD);
    expect(counts.length).toBeLessThanOrEqual(8);
    for (const c of counts) {
      expect(c.sourceIp).toBe('127.0.0.1');
      expect(c.expiresAt).toBeGreaterThan(Date.now() / 1000 + 6 * 86_400);
    }
    expect(counts.map((c) => c.reason).sort()).toEqual(
      expect.arrayContaining([
        'malformed token',
        'no token',
        'provider token mismatch',
        'unknown credential',
      ]),
    );
  }, 120_000);
});
