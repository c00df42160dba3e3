/**
 * The platform's website checks end to end on the local platform: three in-process locations check
 * a real HTTP server that can fail for chosen locations (it sees each location's header), results
 * and verdicts land in the tenant's metrics, and the managed rule opens and clears the alert.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { websiteRuleId } from '../../functions/website-checks/runner';
import { startTestPlatform, type TestPlatform } from '../support/platform';

let now = Date.UTC(2026, 11, 6, 12, 0, 0);
let platform: TestPlatform;
let site: Server;
let siteUrl: string;
let adminToken: string;
let tenantId: string;
/** Locations the site answers 503 to. */
const failFor = new Set<string>();
const seen: string[] = [];

beforeAll(async () => {
  site = createServer((req, res) => {
    const location = String(req.headers['x-obs-check-location']);
    seen.push(location);
    if (failFor.has(location)) {
      res.writeHead(503).end('down for maintenance');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Welcome to the shop</h1>');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`;
  platform = await startTestPlatform({
    clock: { now: () => new Date(now) },
    alerting: { tickIntervalMs: 0, webhook: { allowLoopback: true } },
    websiteChecks: {
      locations: ['ap-southeast-2', 'eu-west-1', 'us-east-1'],
      intervalMs: 0,
      allowLoopback: true,
    },
  });
  ({ tenantId, adminToken } = await platform.createTenant('website-checks'));
});

afterAll(async () => {
  await platform?.destroy();
  await new Promise((resolve) => site?.close(resolve));
});

async function api<T>(method: string, path: string, body?: unknown, status = 200): Promise<T> {
  const response = await platform.request(path, {
    method,
    token: adminToken,
    ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
  });
  const text = await response.text();
  expect(response.status, text).toBe(status);
  return JSON.parse(text) as T;
}

/** One pass a minute later, then one evaluator pass over what it wrote. */
async function minute() {
  now += 60_000;
  const report = await platform.websiteChecks.run();
  await platform.alerting.tick();
  return report;
}

const latest = async (metric: string, filters: Record<string, string>) => {
  const query = new URLSearchParams({ metric, from: String(now - 3_600_000), to: String(now), ...filters });
  const { series } = await api<{
    series: { dimensions: Record<string, string>; points: [number, number][] }[];
  }>('GET', `/v1/metrics/query?${query}`);
  return series;
};

describe('website checks from the platform', () => {
  it('checks a website from every location and stores each location as an instance', async () => {
    await api(
      'POST',
      '/v1/resources',
      {
        type: 'website',
        name: 'shop',
        address: siteUrl,
        poll: { http: { expectContent: 'Welcome', failedChecks: 2, locations: 'more-than-one' } },
      },
      201,
    );
    const report = await minute();
    expect(report).toMatchObject({ websitesChecked: 1, locationsReporting: 3, failing: 0 });
    expect(seen.sort()).toEqual(['ap-southeast-2', 'eu-west-1', 'us-east-1']);
    const up = await latest('Up', { datasource: 'WebsiteCheck' });
    expect(up.map((s) => s.dimensions['instance']).sort()).toEqual([
      'ap-southeast-2',
      'eu-west-1',
      'us-east-1',
    ]);
    expect(up.every((s) => s.points.at(-1)?.[1] === 1)).toBe(true);
    const responseTimes = await latest('ResponseTimeMs', {
      datasource: 'WebsiteCheck',
      instance: 'eu-west-1',
    });
    expect(responseTimes[0]?.points.at(-1)?.[1]).toBeGreaterThan(0);
    // The managed rule exists once the tenant has a checked website.
    const rule = await api<{ ruleId: string; metric?: string }>(
      'GET',
      `/v1/alert-rules/${websiteRuleId(tenantId)}`,
    );
    expect(rule.ruleId).toBe(websiteRuleId(tenantId));
  });

  it('does not alert while one location fails ("more than one" needs two)', async () => {
    failFor.add('eu-west-1');
    for (let i = 0; i < 3; i++) expect((await minute()).failing).toBe(0);
    const failing = await latest('LocationsFailing', { datasource: 'WebsiteCheck_Overall' });
    expect(failing[0]?.points.at(-1)?.[1]).toBe(1);
    const { alerts } = await api<{ alerts: unknown[] }>('GET', '/v1/alerts?status=open');
    expect(alerts).toHaveLength(0);
  });

  it('alerts after two failed checks from two locations, and clears when they recover', async () => {
    failFor.add('us-east-1');
    expect((await minute()).failing).toBe(0); // us-east-1 has failed once
    expect((await minute()).failing).toBe(1);
    const { alerts } = await api<{ alerts: Record<string, unknown>[] }>('GET', '/v1/alerts?status=open');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ severity: 'critical', ruleId: websiteRuleId(tenantId) });
    failFor.clear();
    await minute();
    await minute();
    const { alerts: open } = await api<{ alerts: unknown[] }>('GET', '/v1/alerts?status=open');
    expect(open).toHaveLength(0);
  });

  it('counts a location whose probe is down as not reporting, not as failing', async () => {
    platform.websiteChecks.probes.down.add('ap-southeast-2');
    failFor.add('eu-west-1');
    failFor.add('us-east-1');
    await minute();
    const report = await minute();
    expect(report).toMatchObject({ locationsReporting: 2, failing: 1 });
    const reporting = await latest('LocationsReporting', { datasource: 'WebsiteCheck_Overall' });
    expect(reporting[0]?.points.at(-1)?.[1]).toBe(2);
    platform.websiteChecks.probes.down.clear();
    failFor.clear();
  });

  it('never lets a tenant point the checker at the platform own network', async () => {
    await api(
      'POST',
      '/v1/resources',
      { type: 'website', name: 'metadata', address: 'http://169.254.169.254/latest/meta-data/' },
      201,
    );
    await minute();
    const up = await latest('Up', { datasource: 'WebsiteCheck', 'system.displayname': 'metadata' });
    expect(up).toHaveLength(3);
    expect(up.every((s) => s.points.at(-1)?.[1] === 0)).toBe(true);
  });
});
