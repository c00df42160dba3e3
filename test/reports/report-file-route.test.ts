/**
 * GET /v1/report-files/{token} on the local platform over HTTP: the link a scheduled report's e-mail
 * carries opens the PDF without a bearer token (no-store, audited in the tenant's log); an altered
 * token, another tenant's file, an expired link or an offboarded tenant's link never does.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORT_LINK_TTL_MS } from '#ports/report-files';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const PDF = Buffer.from('%PDF-1.7 the March report');
let now = Date.parse('2026-04-01T01:00:00Z');
let platform: TestPlatform;

beforeAll(async () => {
  platform = await startTestPlatform({ clock: { now: () => new Date(now) } });
});
afterAll(async () => {
  await platform?.destroy();
});

const pathOf = (link: string) => new URL(link).pathname;

describe('report links (local platform, HTTP)', () => {
  it("opens the tenant's PDF by its link alone, and records the opening in the tenant's audit log", async () => {
    const tenant = await platform.createTenant('links-a');
    const link = await platform.reports.files.put(tenant.tenantId, 'reports/s1/2026-03-01.pdf', PDF);
    expect(link.startsWith(`${platform.url}/v1/report-files/`)).toBe(true);
    const r = await platform.request(pathOf(link));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('application/pdf');
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="2026-03-01.pdf"');
    expect(Buffer.from(await r.arrayBuffer())).toEqual(PDF);
    const audit = await platform.request('/v1/audit-events?action=report-file.open', {
      token: tenant.adminToken,
    });
    const events = ((await audit.json()) as { items?: { action: string; target?: string }[] }).items ?? [];
    expect(events.filter((e) => e.action === 'report-file.open').map((e) => e.target)).toEqual([
      'report-file/reports/s1/2026-03-01.pdf',
    ]);
  });

  it('answers 404 with a JSON error for an altered token or one naming another tenant, never the file', async () => {
    const a = await platform.createTenant('links-b');
    const b = await platform.createTenant('links-c');
    const linkA = await platform.reports.files.put(a.tenantId, 'reports/s1/x.pdf', PDF);
    const [payloadA, macA] = pathOf(linkA).split('/').pop()!.split('.') as [string, string];
    const claims = JSON.parse(Buffer.from(payloadA, 'base64url').toString());
    const toB = Buffer.from(JSON.stringify({ ...claims, t: b.tenantId })).toString('base64url');
    for (const token of [
      `${toB}.${macA}`,
      `${payloadA}.${macA.slice(0, 10)}${macA[10] === 'x' ? 'y' : 'x'}${macA.slice(11)}`,
      'x'.repeat(300),
    ]) {
      const r = await platform.request(`/v1/report-files/${token}`);
      expect(r.status, token).toBe(404);
      expect(r.headers.get('content-type')).toContain('application/json');
      const body = (await r.json()) as { error: { code: string; field: string } };
      expect(body.error).toMatchObject({ code: 'not_found', field: 'token' });
    }
  });

  it('answers 410 once the link is 30 days old, and 404 once the tenant is offboarded', async () => {
    const tenant = await platform.createTenant('links-d');
    const link = await platform.reports.files.put(tenant.tenantId, 'reports/s2/2026-03-01.pdf', PDF);
    now += REPORT_LINK_TTL_MS;
    const expired = await platform.request(pathOf(link));
    expect(expired.status).toBe(410);
    expect(((await expired.json()) as { error: { code: string } }).error.code).toBe('gone');
    now -= REPORT_LINK_TTL_MS;
    expect((await platform.request(pathOf(link))).status).toBe(200);
    await platform.offboard(tenant.tenantId);
    const after = await platform.request(pathOf(link));
    expect(after.status).toBe(404);
    expect(Buffer.from(await after.arrayBuffer()).includes(PDF)).toBe(false);
    // Offboarding erased the tenant's PDFs with its other data (and left other tenants' alone).
    expect(existsSync(join(platform.dataDir, 'reports', tenant.tenantId))).toBe(false);
    expect(readdirSync(join(platform.dataDir, 'reports')).length).toBeGreaterThan(0);
  });
});
