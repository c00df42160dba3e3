/**
 * The console's security-notice panel in Chromium against the local platform: a notice the provider
 * posts to the tenant shows above the overview for a tenant admin, who acknowledges it there; an
 * operator of the same tenant sees no panel (notices are the admins').
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { launchChromium } from './support/browser';
import { buildConsole, invitePerson, signInThroughPage } from './support/console-session';

let platform: TestPlatform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let tenant: { tenantId: string; adminToken: string };

beforeAll(async () => {
  const consoleDir = await buildConsole();
  platform = await startTestPlatform({ consoleDir, alerting: { tickIntervalMs: 0 } });
  ({ browser, close: closeBrowser } = await launchChromium());
  tenant = await platform.createTenant('notice-console');
});

afterAll(async () => {
  await closeBrowser?.();
  await platform?.destroy();
});

const signedIn = async (email: string, role: string): Promise<Page> => {
  const invitation = await invitePerson(platform, tenant.adminToken, email, role);
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  await signInThroughPage(page, platform.url, email, invitation.temporaryPassword, true);
  await expect.poll(() => page.getByRole('heading', { name: 'Overview' }).isVisible()).toBe(true);
  return page;
};

describe('security notices in the console', () => {
  it('shows an unacknowledged notice to a tenant admin, who acknowledges it', async () => {
    const incident = await callApi<{ incidentId: string }>(platform, '/admin/v1/incidents', {
      token: platform.providerAdminToken,
      method: 'POST',
      body: {
        title: 'Support tool exposure',
        text: 'Rotate tokens made before 1 December.',
        severity: 'high',
        tenants: [tenant.tenantId],
      },
      status: 201,
    });
    const page = await signedIn('admin@notice.example', 'admin');
    const panel = page.getByRole('region', { name: 'Security notices' });
    await expect.poll(() => panel.getByText('Support tool exposure').isVisible()).toBe(true);
    expect(await panel.textContent()).toContain('Rotate tokens made before 1 December.');
    await panel.getByRole('button', { name: 'Acknowledge Support tool exposure' }).click();
    await expect.poll(() => panel.getByText('Support tool exposure').count()).toBe(0);
    const { items } = await callApi<{ items: { incidentId: string; acknowledged: boolean }[] }>(
      platform,
      '/v1/notices',
      { token: tenant.adminToken },
    );
    expect(items).toEqual([expect.objectContaining({ incidentId: incident.incidentId, acknowledged: true })]);
  });

  it('shows no panel to an operator', async () => {
    await callApi(platform, '/admin/v1/incidents', {
      token: platform.providerAdminToken,
      method: 'POST',
      body: { title: 'Second notice', text: 'More.', severity: 'low', tenants: [tenant.tenantId] },
      status: 201,
    });
    const page = await signedIn('ops@notice.example', 'operator');
    // The overview has loaded its other parts; the notice never appears.
    await expect.poll(() => page.getByRole('heading', { name: 'Resources' }).isVisible()).toBe(true);
    await page.waitForLoadState('networkidle');
    expect(await page.getByText('Second notice').count()).toBe(0);
  });
});
