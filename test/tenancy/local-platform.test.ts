/**
 * The security features through `npm start`'s platform over real HTTP: key files under DATA_DIR,
 * nothing secret in any file the platform writes, keys surviving a restart, offboarding over HTTP.
 */
import { readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { startTestPlatform, tempDataDir } from '../support/platform';

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)],
  );
}

describe('local platform security', () => {
  it('keeps per-tenant keys under DATA_DIR, writes no secret to disk, survives a restart and offboards', async () => {
    const dataDir = tempDataDir();
    try {
      let platform = await startTestPlatform({ dataDir });
      const { tenantId, adminToken } = await platform.createTenant('acme');
      const keyFile = join(dataDir, 'keys', `${tenantId}.key`);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const { collectorId, ingestKey } = await platform.createCollector(adminToken);
      const json = { 'content-type': 'application/json' };
      const cred = await platform.request('/v1/device-credentials', {
        method: 'POST',
        token: adminToken,
        headers: json,
        body: JSON.stringify({
          name: 'api',
          type: 'api-token',
          secrets: { token: 'DISK-SCAN-device-token' },
        }),
      });
      expect(cred.status).toBe(201);
      const { deviceCredentialId } = (await cred.json()) as { deviceCredentialId: string };
      const resource = await platform.request('/v1/resources', {
        method: 'POST',
        token: adminToken,
        headers: json,
        body: JSON.stringify({
          type: 'website',
          name: 'shop',
          address: 'https://shop.example.com',
          collectorId,
          credentialIds: [deviceCredentialId],
        }),
      });
      expect(resource.status).toBe(201);
      const openapi = await platform.request('/openapi.json');
      expect(((await openapi.json()) as { openapi: string }).openapi).toBe('3.1.0');
      await platform.close();

      // Nothing secret on disk (the provider token file is the documented exception).
      for (const file of filesUnder(dataDir)) {
        if (file.endsWith('provider-admin-token') || file.startsWith(join(dataDir, 'keys'))) continue;
        const bytes = readFileSync(file).toString('latin1');
        for (const secret of [
          'DISK-SCAN-device-token',
          adminToken.split('_').slice(3).join('_'),
          ingestKey.split('_').slice(3).join('_'),
        ])
          expect(bytes.includes(secret), `${file} holds a secret`).toBe(false);
      }

      // After a restart the same key file decrypts what was stored.
      platform = await startTestPlatform({ dataDir });
      const config = await platform.request('/v1/collector/config', { token: ingestKey });
      expect(config.status).toBe(200);
      const body = (await config.json()) as { resources: { credentials: { secrets: unknown }[] }[] };
      expect(body.resources[0]!.credentials[0]!.secrets).toEqual({
        token: 'DISK-SCAN-device-token',
        header: 'Authorization',
      });

      const job = await platform.offboard(tenantId);
      expect(job.state).toBe('succeeded');
      const receipt = job.regions[0]!;
      expect(() => statSync(keyFile)).toThrow();
      const archive = await platform.request(receipt.archive.downloadPath, {
        token: platform.providerAdminToken,
      });
      expect(archive.headers.get('content-type')).toBe('application/gzip');
      const lines = gunzipSync(Buffer.from(await archive.arrayBuffer()))
        .toString('utf8')
        .trim()
        .split('\n');
      expect(JSON.parse(lines[0]!)).toMatchObject({ tenantId });
      expect((await platform.request('/v1/resources', { token: adminToken })).status).toBe(401);
      await platform.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
