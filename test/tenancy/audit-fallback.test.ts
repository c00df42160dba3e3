import { afterEach, describe, expect, it, vi } from 'vitest';
import { startHarness } from './support/harness';

describe('audit of changes when the audit log is down', () => {
  afterEach(() => vi.restoreAllMocks());

  it('keeps the change, answers success and writes the redacted event to the function log', async () => {
    const lines: string[] = [];
    for (const stream of [process.stdout, process.stderr])
      vi.spyOn(stream, 'write').mockImplementation(((chunk: unknown) => {
        lines.push(String(chunk));
        return true;
      }) as never);
    let down = false;
    const h = await startHarness('sqlite', undefined, {
      wrapAudit: (audit) => ({
        query: (t, q, p) => audit.query(t, q, p),
        exportTenant: (t) => audit.exportTenant(t),
        deleteTenant: (t) => audit.deleteTenant(t),
        dataName: audit.dataName,
        // Authentication events still get through; change events fail.
        append: async (event) => {
          if (down && !event.action.startsWith('auth.')) throw new Error('audit table unavailable');
          return audit.append(event);
        },
      }),
    });
    const { tenantId, adminToken } = await h.onboard();
    down = true;
    const created = await h.call('POST', '/v1/device-credentials', {
      token: adminToken,
      body: { name: 'snmp', type: 'snmp-v2c', secrets: { community: 'FALLBACK-secret' } },
    });
    expect(created.status).toBe(201);
    expect(
      await h.tenants.getEntity('device-credential', tenantId, created.body.deviceCredentialId),
    ).toBeDefined();
    const logged = lines.join('\n');
    expect(logged).toContain('audit append failed');
    expect(logged).toContain('device-credential.create');
    expect(logged).not.toContain('FALLBACK-secret');
  });
});
