/**
 * Passkeys in Chromium against the local twin of the console's user pool: a person signed in with
 * password and TOTP registers a passkey (a CDP virtual authenticator with user verification stands in
 * for the platform authenticator), signs out, and signs in with the passkey alone. The twin checks the
 * attestation and each assertion (signature on the ES256 key, challenge, origin, rpIdHash, sign
 * count): a replayed assertion, a forged signature and a person without a passkey are refused and
 * audited. WebAuthn needs a domain as relying party id, so the page is opened on `localhost`.
 */
import { createHash, createPrivateKey, sign } from 'node:crypto';
import type { Browser, CDPSession, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { launchChromium } from './support/browser';
import { cognitoClient } from './support/cognito';
import { buildConsole, invitePerson, signInThroughPage } from './support/console-session';

let platform: TestPlatform;
let browser: Browser;
let closeBrowser: () => Promise<void>;
let tenant: { tenantId: string; adminToken: string };
let page: Page;
let cdp: CDPSession;
let authenticatorId: string;
let consoleUrl: string;
const email = 'pat@acme.example';

beforeAll(async () => {
  const consoleDir = await buildConsole();
  platform = await startTestPlatform({ consoleDir, alerting: { tickIntervalMs: 0 } });
  consoleUrl = platform.url.replace('127.0.0.1', 'localhost');
  ({ browser, close: closeBrowser } = await launchChromium());
  tenant = await platform.createTenant('acme');
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  ({ authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  }));
});

afterAll(async () => {
  await closeBrowser?.();
  await platform?.destroy();
});

const audit = async () =>
  (
    await callApi<{ items: { action: string; outcome: string; reason?: string }[] }>(
      platform,
      '/v1/audit-events?limit=100',
      { token: tenant.adminToken },
    )
  ).items;

