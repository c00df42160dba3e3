/**
 * The console's dashboards and editors in Chromium (playwright-core) against the local platform: a
 * dashboard is built in the page (the API's 422 shown on the widget field it names), saved and drawn
 * live (line chart, single value, alert list); a read-only person views it and gets no editor.
 * Screenshots go to test/console/artifacts/ (git-ignored).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { webPointPayload } from '../support/native-payload';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { launchChromium } from './support/browser';
import { buildConsole, invitePerson, signInThroughPage } from './support/console-session';

const ARTIFACTS = join(import.meta.dirname, 'artifacts');

let platform: TestPlatform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let tenant: { tenantId: string; adminToken: string };
let ingestKey: string;
let page: Page;
/** How far the platform's clock runs ahead of the real one: the collectors test moves it on. */
let platformAheadMs = 0;
/** A read-only person's page, signed in beside the editor's (the sign-ins are most of the setup). */
let viewer: Page;

const shot = (p: Page, name: string) =>
  p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });

const ingest = (name: string, value: number) =>
  callApi(platform, '/v1/ingest', {
    token: ingestKey,
    method: 'POST',
    status: 202,
    body: webPointPayload(name, Math.floor(Date.now() / 1000), value),
  });

async function signedInPage(email: string, role: string): Promise<Page> {
  const invitation = await invitePerson(platform, tenant.adminToken, email, role);
  const p = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signInThroughPage(p, platform.url, invitation.username, invitation.temporaryPassword, true);
  await p.getByRole('navigation', { name: 'Console' }).waitFor();
  return p;
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const consoleDir = await buildConsole();
  platform = await startTestPlatform({
    consoleDir,
    alerting: { tickIntervalMs: 0 },
    clock: { now: () => new Date(Date.now() + platformAheadMs) },
  });
  ({ browser, close: closeBrowser } = await launchChromium());
  tenant = await platform.createTenant('acme');
  ({ ingestKey } = await platform.createCollector(tenant.adminToken, 'dc1-collector'));
  [page, viewer] = await Promise.all([
    signedInPage('ed@acme.example', 'operator'),
    signedInPage('ro@acme.example', 'read-only'),
  ]);
});

afterAll(async () => {
  await closeBrowser?.();
  await platform?.destroy();
});

