/**
 * The console in a real browser (Debian Chromium via playwright-core) against the local platform:
 * a tenant's person is invited, sets a password, enrols TOTP (codes from otplib), sees a pushed series
 * drawn, sees an alert appear live and acknowledges it; the provider's person sees the ingest on the
 * platform view. Refusals: wrong password, wrong code, a reused code, lockout after 5 failures, and a
 * token of another tenant. Screenshots go to test/console/artifacts/ (git-ignored).
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { generateSync } from 'otplib';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { launchChromium } from './support/browser';
import { cognitoClient } from './support/cognito';
import {
  buildConsole,
  invitePerson as invitePersonOf,
  PASSWORD,
  signInThroughPage as signIn,
} from './support/console-session';

const ARTIFACTS = join(import.meta.dirname, 'artifacts');

let platform: TestPlatform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let consoleDir: string;
let tenant: { tenantId: string; adminToken: string };
let ingestKey: string;
const figures: Record<string, string> = {};

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

const invitePerson = (adminToken: string, email: string, role = 'admin') =>
  invitePersonOf(platform, adminToken, email, role);

const ingest = (payload: unknown) =>
  callApi(platform, '/v1/ingest', { token: ingestKey, method: 'POST', body: payload, status: 202 });

const busyPayload = (atSeconds: number, value: number) => ({
  resourceName: 'web-01',
  resourceIds: { 'system.hostname': 'web-01' },
  dataSource: 'LinuxCPU',
  instances: [
    { instanceName: 'cpu0', dataPoints: [{ dataPointName: 'busy', values: { [atSeconds]: value } }] },
  ],
});

const signInThroughPage = (page: Page, email: string, password: string, firstTime: boolean) =>
  signIn(page, platform.url, email, password, firstTime, () => shot(page, 'enrol-totp'));

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  consoleDir = await buildConsole();
  platform = await startTestPlatform({ consoleDir, alerting: { tickIntervalMs: 0 } });
  ({ browser, close: closeBrowser } = await launchChromium());
  tenant = await platform.createTenant('acme');
  ({ ingestKey } = await platform.createCollector(tenant.adminToken, 'dc1-collector'));
});

afterAll(async () => {
  await closeBrowser?.();
  await platform?.destroy();
  if (Object.keys(figures).length)
    writeFileSync(join(ARTIFACTS, 'figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
});

describe('the console in Chromium', () => {
  let page: Page;
  let secret: string;
  const email = 'ada@acme.example';

  it('serves the console at / with its CSP; its first load is within 200 KB of compressed JS, the PromQL editor a lazy chunk', async () => {
    const response = await fetch(platform.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await response.text();
    // The first load: what index.html references (its entry script and any modulepreload).
    const firstLoad = [...html.matchAll(/(?:src|href)="\/assets\/([^"]+\.js)"/g)].map((m) => m[1] as string);
    const gz = (f: string) => gzipSync(readFileSync(join(consoleDir, 'assets', f))).length;
    const js = readdirSync(join(consoleDir, 'assets')).filter((f) => f.endsWith('.js'));
    const lazy = js.filter((f) => !firstLoad.includes(f));
    expect(firstLoad.length).toBeGreaterThan(0);
    expect(lazy.some((f) => f.startsWith('promql-editor-'))).toBe(true);
    figures.firstLoadJsGzipBytes = String(firstLoad.reduce((n, f) => n + gz(f), 0));
    figures.promqlEditorChunkGzipBytes = String(
      lazy.filter((f) => f.startsWith('promql-editor-')).reduce((n, f) => n + gz(f), 0),
    );
    expect(Number(figures.firstLoadJsGzipBytes)).toBeLessThanOrEqual(200 * 1024);
  });

  it('invites a person, who sets a password and enrols TOTP before seeing anything', async () => {
    const invitation = await invitePerson(tenant.adminToken, email);
    expect(invitation.username).toBe(email);
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(platform.url);
    await shot(page, 'sign-in');
    secret = (await signInThroughPage(page, email, invitation.temporaryPassword, true)) as string;
    await expect.poll(() => page.getByRole('navigation', { name: 'Console' }).isVisible()).toBe(true);
    await expect.poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
    // Nothing left the platform's origin.
    expect(requests.filter((u) => !u.startsWith(platform.url) && !u.startsWith('data:'))).toEqual([]);
  });

  it('draws a series pushed through the ingest API in the explorer', async () => {
    const nowS = Math.floor(Date.now() / 1000);
    for (const [i, value] of [20, 35, 30, 42].entries())
      await ingest(busyPayload(nowS - 180 + i * 60, value));
    await page.goto(`${platform.url}/#/explore?metric=busy&filters=&range=3600`);
    const figure = page.locator('figure.chart');
    await expect.poll(() => figure.getAttribute('data-points'), { timeout: 15_000 }).toBe('4');
    await expect.poll(() => figure.locator('canvas').count()).toBe(1);
    expect(await page.locator('.u-legend').textContent()).toContain('busy');
    // The same series through PromQL (the Prometheus HTTP API's query_range, as Grafana calls it),
    // typed into the CodeMirror PromQL editor, which completes metric names from the tenant's own.
    const editor = page.getByLabel('PromQL (instead of metric and filters)');
    await page.locator('.cm-editor').waitFor();
    expect(await editor.getAttribute('contenteditable')).toBe('true');
    await editor.click();
    await page.keyboard.type('max_over_time(bu');
    const completion = page.locator('.cm-tooltip-autocomplete');
    await expect.poll(() => completion.textContent(), { timeout: 10_000 }).toContain('busy');
    await page.keyboard.press('Escape');
    await page.keyboard.type('sy[5m])');
    await expect.poll(() => page.locator('.cm-content').textContent()).toBe('max_over_time(busy[5m])');
    await page.getByRole('button', { name: 'Run query' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent(), { timeout: 15_000 })
      .toContain('1 series');
    await expect.poll(async () => Number(await figure.getAttribute('data-points'))).toBeGreaterThan(4);
    await shot(page, 'explorer');
    await editor.fill('');
  });

  it('shows an alert live as it opens, and acknowledges it', async () => {
    await callApi(platform, '/v1/alert-rules', {
      token: tenant.adminToken,
      method: 'POST',
      body: {
        name: 'CPU busy',
        metric: 'busy',
        threshold: '> 60 80 90',
        windowSeconds: 120,
        aggregation: 'max',
        triggerInterval: 1,
        clearInterval: 1,
      },
      status: 201,
    });
    await page.getByRole('link', { name: 'Alerts' }).click();
    await expect.poll(() => page.getByText('No alerts.').isVisible()).toBe(true);
    await ingest(busyPayload(Math.floor(Date.now() / 1000), 95));
    await platform.alerting.tick();
    const row = page.locator('tr[data-state="open"]');
    await expect.poll(() => row.count(), { timeout: 10_000 }).toBe(1);
    expect(await row.textContent()).toContain('critical');
    // The alert's resource's log lines around its opening (the alert detail's logs).
    await callApi(platform, '/v1/logs/ingest', {
      token: ingestKey,
      method: 'POST',
      body: [
        {
          message: 'cpu0 throttled: thermal limit',
          severity: 'warn',
          resourceIds: { 'system.hostname': 'web-01' },
        },
      ],
      status: 202,
    });
    await row.getByRole('button', { name: /Log lines of CPU busy/ }).click();
    const lines = page.getByRole('region', { name: /Log lines of web-01/ });
    await expect
      .poll(() => lines.textContent(), { timeout: 10_000 })
      .toContain('cpu0 throttled: thermal limit');
    expect(await lines.textContent()).toContain('resource.system.hostname:web-01');
    await shot(page, 'alerts');
    await row.getByRole('button', { name: /Acknowledge/ }).click();
    await expect.poll(() => page.locator('tr[data-state="acknowledged"]').count()).toBe(1);
    const { alerts } = await callApi<{ alerts: { acknowledgedBy?: string }[] }>(platform, '/v1/alerts', {
      token: tenant.adminToken,
    });
    expect(alerts[0]?.acknowledgedBy).toMatch(/^console:/);
  });

  it('shows resources, collectors and usage', async () => {
    await callApi(platform, '/v1/resources', {
      token: tenant.adminToken,
      method: 'POST',
      body: { type: 'device', name: 'web-01', address: 'web-01', properties: { env: 'prod' } },
      status: 201,
    });
    await page.getByRole('link', { name: 'Overview' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'web-01', exact: true }).isVisible()).toBe(true);
    const latest = page.locator('tr', { hasText: 'busy{' });
    await expect.poll(() => latest.locator('td').nth(1).textContent(), { timeout: 15_000 }).toBe('95');
    await shot(page, 'overview');
    await page.getByRole('link', { name: 'Collectors' }).click();
    await expect.poll(() => page.getByRole('cell', { name: 'dc1-collector' }).isVisible()).toBe(true);
    await shot(page, 'collectors');
    await page.getByRole('link', { name: 'Usage' }).click();
    await expect
      .poll(() => page.getByRole('cell', { name: 'Active series', exact: true }).isVisible())
      .toBe(true);
    await shot(page, 'usage');
  });

  it('is usable at phone width', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole('link', { name: 'Alerts' }).click();
    await expect.poll(() => page.locator('tr[data-alert-id]').count()).toBe(1);
    // Runs in the page (the test's own types have no DOM).
    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow as number).toBeLessThanOrEqual(0);
    await shot(page, 'alerts-phone');
    await page.setViewportSize({ width: 1280, height: 900 });
  });

  it('draws 10 series × 1 day at 15 s (57,600 points) and reports the render time', async () => {
    const nowS = Math.floor(Date.now() / 1000 / 15) * 15;
    const firstS = nowS - 86_400 + 60;
    // At most 1,000 values per datapoint in one push: the day goes in chunks of 1,000 steps.
    for (let chunkS = firstS; chunkS <= nowS; chunkS += 1000 * 15) {
      const values = (i: number) => {
        const out: Record<string, number> = {};
        for (let t = chunkS; t <= Math.min(nowS, chunkS + 999 * 15); t += 15)
          out[t] = Math.round(50 + 40 * Math.sin(t / 3600 + i));
        return out;
      };
      await ingest({
        resourceName: 'bench',
        resourceIds: { 'system.hostname': 'bench' },
        dataSource: 'Bench',
        instances: Array.from({ length: 10 }, (_, i) => ({
          instanceName: `i${i}`,
          dataPoints: [{ dataPointName: 'bench_load', values: values(i) }],
        })),
      });
    }
    await page.goto(`${platform.url}/#/explore?metric=bench_load&filters=&range=86400`);
    await page.getByLabel('Step').selectOption('15');
    await page.getByRole('button', { name: 'Run query' }).click();
    const figure = page.locator('figure.chart');
    await expect.poll(() => figure.getAttribute('data-points'), { timeout: 20_000 }).toBe(String(10 * 5757));
    figures.render10x1dMs = (await figure.getAttribute('data-render-ms')) as string;
    expect(Number(figures.render10x1dMs)).toBeGreaterThan(0);
  });

  describe('refusals', () => {
    const cognito = () => cognitoClient(platform.url);

    it('refuses a wrong password, and says so on the page', async () => {
      const other = await (await browser.newContext()).newPage();
      await signInThroughPage(other, email, 'Not-the-password-1', false);
      await expect
        .poll(() => other.getByRole('status').textContent())
        .toContain('Incorrect username or password');
      await other.close();
    });

    it('refuses a wrong code and a code already used', async () => {
      const c = cognito();
      const first = await c.initiate(email, PASSWORD);
      expect(first.body.ChallengeName).toBe('SOFTWARE_TOKEN_MFA');
      const wrongCode = String((Number(generateSync({ secret })) + 1) % 1_000_000).padStart(6, '0');
      const wrong = await c.respond('SOFTWARE_TOKEN_MFA', first.body.Session, {
        USERNAME: email,
        SOFTWARE_TOKEN_MFA_CODE: wrongCode,
      });
      expect(wrong).toMatchObject({ status: 400, body: { __type: 'CodeMismatchException' } });

      // A code is good once: the enrolment (or a sign-in in this 30 s step) has spent the current one.
      const code = generateSync({ secret });
      const again = await c.initiate(email, PASSWORD);
      const firstUse = await c.respond('SOFTWARE_TOKEN_MFA', again.body.Session, {
        USERNAME: email,
        SOFTWARE_TOKEN_MFA_CODE: code,
      });
      const third = await c.initiate(email, PASSWORD);
      const reuse = await c.respond('SOFTWARE_TOKEN_MFA', third.body.Session, {
        USERNAME: email,
        SOFTWARE_TOKEN_MFA_CODE: code,
      });
      expect(reuse).toMatchObject({ status: 400, body: { __type: 'CodeMismatchException' } });
      expect([firstUse.status, reuse.status]).toContain(400);
    });

    it('locks a login after 5 failed attempts, even for the right password', async () => {
      const invitation = await invitePerson(tenant.adminToken, 'grace@acme.example', 'read-only');
      const c = cognito();
      for (let i = 0; i < 5; i++) {
        const wrong = await c.initiate(invitation.username, `Wrong-password-${i}`);
        expect(wrong.body.__type).toBe('NotAuthorizedException');
      }
      const right = await c.initiate(invitation.username, invitation.temporaryPassword);
      expect(right).toMatchObject({ status: 400, body: { message: 'Password attempts exceeded' } });
    });

    it("refuses another tenant's token on this tenant's alert, and a token whose tenant was edited", async () => {
      const other = await platform.createTenant('globex');
      const invitation = await invitePerson(other.adminToken, 'eve@globex.example');
      const { idToken } = await cognito().enrol(invitation.username, invitation.temporaryPassword, PASSWORD);
      const { alerts } = await callApi<{ alerts: { alertId: string }[] }>(platform, '/v1/alerts', {
        token: tenant.adminToken,
      });
      const alertId = alerts[0]?.alertId as string;
      await callApi(platform, `/v1/alerts/${alertId}`, { token: idToken, status: 404 });
      await callApi(platform, `/v1/alerts/${alertId}/ack`, { token: idToken, method: 'POST', status: 404 });
      expect(
        (await callApi<{ alerts: unknown[] }>(platform, '/v1/alerts', { token: idToken })).alerts,
      ).toEqual([]);

      const [head, payload, signature] = idToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
      const forged = Buffer.from(JSON.stringify({ ...claims, 'custom:tenant_id': tenant.tenantId })).toString(
        'base64url',
      );
      await callApi(platform, '/v1/alerts', { token: `${head}.${forged}.${signature}`, status: 401 });
      // A tenant's console token is not the provider's.
      await callApi(platform, '/admin/v1/tenants', { token: idToken, status: 401 });
    });

    it('records sign-ins, enrolments and failures in the tenant audit log', async () => {
      const { items } = await callApi<{ items: { action: string; outcome: string; reason?: string }[] }>(
        platform,
        '/v1/audit-events?action=console.',
        { token: tenant.adminToken },
      );
      const seen = new Set(items.map((e) => `${e.action} ${e.outcome} ${e.reason ?? ''}`.trim()));
      for (const expected of [
        'console.password-change success',
        'console.mfa-enrol success',
        'console.login success',
        'console.login failure wrong password',
        'console.login failure wrong code',
        'console.login failure code reused',
        'console.login failure locked after repeated failures',
      ])
        expect(seen).toContain(expected);
    });
  });

  it("shows the provider the platform's ingest", async () => {
    const invitation = await callApi<{ username: string; temporaryPassword: string }>(
      platform,
      '/admin/v1/console-users',
      {
        token: platform.providerAdminToken,
        method: 'POST',
        body: { email: 'ops@provider.example' },
        status: 201,
      },
    );
    await platform.platformMetrics.flush(true);
    const provider = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    await signInThroughPage(provider, invitation.username, invitation.temporaryPassword, true);
    await expect
      .poll(() => provider.getByRole('heading', { name: 'Platform health' }).isVisible())
      .toBe(true);
    const accepted = provider.locator('figure', { hasText: 'Datapoints accepted' });
    await expect
      .poll(async () => Number(await accepted.getAttribute('data-points')), { timeout: 15_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => provider.getByRole('cell', { name: 'acme' }).isVisible()).toBe(true);
    // The alert pass earlier in this file measured its lag; the other gaps are drawn (empty or not).
    const lag = provider.locator('figure', { hasText: 'Alert evaluator lag (s)' });
    await expect.poll(async () => Number(await lag.getAttribute('data-points'))).toBeGreaterThan(0);
    for (const title of ['Notification failures', 'Spill queue depth (batches parked)'])
      expect(await provider.locator('figure', { hasText: title }).count()).toBe(1);
    await shot(provider, 'provider');
  });
});
