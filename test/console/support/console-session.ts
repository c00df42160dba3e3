/** What every console browser test does first: build the console, invite a person, sign in through the page. */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { generateSync } from 'otplib';
import type { Page } from 'playwright-core';
import { build } from 'vite';
import { callApi } from '../../support/api-call';
import type { TestPlatform } from '../../support/platform';

export const PASSWORD = 'Correct-Horse-42-battery';

const ROOT = join(import.meta.dirname, '../../..');
const WEB = join(ROOT, 'web');

/** What the build depends on: web/'s sources and the locked dependency versions. */
function buildInputsHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'dist' && entry.name !== 'node_modules') walk(path);
      } else hash.update(relative(ROOT, path)).update('\0').update(readFileSync(path)).update('\0');
    }
  };
  walk(WEB);
  hash.update(readFileSync(join(ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds web/ (the platform serves it at /) and returns the directory. Every browser test file needs
 * the same bundle: it is built once per content of web/ into node_modules/.cache and reused (a build
 * is seconds of the two CI cores). Files building at once each build aside and the first rename wins.
 */
export async function buildConsole(): Promise<string> {
  const dir = join(ROOT, 'node_modules/.cache/console-build', buildInputsHash());
  if (existsSync(join(dir, 'index.html'))) return dir;
  const aside = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await build({
    configFile: join(WEB, 'vite.config.ts'),
    build: { outDir: aside, emptyOutDir: true },
    logLevel: 'error',
  });
  try {
    renameSync(aside, dir);
  } catch (error) {
    // Another file's build got there first: the same inputs, so the same bundle.
    if (!existsSync(join(dir, 'index.html'))) throw error;
    rmSync(aside, { recursive: true, force: true });
  }
  return dir;
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
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  if (!firstTime) return undefined;
  await page.getByLabel('New password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save password' }).click();
  const secret = (await page.getByTestId('totp-secret').textContent()) as string;
  await onEnrol?.();
  await page.getByLabel('Code from the app').fill(generateSync({ secret }));
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  return secret;
}