describe('dashboards in Chromium', () => {
  it('builds a dashboard in the page: the API’s 422 lands on the widget field, then it saves and draws live', async () => {
    await ingest('busy', 42);
    await page.getByRole('link', { name: 'Dashboards' }).click();
    await expect.poll(() => page.getByText('No dashboards yet.').isVisible()).toBe(true);
    await page.getByRole('link', { name: 'New dashboard' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Web tier');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.locator('#w0-title').fill('CPU busy');
    // The PromQL is left empty: the API refuses it and the message sits on that textarea.
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.locator('#w1-type').selectOption('single-value');
    await page.locator('#w1-title').fill('Busy now');
    await page.locator('#w1-promql').fill('max(busy)');
    await page.getByRole('button', { name: 'Add widget' }).click();
    await page.locator('#w2-type').selectOption('alert-list');
    await page.locator('#w2-title').fill('Open alerts');
    await page.getByRole('button', { name: 'Save dashboard' }).click();
    const promql = page.locator('#w0-promql');
    await expect.poll(() => promql.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#w0-promql-error').textContent()).toContain('promql must not be empty');
    // Runs in the page (the test's own types have no DOM).
    expect(await page.evaluate('document.activeElement.id')).toBe('w0-promql');
    await shot(page, 'dashboard-editor-error');

    await promql.fill('busy');
    await page.getByRole('button', { name: 'Save dashboard' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Web tier' }).isVisible()).toBe(true);
    const line = page.locator('figure', { hasText: 'CPU busy' });
    await expect.poll(() => line.getAttribute('data-points'), { timeout: 15_000 }).toBe('1');
    await expect.poll(() => page.locator('.single-value').textContent()).toBe('42');
    await expect
      .poll(() => page.locator('figure', { hasText: 'Open alerts' }).textContent())
      .toContain('No alerts.');
    const { items } = await callApi<{ items: { name: string; widgets: unknown[] }[] }>(
      platform,
      '/v1/dashboards',
      {
        token: tenant.adminToken,
      },
    );
    expect(items).toMatchObject([
      { name: 'Web tier', widgets: [{ promql: 'busy' }, { type: 'single-value' }, {}] },
    ]);
    await shot(page, 'dashboard');
  });

  it('edits a dashboard and keeps the change', async () => {
    await page.getByRole('link', { name: 'Edit' }).click();
    await expect.poll(() => page.locator('#w1-title').inputValue()).toBe('Busy now');
    await page.getByRole('button', { name: 'Remove widget 3' }).click();
    await page.getByRole('button', { name: 'Save dashboard' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Web tier' }).isVisible()).toBe(true);
    await expect.poll(() => page.locator('figure.widget').count()).toBe(2);
  });

  it('shows a read-only person the dashboard without an editor', async () => {
    await viewer.getByRole('link', { name: 'Dashboards' }).click();
    await viewer.getByRole('link', { name: 'Web tier' }).click();
    await expect.poll(() => viewer.locator('.single-value').textContent()).toBe('42');
    expect(await viewer.getByRole('link', { name: 'Edit' }).count()).toBe(0);
  });
});

describe('alert settings in Chromium', () => {
  it('adds an escalation chain: a bad address is shown on its stage box, by line', async () => {
    await page.getByRole('link', { name: 'Alert settings' }).click();
    const chainForm = page.getByRole('form', { name: 'chain form' });
    await chainForm.getByLabel('Name').fill('On call');
    await chainForm.getByLabel('Stage 1 recipients').fill('email oncall@acme.example\nemail not-an-address');
    await chainForm.getByRole('button', { name: 'Save chain' }).click();
    const box = chainForm.getByLabel('Stage 1 recipients');
    await expect.poll(() => box.getAttribute('aria-invalid')).toBe('true');
    expect(await chainForm.locator('.field-error').textContent()).toBe(
      'line 2 address: not an email address',
    );
    await box.fill('email oncall@acme.example\nsms +14155550100');
    await chainForm.getByRole('button', { name: 'Save chain' }).click();
    await expect.poll(() => chainForm.getByRole('status').textContent()).toBe('Added the chain.');
    const { chains } = await callApi<{ chains: { name: string; stages: unknown[] }[] }>(
      platform,
      '/v1/escalation-chains',
      { token: tenant.adminToken },
    );
    expect(chains).toMatchObject([
      {
        name: 'On call',
        stageIntervalSeconds: 900,
        stages: [{ recipients: [{ type: 'email' }, { type: 'sms', address: '+14155550100' }] }],
      },
    ]);
  });

  it('adds and changes an alert rule; the API’s 422 lands on the threshold and on the window', async () => {
    const ruleForm = page.getByRole('form', { name: 'rule form' });
    await ruleForm.getByLabel('Name').fill('CPU busy');
    await ruleForm.getByLabel('Metric').fill('busy');
    await ruleForm.getByLabel('Threshold').fill('>> 80');
    await ruleForm.getByLabel('Escalation chain').selectOption({ label: 'On call' });
    await ruleForm.getByRole('button', { name: 'Save rule' }).click();
    const threshold = ruleForm.getByLabel('Threshold');
    await expect.poll(() => threshold.getAttribute('aria-invalid')).toBe('true');
    await shot(page, 'alert-settings-error');
    await threshold.fill('> 60 80 90');
    await ruleForm.getByLabel('Window (seconds)').fill('5');
    await ruleForm.getByRole('button', { name: 'Save rule' }).click();
    const windowBox = ruleForm.getByLabel('Window (seconds)');
    await expect.poll(() => windowBox.getAttribute('aria-invalid')).toBe('true');
    expect(await threshold.getAttribute('aria-invalid')).toBeNull();
    expect(await ruleForm.locator('.field-error').count()).toBe(1);
    await windowBox.fill('120');
    await ruleForm.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => ruleForm.getByRole('status').textContent()).toBe('Added the rule.');
    const rules = page.getByRole('region', { name: 'Alert rules' });
    await expect.poll(() => rules.getByRole('cell', { name: 'On call' }).isVisible()).toBe(true);

    await rules.getByRole('button', { name: 'Change CPU busy' }).click();
    await expect.poll(() => ruleForm.getByLabel('Threshold').inputValue()).toBe('> 60 80 90');
    await ruleForm.getByLabel('Threshold').fill('> 70 85 95');
    await ruleForm.getByRole('button', { name: 'Save rule' }).click();
    await expect.poll(() => ruleForm.getByRole('status').textContent()).toBe('Saved the rule.');
    const { rules: stored } = await callApi<{ rules: { threshold: string; windowSeconds: number }[] }>(
      platform,
      '/v1/alert-rules',
      { token: tenant.adminToken },
    );
    expect(stored).toMatchObject([{ threshold: '> 70 85 95', windowSeconds: 120 }]);
  });

  it('schedules a downtime: an end before the start is shown on “Until”', async () => {
    const form = page.getByRole('form', { name: 'downtime form' });
    await form.getByLabel('Name').fill('Patch night');
    await form.getByLabel('From').fill('2030-01-02T22:00');
    await form.getByLabel('Until').fill('2030-01-02T21:00');
    await form.getByLabel('Resources').fill('web-01');
    await form.getByRole('button', { name: 'Save downtime' }).click();
    const until = form.getByLabel('Until');
    await expect.poll(() => until.getAttribute('aria-invalid')).toBe('true');
    expect(await form.locator('.field-error').textContent()).toBe('endsAt must be after startsAt');
    await until.fill('2030-01-03T02:00');
    await form.getByLabel('Rules').selectOption({ label: 'CPU busy' });
    await form.getByRole('button', { name: 'Save downtime' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Added the downtime.');
    const { downtimes } = await callApi<{
      downtimes: { name: string; resources: string[]; ruleIds: string[] }[];
    }>(platform, '/v1/downtimes', { token: tenant.adminToken });
    expect(downtimes).toMatchObject([{ name: 'Patch night', resources: ['web-01'] }]);
    expect(downtimes[0]?.ruleIds).toHaveLength(1);
    await shot(page, 'alert-settings');
  });

  it('changes a downtime with the version it shows; a change made meanwhile is refused, not lost', async () => {
    type Listed = {
      downtimeId: string;
      name: string;
      resources?: string[];
      ruleIds?: string[];
      version: number;
    };
    const listed = async () =>
      (await callApi<{ downtimes: Listed[] }>(platform, '/v1/downtimes', { token: tenant.adminToken }))
        .downtimes;
    const downtimes = page.getByRole('region', { name: 'Scheduled downtime' });
    const form = page.getByRole('form', { name: 'downtime form' });
    await downtimes.getByRole('button', { name: 'Change Patch night' }).click();
    await expect.poll(() => form.getByLabel('Name').inputValue()).toBe('Patch night');
    expect(await form.getByLabel('Resources').inputValue()).toBe('web-01');
    expect(await form.getByLabel('Until').inputValue()).toBe('2030-01-03T02:00');
    await form.getByLabel('Name').fill('Patch night (db too)');
    await form.getByLabel('Resources').fill('web-01, db-02');
    // Emptied: the change removes the rules from the downtime (null in the merge patch).
    await form.getByLabel('Rules').selectOption([]);
    await form.getByRole('button', { name: 'Save downtime' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toBe('Saved the downtime.');
    const [changed] = await listed();
    expect(changed).toMatchObject({
      name: 'Patch night (db too)',
      resources: ['web-01', 'db-02'],
      version: 2,
    });
    expect(changed?.ruleIds).toBeUndefined();
    await expect
      .poll(() => downtimes.getByRole('cell', { name: 'Patch night (db too)', exact: true }).isVisible())
      .toBe(true);

    // Someone else changes it while the form shows version 2: saving the form is refused with 409.
    await downtimes.getByRole('button', { name: 'Change Patch night (db too)' }).click();
    await expect.poll(() => form.getByLabel('Name').inputValue()).toBe('Patch night (db too)');
    await callApi(platform, `/v1/downtimes/${changed?.downtimeId}`, {
      token: tenant.adminToken,
      method: 'PATCH',
      body: { name: 'Changed elsewhere' },
      headers: { 'if-match': '"2"' },
    });
    await form.getByLabel('Name').fill('Overwrite attempt');
    await form.getByRole('button', { name: 'Save downtime' }).click();
    await expect.poll(() => form.getByRole('status').textContent()).toContain('newer version');
    expect(await listed()).toMatchObject([{ name: 'Changed elsewhere', version: 3 }]);
  });
});

describe('collectors in Chromium', () => {
  const beat = (ingestKey: string, version: string, queueDepth = 0) =>
    callApi(platform, '/v1/collector/heartbeat', {
      token: ingestKey,
      method: 'POST',
      body: { version, queueDepth, dropped: 0, state: queueDepth ? 'buffering' : 'connected' },
      status: 204,
    });

  it('shows each collector’s health from its heartbeats: up, down after its silence, never seen', async () => {
    // Runs last in the file: it moves the platform's clock on.
    const silent = await platform.createCollector(tenant.adminToken, 'dc2-collector');
    await platform.createCollector(tenant.adminToken, 'dc3-collector');
    await beat(ingestKey, '1.4.2');
    await beat(silent.ingestKey, '1.3.0', 17);
    platformAheadMs += 181_000; // past the default 180 s without a heartbeat
    await beat(ingestKey, '1.4.2');
    await page.getByRole('link', { name: 'Collectors' }).click();
    const row = (name: string) => page.locator('tr', { has: page.getByRole('cell', { name, exact: true }) });
    const cells = async (name: string) => (await row(name).locator('td').allTextContents()).slice(0, 5);
    await expect
      .poll(() => cells('dc1-collector'))
      .toEqual(['dc1-collector', 'up', expect.stringMatching(/ago$/), '1.4.2', '0 (connected)']);
    expect(await cells('dc2-collector')).toEqual([
      'dc2-collector',
      'down',
      expect.stringMatching(/^\d+s ago$/),
      '1.3.0',
      '17 (buffering)',
    ]);
    expect(await cells('dc3-collector')).toEqual(['dc3-collector', 'never seen', 'never', '—', '—']);
    expect(await row('dc2-collector').locator('time').getAttribute('datetime')).toMatch(/^\d{4}-\d\d-\d\dT/);
    await shot(page, 'collectors-health');
  });
});
