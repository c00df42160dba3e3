/**
 * GET /admin/v1/benchmarks on the local platform: eleven tenants' cpu_busy series and alerts, read
 * across tenants and published only as k-anonymous cells.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { alertIdTimePrefix } from '#domain/alerting/alert';
import { alert } from '../alerting/alert-store.contract';
import { startTestPlatform, type TestPlatform, tempDataDir } from '../support/platform';

const NOW = Date.UTC(2026, 5, 1);
const HOUR = 3_600_000;
let platform: TestPlatform;
const tenantIds: string[] = [];
const tenantNames: string[] = [];

beforeAll(async () => {
  const dataDir = tempDataDir();
  const metrics = new SqliteMetricStore(join(dataDir, 'metrics.sqlite'));
  platform = await startTestPlatform({ dataDir, metricStore: metrics, clock: { now: () => new Date(NOW) } });
  for (let t = 0; t < 11; t++) {
    const name = `benchmark-tenant-${t}`;
    const { tenantId } = await platform.createTenant(name);
    tenantIds.push(tenantId);
    tenantNames.push(name);
    // Linux: one host each (tenant 0: 30 hosts, a dominant share). Windows: tenants 0..8 only (9 tenants).
    const linuxHosts = t === 0 ? 30 : 1;
    const samples = [];
    for (let h = 0; h < linuxHosts; h++)
      for (let i = 1; i <= 3; i++)
        samples.push({
          metric: 'cpu_busy',
          dimensions: { datasource: 'Linux', host: `secret-host-${t}-${h}` },
          timestampMs: NOW - i * HOUR,
          value: 10 + t,
        });
    if (t < 9)
      samples.push({
        metric: 'cpu_busy',
        dimensions: { datasource: 'Windows', host: `secret-win-${t}` },
        timestampMs: NOW - HOUR,
        value: 50,
      });
    await metrics.write(tenantId, samples);
    // Alerts on datasource Ping: t + 1 each for tenants 1..10 (tenant 0 none), so 10 tenants, 65 alerts.
    if (t > 0)
      for (let a = 0; a <= t - 1; a++)
        await platform.alerting.store.putAlert(
          alert(tenantId, `${alertIdTimePrefix(NOW - 2 * HOUR)}a${t}x${a}`, {
            metric: 'ping_loss',
            dimensions: { datasource: 'Ping', host: `secret-host-${t}-0` },
            resource: `secret-host-${t}-0`,
            openedAt: new Date(NOW - 2 * HOUR).toISOString(),
            updatedAt: new Date(NOW - 2 * HOUR).toISOString(),
          }),
        );
  }
}, 30_000);

afterAll(async () => platform?.destroy());

interface Report {
  published: unknown[];
  suppressed: { dominated: number };
}

const benchmarks = (query = '', token = platform.providerAdminToken) =>
  platform.request(`/admin/v1/benchmarks${query}`, { token });

describe('GET /admin/v1/benchmarks', () => {
  it('publishes only k-anonymous cells and names no tenant or resource', async () => {
    const response = await benchmarks('?metric=cpu_busy');
    expect(response.status).toBe(200);
    const text = await response.text();
    const body = JSON.parse(text);
    // Linux: tenant 0 holds 30 of 40 series: suppressed though 11 tenants cover it. Windows: 9 tenants.
    // Ping alerts: 10 tenants, the largest 10 of 55 alerts: published; per-tenant counts 1..10.
    expect(body.published).toEqual([
      {
        kind: 'alerts',
        metric: 'ping_loss',
        datasource: 'Ping',
        tenants: 10,
        observations: 55,
        median: 5.5,
        p90: 9,
      },
    ]);
    expect(body.suppressed).toEqual({ tooFewTenants: 1, dominated: 1 });
    expect(body).toMatchObject({ k: 10, maxShare: 0.5, alertsCapped: false });
    for (const id of tenantIds) expect(text).not.toContain(id);
    for (const name of tenantNames) expect(text).not.toContain(name);
    expect(text).not.toContain('secret-');
  });

  it('k may be lowered to 5 but no further; the cell then publishes tenant medians', async () => {
    const low = (await (await benchmarks('?k=5&maxShare=0.5')).json()) as Report;
    // Windows (9 tenants, all 50) is now published; Linux stays dominated.
    expect(low.published).toContainEqual({
      kind: 'metric',
      metric: 'cpu_busy',
      datasource: 'Windows',
      tenants: 9,
      observations: 9,
      median: 50,
      p90: 50,
    });
    expect(low.suppressed.dominated).toBe(1);
    const tooLow = await benchmarks('?k=4');
    expect(tooLow.status).toBe(422);
    expect(((await tooLow.json()) as { error: { field: string } }).error.field).toBe('k');
    const share = await benchmarks('?maxShare=0.9');
    expect(share.status).toBe(422);
  });

  it('is for the provider only, and every read is in the provider audit trail', async () => {
    const tenant = await platform.createTenant('not-the-provider');
    expect((await benchmarks('', tenant.adminToken)).status).toBe(401);
    const audit = (await (
      await platform.request('/admin/v1/audit-events?limit=50', { token: platform.providerAdminToken })
    ).json()) as { items: { action: string }[] };
    expect(audit.items.map((e: { action: string }) => e.action)).toContain('benchmarks.read');
  });
});

describe('GET /admin/v1/benchmarks as CSV', () => {
  const expected =
    'kind,metric,datasource,tenants,observations,median,p90\r\nalerts,ping_loss,Ping,10,55,5.5,9\r\n';

  it('answers the published cells as CSV with format=csv, naming no tenant or resource', async () => {
    const response = await benchmarks('?metric=cpu_busy&format=csv');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const text = await response.text();
    expect(text).toBe(expected);
    for (const id of tenantIds) expect(text).not.toContain(id);
    expect(text).not.toContain('secret-');
  });

  it('answers CSV for Accept: text/csv, and format=json wins over the header', async () => {
    const byHeader = await platform.request('/admin/v1/benchmarks?metric=cpu_busy', {
      token: platform.providerAdminToken,
      headers: { accept: 'text/csv' },
    });
    expect(await byHeader.text()).toBe(expected);
    const asJson = await platform.request('/admin/v1/benchmarks?metric=cpu_busy&format=json', {
      token: platform.providerAdminToken,
      headers: { accept: 'text/csv' },
    });
    expect(asJson.headers.get('content-type')).toContain('application/json');
    expect(((await asJson.json()) as Report).published).toHaveLength(1);
    expect((await benchmarks('?format=xml')).status).toBe(422);
  });
});
