/**
 * SLA reports leave out the windows of a downtime on a report resource's collector (or its group, or
 * naming its API id) as they do a downtime on the resource: checked against a hand computation, in
 * the domain and through slaReportFor on real local stores (tenant resources, alert store, metric
 * store), as the route and the scheduler compute it.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SqliteAlertStore } from '#adapters/local/sqlite-alert-store';
import { SqliteMetricStore } from '#adapters/local/sqlite-metric-store';
import { SqliteTenantStore } from '#adapters/local/sqlite-tenant-store';
import { TenantResourceDirectory } from '#adapters/tenancy/tenant-resource-directory';
import type { Downtime } from '#domain/alerting/downtime';
import { issueCredential, newId } from '#domain/credentials';
import type { Series } from '#domain/query';
import { computeSlaReport, slaReportInputSchema } from '#domain/reports/sla';
import type { LinkedResource } from '#domain/resource-identity';
import { slaReportFor } from '../../functions/alerts/sla-routes';

const T0 = Date.parse('2026-11-02T00:00:00Z');
const H = 3_600_000;
const series = (host: string, values: number[]): Series => ({
  metric: 'up',
  dimensions: { host },
  points: values.map((v, i) => [T0 + i * H, v] as const),
});
const downtime = (target: Partial<Downtime>): Downtime => ({
  tenantId: 't1',
  downtimeId: 'd-collector',
  name: 'collector upgrade',
  // Slots 3 and 4 of ten hourly slots.
  startsAt: T0 + 3 * H,
  endsAt: T0 + 5 * H,
  createdAt: '2026-11-01T00:00:00Z',
  ...target,
});
const input = slaReportInputSchema.parse({
  from: T0,
  to: T0 + 10 * H,
  stepSeconds: 3600,
  resources: ['a', 'b'],
  availability: { kind: 'metric', metric: 'up', by: 'host', operator: '>=', threshold: 1 },
});
// a is down in slots 2, 3 and 4; b in slot 6.
const data = [series('a', [1, 1, 0, 0, 0, 1, 1, 1, 1, 1]), series('b', [1, 1, 1, 1, 1, 1, 0, 1, 1, 1])];
const link = (resourceId: string, name: string, collectorId: string, groups: string[]): LinkedResource => ({
  resourceId,
  name,
  groups,
  properties: {},
  dependsOn: [],
  collectorId,
});
const links = { a: link('res-a', 'web-a', 'col-7', ['db']), b: link('res-b', 'web-b', 'col-8', []) };

describe('SLA reports and downtimes on what polls or holds a resource (hand-computed)', () => {
  it("excludes a downtime on the resource's collector from its denominator only", () => {
    const report = computeSlaReport(input, {
      series: data,
      downtimes: [downtime({ collectors: ['col-7'] })],
      links,
    });
    // a: slots 3–4 excluded; of the 8 left, slot 2 is down → 7 / 8. b (collector col-8): 9 / 10.
    expect(report.resources.map((r) => [r.resource, r.availability, r.excludedSeconds])).toEqual([
      ['a', 87.5, 2 * 3600],
      ['b', 90, 0],
    ]);
    expect(report.averageAvailability).toBe(88.75);
    // All at once: slots 3–4 count b alone (up); slots 2 and 6 fail → 8 / 10.
    expect(report.allOkAvailability).toBe(80);
    expect(report.excluded).toEqual([{ downtimeId: 'd-collector', name: 'collector upgrade', windows: 1 }]);
  });

  it('gives the same figure for a downtime on the group or on the API id, and the plain one without links', () => {
    for (const target of [{ groups: ['db'] }, { resources: ['res-a'] }, { resources: ['web-a'] }])
      expect(
        computeSlaReport(input, { series: data, downtimes: [downtime(target)], links }).resources[0]
          ?.availability,
        JSON.stringify(target),
      ).toBe(87.5);
    // Without knowing what polls a, a collector downtime says nothing about it: 7 up of 10.
    const unlinked = computeSlaReport(input, {
      series: data,
      downtimes: [downtime({ collectors: ['col-7'] })],
    });
    expect(unlinked.resources[0]).toMatchObject({ availability: 70, excludedSeconds: 0 });
  });

  it('links report resources to API resources through slaReportFor, on real local stores', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sla-collector-'));
    const tenants = new SqliteTenantStore(join(dir, 'tenants.sqlite'));
    const store = new SqliteAlertStore(join(dir, 'alerts.sqlite'));
    const metrics = new SqliteMetricStore(join(dir, 'metrics.sqlite'));
    const tenantId = newId();
    const at = new Date(T0 + 10 * H);
    const admin = issueCredential('tenant', tenantId, at, { role: 'admin', name: 'admin' });
    await tenants.createTenant(
      { tenantId, name: 't', status: 'active', createdAt: at.toISOString() },
      admin.record,
    );
    // The series' host value is the resource's address: linked by hostname, polled by col-7.
    await tenants.createEntity('resource', {
      tenantId,
      resourceId: 'res-a',
      type: 'device',
      name: 'web-a',
      address: 'a',
      properties: {},
      groups: [],
      dependsOn: [],
      collectorId: 'col-7',
      credentialIds: [],
      version: 1,
      createdAt: at.toISOString(),
    });
    await metrics.write(
      tenantId,
      data.flatMap((s) =>
        s.points.map(([timestampMs, value]) => ({
          metric: 'up',
          dimensions: s.dimensions,
          timestampMs,
          value,
        })),
      ),
    );
    await store.putDowntime({ ...downtime({ collectors: ['col-7'] }), tenantId });
    const sources = { store, metrics, clock: { now: () => at } };
    const withLinks = await slaReportFor(
      { ...sources, resources: new TenantResourceDirectory(tenants) },
      tenantId,
      input,
    );
    expect(withLinks.resources.map((r) => [r.resource, r.availability])).toEqual([
      ['a', 87.5],
      ['b', 90],
    ]);
    expect(withLinks.excluded.map((e) => e.downtimeId)).toEqual(['d-collector']);
    const without = await slaReportFor(sources, tenantId, input);
    expect(without.resources[0]?.availability).toBe(70);
  });
});
