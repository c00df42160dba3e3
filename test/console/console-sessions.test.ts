/**
 * Console logins on the local twin, without a browser: deleting the person (DELETE /v1/users/{id})
 * ends their sessions at once (their ID token is refused, their login is gone), and TOTP secrets are
 * stored sealed with the local key service, not in clear.
 */

import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CIPHERTEXT_PREFIX } from '#ports/key-service';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { cognitoClient } from './support/cognito';
import { invitePerson, PASSWORD } from './support/console-session';

let platform: TestPlatform;
let tenant: { tenantId: string; adminToken: string };

beforeAll(async () => {
  platform = await startTestPlatform();
  tenant = await platform.createTenant('acme');
});

afterAll(async () => {
  await platform?.destroy();
});

describe('console sessions and secrets (local twin)', () => {
  it('keeps TOTP secrets sealed at rest, and signs in with them', async () => {
    const invitation = await invitePerson(platform, tenant.adminToken, 'ada@acme.example', 'operator');
    const { secret, idToken } = await cognitoClient(platform.url).enrol(
      invitation.username,
      invitation.temporaryPassword,
      PASSWORD,
    );
    expect(idToken).toBeTruthy();
    const db = new DatabaseSync(join(platform.dataDir, 'console-identity.sqlite'), { readOnly: true });
    try {
      const row = db
        .prepare('SELECT totp_secret FROM console_users WHERE username = ?')
        .get(invitation.username) as {
        totp_secret: string;
      };
      expect(row.totp_secret.startsWith(CIPHERTEXT_PREFIX)).toBe(true);
      expect(row.totp_secret).not.toContain(secret);
    } finally {
      db.close();
    }
    await callApi(platform, '/v1/resources', { token: idToken });
  });

  it("refuses a deleted person's token at once, and their password", async () => {
    const invitation = await invitePerson(platform, tenant.adminToken, 'grace@acme.example', 'admin');
    const c = cognitoClient(platform.url);
    const { idToken } = await c.enrol(invitation.username, invitation.temporaryPassword, PASSWORD);
    await callApi(platform, '/v1/resources', { token: idToken });
    await callApi(platform, `/v1/users/${invitation.userId}`, {
      token: tenant.adminToken,
      method: 'DELETE',
      status: 204,
    });
    await callApi(platform, '/v1/resources', { token: idToken, status: 401 });
    await callApi(platform, '/v1/alerts', { token: idToken, status: 401 });
    const again = await c.initiate(invitation.username, PASSWORD);
    expect(again.status).toBe(400);
    expect(again.body.__type).toMatch(/NotAuthorizedException|UserNotFoundException/);
    const { items } = await callApi<{ items: { action: string; reason?: string }[] }>(
      platform,
      '/v1/audit-events?action=auth.failure',
      { token: tenant.adminToken },
    );
    expect(items.map((e) => e.reason)).toContain('console user no longer exists');
  });
});