describe('passkeys in Chromium', () => {
  let assertionBody: Record<string, unknown> | undefined;

  it('registers a passkey after a password + TOTP sign-in, then signs in with the passkey alone', async () => {
    const invitation = await invitePerson(platform, tenant.adminToken, email, 'operator');
    expect(platform.url).toContain('127.0.0.1');
    await signInThroughPage(page, consoleUrl, invitation.username, invitation.temporaryPassword, true);
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    await page.getByRole('button', { name: 'Add a passkey' }).click();
    await expect
      .poll(() => page.locator('#passkey-status').textContent())
      .toBe('Passkey added: next time, sign in with it.');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    expect(credentials).toMatchObject([{ rpId: 'localhost', isResidentCredential: true }]);

    // Signed out (a reload forgets the in-memory tokens): email, then the passkey; no password, no code.
    page.on('request', (request) => {
      if (request.headers()['x-amz-target']?.endsWith('RespondToAuthChallenge'))
        assertionBody = JSON.parse(request.postData() ?? '{}');
    });
    await page.goto(consoleUrl);
    await page.getByLabel('Email').fill(email);
    await page.getByRole('button', { name: 'Sign in with a passkey' }).click();
    await page.getByRole('navigation', { name: 'Console' }).waitFor();
    expect(await page.locator('.who').textContent()).toContain(email);
    // The API takes the token the passkey sign-in gave: the alerts view loads.
    await page.getByRole('link', { name: 'Alerts' }).click();
    await expect.poll(() => page.getByRole('heading', { name: 'Alerts' }).isVisible()).toBe(true);
    expect(assertionBody).toMatchObject({ ChallengeName: 'WEB_AUTHN' });
    const events = await audit();
    expect(
      events.filter((e) => e.action === 'console.passkey-register' && e.outcome === 'success'),
    ).toHaveLength(1);
    expect(events.filter((e) => e.action === 'console.login' && e.reason === 'passkey')).toHaveLength(1);
  });

  it('refuses a replayed or forged assertion, each wrong part of one, a locked login and a person without a passkey', async () => {
    const cognito = cognitoClient(platform.url);
    const credential = String(
      (assertionBody?.ChallengeResponses as Record<string, string> | undefined)?.CREDENTIAL,
    );
    const challenge = async (user: string) =>
      cognito.call('InitiateAuth', {
        AuthFlow: 'USER_AUTH',
        ClientId: 'local-console',
        AuthParameters: { USERNAME: user, PREFERRED_CHALLENGE: 'WEB_AUTHN' },
      });
    const answer = async (session: string, value: string) =>
      cognito.respond('WEB_AUTHN', session, { USERNAME: email, CREDENTIAL: value });

    // Replayed: signed over an older challenge.
    const fresh = await challenge(email);
    expect(fresh.body.ChallengeName).toBe('WEB_AUTHN');
    expect(JSON.parse(fresh.body.ChallengeParameters.CREDENTIAL_REQUEST_OPTIONS)).toMatchObject({
      rpId: 'localhost',
      userVerification: 'required',
    });
    const replayed = await answer(fresh.body.Session, credential);
    expect(replayed).toMatchObject({ status: 400, body: { __type: 'NotAuthorizedException' } });

    // Assertions made here with the authenticator's own private key: one right, then one wrong in
    // each way the twin checks. Each gets a fresh challenge.
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    const key = createPrivateKey({
      key: Buffer.from(credentials[0]?.privateKey as string, 'base64'),
      format: 'der',
      type: 'pkcs8',
    });
    let counter = (credentials[0]?.signCount ?? 0) + 10;
    const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest();
    const assertion = async (
      change: { origin?: string; rpId?: string; flags?: number; signCount?: number; type?: string } = {},
    ) => {
      const started = await challenge(email);
      const options = JSON.parse(started.body.ChallengeParameters.CREDENTIAL_REQUEST_OPTIONS);
      const clientData = Buffer.from(
        JSON.stringify({
          type: change.type ?? 'webauthn.get',
          challenge: options.challenge,
          origin: change.origin ?? consoleUrl,
          crossOrigin: false,
        }),
      );
      const count = Buffer.alloc(4);
      count.writeUInt32BE(change.signCount ?? ++counter);
      const authData = Buffer.concat([
        sha256(change.rpId ?? 'localhost'),
        Buffer.from([change.flags ?? 0x05]),
        count,
      ]);
      const signature = sign('sha256', Buffer.concat([authData, sha256(clientData)]), {
        key,
        dsaEncoding: 'der',
      });
      const body = {
        ...parsedCredential,
        response: {
          clientDataJSON: clientData.toString('base64url'),
          authenticatorData: authData.toString('base64url'),
          signature: signature.toString('base64url'),
        },
      };
      return answer(started.body.Session, JSON.stringify(body));
    };
    const parsedCredential = JSON.parse(credential);
    const tampered = async () => {
      const started = await challenge(email);
      const forged = structuredClone(parsedCredential);
      const signature = Buffer.from(forged.response.signature, 'base64url');
      signature[signature.length - 1] = (signature.at(-1) as number) ^ 0xff;
      forged.response.signature = signature.toString('base64url');
      return answer(started.body.Session, JSON.stringify(forged));
    };
    const good = await assertion();
    expect(good.status).toBe(200);
    expect(good.body.AuthenticationResult.IdToken).toEqual(expect.any(String));
    // Fewer than 5 failures in a row, then a good one (which clears the count), then the rest.
    const wrongs = [
      { type: 'webauthn.create' },
      { origin: 'https://evil.example' },
      { rpId: 'evil.example' },
      { flags: 0x01 }, // present, not verified
      { signCount: 1 }, // behind the stored counter: a cloned authenticator
    ];
    expect((await tampered()).status).toBe(400);
    for (const wrong of wrongs.slice(0, 3))
      expect((await assertion(wrong)).status, JSON.stringify(wrong)).toBe(400);
    expect((await assertion()).status).toBe(200);
    for (const wrong of wrongs.slice(3))
      expect((await assertion(wrong)).status, JSON.stringify(wrong)).toBe(400);
    // Five failures in a row lock the login: passkey sign-ins too.
    for (let i = 0; i < 3; i++) expect((await tampered()).status).toBe(400);
    expect((await challenge(email)).body).toMatchObject({ message: 'Password attempts exceeded' });

    // No passkey: the challenge is not offered.
    await invitePerson(platform, tenant.adminToken, 'nopasskey@acme.example', 'read-only');
    expect((await challenge('nopasskey@acme.example')).status).toBe(400);

    const reasons = (await audit()).filter((e) => e.action === 'console.login' && e.outcome === 'failure');
    expect(reasons.map((e) => e.reason)).toEqual(
      expect.arrayContaining([
        'passkey: challenge does not match',
        "passkey: origin https://evil.example is not the console's",
        'passkey: rpIdHash is not the console’s',
        'passkey: user not verified',
        'passkey: sign count did not increase: a cloned authenticator?',
        'passkey: client data type is not webauthn.get',
        'no passkey sign-in',
      ]),
    );
  });
});
