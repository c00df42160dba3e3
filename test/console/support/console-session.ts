/** What every console browser test does first: build the console, invite a person, sign in through the page. */
import { join } from 'node:path';
import { generateSync } from 'otplib';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { callApi } from '../../support/api-call';
import { type TestPlatform, tempDataDir } from '../../support/platform';

export const PASSWORD = 'Correct-Horse-42-battery';

/** Builds web/ into a fresh directory (the platform serves it at /); returns the directory. */
export async function buildConsole(): Promise<string> {
  const consoleDir = tempDataDir('console-dist-');
  await build({
    configFile: join(import.meta.dirname, '../../../web/vite.config.ts'),
    build: { outDir: consoleDir, emptyOutDir: true },
    logLevel: 'error',
  });
  return consoleDir;
}

/** A person of `adminToken`'s tenant with console access: their email and temporary password. */
export async function invitePerson(
  platform: TestPlatform,
  adminToken: string,
  email: string,
  role = 'admin',
) {
  const user = await callApi<{ userId: string }>(platform, '/v1/users', {
    token: adminToken,
    method: 'POST',
    body: { name: 'Ada Lovelace', email, role },
    status: 201,
  });
  const invitation = await callApi<{ username: string; temporaryPassword: string }>(
    platform,
    `/v1/users/${user.userId}/console-access`,
    { token: adminToken, method: 'POST', status: 201 },
  );
  return { ...invitation, userId: user.userId };
}

/**
 * Signs in through the page: password (and, first time, a new password and TOTP enrolment, calling
 * `onEnrol` while the secret is shown). Returns the TOTP secret on a first sign-in.
 */
export async function signInThroughPage(
  page: Page,
  url: string,
  email: string,
  password: string,
  firstTime: boolean,
  onEnrol?: () => Promise<void>,
): Promise<string | undefined> {
  await page.goto(url);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (!firstTime) return undefined;
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent()) as string;
  await onEnrol?.();
  await page.getByLabel('Code from the app').fill(generateSync({ secret }));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  return secret;
}
