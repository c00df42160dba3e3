import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '#domain/credentials';
import { ROUTES } from '#http/routes';
import { type DynamoDbLocal, startDynamoDbLocal } from '../support/dynamodb-local';
import { onePointPayload } from '../support/native-payload';
import { type Harness, PROVIDER_TOKEN, SOURCE_IP, startHarness } from './support/harness';

let ddb: DynamoDbLocal;
beforeAll(async () => {
  ddb = await startDynamoDbLocal();
});
afterAll(async () => {
  await ddb?.stop();
});

const device = { type: 'device', name: 'core-router', address: '10.0.0.1' };

async function tokenWithRole(h: Harness, adminToken: string, role: string): Promise<string> {
  const r = await h.call('POST', '/v1/tokens', { token: adminToken, body: { name: role, role } });
  expect(r.status).toBe(201);
  return r.body.token;
}

describe.each(['sqlite', 'dynamodb'] as const)('customer API on %s', (backend) => {
  const start = () => startHarness(backend, ddb);

  it('gives each role exactly its permissions', async () => {
    const h = await start();
    const { adminToken } = await h.onboard();
    const operator = await tokenWithRole(h, adminToken, 'operator');
    const readOnly = await tokenWithRole(h, adminToken, 'read-only');
    const created = await h.call('POST', '/v1/resources', { token: operator, body: device });
    expect(created.status).toBe(201);
    expect((await h.call('POST', '/v1/resources', { token: readOnly, body: device })).status).toBe(403);
    expect((await h.call('GET', '/v1/resources', { token: readOnly })).status).toBe(200);
    expect((await h.call('GET', '/v1/device-credentials', { token: readOnly })).status).toBe(200);
    for (const token of [operator, readOnly]) {
      expect((await h.call('POST', '/v1/tokens', { token, body: { name: 'x', role: 'admin' } })).status).toBe(
        403,
      );
      expect((await h.call('GET', '/v1/tokens', { token })).status).toBe(403);
      expect((await h.call('GET', '/v1/audit-events', { token })).status).toBe(403);
      expect((await h.call('GET', '/v1/users', { token })).status).toBe(403);
    }
    expect((await h.call('GET', '/v1/audit-events', { token: adminToken })).status).toBe(200);
  });

  it('lets an ingest key ingest and read its own config, nothing else; the provider token only manages tenants', async () => {
    const h = await start();
    const { adminToken } = await h.onboard();
    const { body: collector } = await h.call('POST', '/v1/collectors', {
      token: adminToken,
      body: { name: 'c1' },
    });
    const ingestKey: string = collector.ingestKey;
    expect((await h.call('GET', '/v1/collector/config', { token: ingestKey })).status).toBe(200);
    const ingest = await h.call('POST', '/v1/ingest', {
      token: ingestKey,
      body: onePointPayload(Math.floor(Date.now() / 1000), 1),
    });
    expect(ingest.status).toBe(202);
    for (const route of ROUTES.filter((r) => r.function === 'api' && r.path !== '/openapi.json')) {
      // The collector's own routes (discoveries answers 422 to this empty body: it is the key's to call).
      if (route.path.startsWith('/v1/collector/')) continue;
      const path = route.path.replace(/\{[^}]+\}/g, newId());
      const r = await h.call(route.method, path, { token: ingestKey, body: {} });
      expect(r.status, `${route.method} ${route.path}`).toBe(403);
    }
    expect((await h.call('POST', '/v1/ingest', { token: adminToken, body: {} })).status).toBe(403);
    expect((await h.call('GET', '/v1/collector/config', { token: adminToken })).status).toBe(403);
    expect((await h.call('POST', '/v1/collector/discoveries', { token: adminToken, body: {} })).status).toBe(
      403,
    );
    const heartbeat = { version: '0.1.0', queueDepth: 0, dropped: 0, state: 'connected' };
    expect(
      (await h.call('POST', '/v1/collector/heartbeat', { token: ingestKey, body: heartbeat })).status,
    ).toBe(204);
    expect(
      (await h.call('POST', '/v1/collector/heartbeat', { token: adminToken, body: heartbeat })).status,
    ).toBe(403);
    expect((await h.call('GET', '/v1/resources', { token: PROVIDER_TOKEN })).status).toBe(401);
    expect((await h.call('GET', '/admin/v1/tenants', { token: adminToken })).status).toBe(401);
    expect((await h.call('GET', '/admin/v1/tenants', { token: PROVIDER_TOKEN })).status).toBe(200);
  });

  it('manages resources with optimistic concurrency, pagination, groups and dependencies', async () => {
    const h = await start();
    const { adminToken: token } = await h.onboard();
    const parent = (await h.call('POST', '/v1/resources', { token, body: { ...device, groups: ['core'] } }))
      .body;
    const child = await h.call('POST', '/v1/resources', {
      token,
      body: {
        type: 'website',
        name: 'shop',
        address: 'https://shop.example.com',
        dependsOn: [parent.resourceId],
      },
    });
    expect(child.status).toBe(201);
    expect(child.headers.etag).toBe('"1"');
    const bad = await h.call('POST', '/v1/resources', { token, body: { ...device, dependsOn: [newId()] } });
    expect(bad.status).toBe(422);
    expect(bad.body.error.field).toBe('dependsOn[0]');
    const badAddress = await h.call('POST', '/v1/resources', {
      token,
      body: { type: 'website', name: 'w', address: 'not a url' },
    });
    expect(badAddress.body.error.field).toBe('address');

    const path = `/v1/resources/${parent.resourceId}`;
    const renamed = await h.call('PATCH', path, {
      token,
      body: { name: 'edge' },
      headers: { 'If-Match': '"1"' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.version).toBe(2);
    const stale = await h.call('PATCH', path, {
      token,
      body: { name: 'stale' },
      headers: { 'If-Match': '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.error.field).toBe('if-match');
    expect((await h.call('GET', path, { token })).body.name).toBe('edge');

    // Concurrent writers through the API, each retrying on 409: every change lands.
    const results = await Promise.all(
      ['g1', 'g2', 'g3', 'g4', 'g5'].map(async (g) => {
        for (;;) {
          const current = (await h.call('GET', path, { token })).body;
          const r = await h.call('PATCH', path, {
            token,
            body: { groups: [...current.groups, g] },
            headers: { 'If-Match': `"${current.version}"` },
          });
          if (r.status !== 409) return r.status;
        }
      }),
    );
    expect(results).toEqual([200, 200, 200, 200, 200]);
    expect((await h.call('GET', path, { token })).body.groups.sort()).toEqual([
      'core',
      'g1',
      'g2',
      'g3',
      'g4',
      'g5',
    ]);

    for (let i = 0; i < 3; i++)
      await h.call('POST', '/v1/resources', { token, body: { ...device, name: `d${i}` } });
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await h.call('GET', '/v1/resources', {
        token,
        query: { limit: '2', ...(cursor ? { cursor } : {}) },
      });
      expect(page.status).toBe(200);
      ids.push(...page.body.items.map((r: { resourceId: string }) => r.resourceId));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(new Set(ids).size).toBe(5);
    const grouped = await h.call('GET', '/v1/resources', { token, query: { group: 'core' } });
    expect(grouped.body.items.map((r: { resourceId: string }) => r.resourceId)).toEqual([parent.resourceId]);
    expect(
      (await h.call('GET', '/v1/resources', { token, query: { cursor: 'nope' } })).body.error.field,
    ).toBe('cursor');
    expect(
      await h.tenants.resourceDependencies((await h.tenants.getCredential(token.split('_')[2]!))!.tenantId),
    ).toMatchObject({
      [child.body.resourceId]: [parent.resourceId],
    });
    expect((await h.call('DELETE', path, { token, headers: { 'If-Match': '"1"' } })).status).toBe(409);
    expect((await h.call('DELETE', path, { token })).status).toBe(204);
    expect((await h.call('GET', path, { token })).status).toBe(404);
  });

  it('keeps device credentials and secret properties write-only: ciphertext at rest, clear only in the collector’s own config', async () => {
    const h = await start();
    const { tenantId, adminToken: token } = await h.onboard();
    const created = await h.call('POST', '/v1/device-credentials', {
      token,
      body: { name: 'snmp', type: 'snmp-v2c', secrets: { community: 'c0mmunity-S3CRET' } },
    });
    expect(created.status).toBe(201);
    expect(created.text).not.toContain('c0mmunity-S3CRET');
    expect(created.body).toMatchObject({ type: 'snmp-v2c', secretsSet: true });
    const id = created.body.deviceCredentialId;
    expect((await h.call('GET', `/v1/device-credentials/${id}`, { token })).text).not.toContain('S3CRET');
    expect((await h.call('GET', '/v1/device-credentials', { token })).text).not.toContain('S3CRET');

    const { body: collector } = await h.call('POST', '/v1/collectors', { token, body: { name: 'c1' } });
    const { body: other } = await h.call('POST', '/v1/collectors', { token, body: { name: 'c2' } });
    const resource = await h.call('POST', '/v1/resources', {
      token,
      body: {
        ...device,
        collectorId: collector.collectorId,
        credentialIds: [id],
        properties: { 'snmp.community': 'prop-S3CRET', location: 'rack 7' },
      },
    });
    expect(resource.status).toBe(201);
    expect(resource.body.properties).toEqual({ 'snmp.community': '[redacted]', location: 'rack 7' });
    expect(resource.text).not.toContain('prop-S3CRET');
    // Round-tripping the redacted value keeps the secret.
    const patched = await h.call('PATCH', `/v1/resources/${resource.body.resourceId}`, {
      token,
      body: { properties: { ...resource.body.properties, location: 'rack 8' } },
    });
    expect(patched.status).toBe(200);

    const stored = await h.storedText();
    expect(stored).not.toContain('c0mmunity-S3CRET');
    expect(stored).not.toContain('prop-S3CRET');
    const raw = (await h.tenants.getEntity('device-credential', tenantId, id))!;
    expect(raw.secrets.startsWith('esdk1:')).toBe(true);
    const keyRef = (await h.tenants.getTenant(tenantId))!.keyRef!;
    expect(await h.keys.decrypt({ tenantId, field: 'device-credential.secrets', keyRef }, raw.secrets)).toBe(
      '{"community":"c0mmunity-S3CRET"}',
    );
    // Not with another tenant's context, not as another field.
    const b = await h.onboard('other');
    const keyB = (await h.tenants.getTenant(b.tenantId))!.keyRef!;
    await expect(
      h.keys.decrypt({ tenantId: b.tenantId, field: 'device-credential.secrets', keyRef: keyB }, raw.secrets),
    ).rejects.toThrow();
    await expect(h.keys.decrypt({ tenantId, field: 'user.email', keyRef }, raw.secrets)).rejects.toThrow();

    const config = await h.call('GET', '/v1/collector/config', { token: collector.ingestKey });
    expect(config.status).toBe(200);
    expect(config.body.resources).toHaveLength(1);
    expect(config.body.resources[0].properties).toEqual({
      'snmp.community': 'prop-S3CRET',
      location: 'rack 8',
    });
    expect(config.body.resources[0].credentials[0].secrets).toEqual({ community: 'c0mmunity-S3CRET' });
    const otherConfig = await h.call('GET', '/v1/collector/config', { token: other.ingestKey });
    expect(otherConfig.body.resources).toEqual([]);
    expect(otherConfig.text).not.toContain('S3CRET');
  });

  it('encrypts personal data at rest and returns it to those allowed', async () => {
    const h = await start();
    const { adminToken: token } = await h.onboard();
    const created = await h.call('POST', '/v1/users', {
      token,
      body: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+441234567890', role: 'operator' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: 'Ada Lovelace', email: 'ada@example.com' });
    const stored = await h.storedText();
    for (const pii of ['Ada Lovelace', 'ada@example.com', '+441234567890']) expect(stored).not.toContain(pii);
    const patched = await h.call('PATCH', `/v1/users/${created.body.userId}`, {
      token,
      body: { phone: '+15551234567' },
    });
    expect(patched.body).toMatchObject({ name: 'Ada Lovelace', phone: '+15551234567', version: 2 });
    expect((await h.call('GET', '/v1/users', { token })).body.items[0].email).toBe('ada@example.com');
    const invalid = await h.call('POST', '/v1/users', {
      token,
      body: { name: 'x', email: 'nope', role: 'admin' },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.error.field).toBe('email');
  });

  it('rotates and revokes tokens with immediate effect and never shows a stored hash', async () => {
    const h = await start();
    const { adminToken } = await h.onboard();
    const created = await h.call('POST', '/v1/tokens', {
      token: adminToken,
      body: { name: 'ci', role: 'read-only' },
    });
    const first: string = created.body.token;
    expect((await h.call('GET', '/v1/resources', { token: first })).status).toBe(200);
    const rotated = await h.call('POST', `/v1/tokens/${created.body.tokenId}/rotate`, { token: adminToken });
    expect(rotated.status).toBe(200);
    const second: string = rotated.body.token;
    expect((await h.call('GET', '/v1/resources', { token: first })).status).toBe(401);
    expect((await h.call('GET', '/v1/resources', { token: second })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/tokens/${created.body.tokenId}`, { token: adminToken })).status).toBe(
      200,
    );
    expect((await h.call('GET', '/v1/resources', { token: second })).status).toBe(401);
    const list = await h.call('GET', '/v1/tokens', { token: adminToken });
    expect(list.status).toBe(200);
    expect(list.text).not.toContain('secretHash');
    expect(
      list.body.items.find((t: { tokenId: string }) => t.tokenId === created.body.tokenId).revokedAt,
    ).toBeDefined();

    // Collector ingest keys rotate too; the old key stops at once.
    const { body: collector } = await h.call('POST', '/v1/collectors', {
      token: adminToken,
      body: { name: 'c' },
    });
    const newKey = await h.call('POST', `/v1/collectors/${collector.collectorId}/rotate-key`, {
      token: adminToken,
    });
    expect(newKey.status).toBe(201);
    expect((await h.call('GET', '/v1/collector/config', { token: collector.ingestKey })).status).toBe(401);
    expect((await h.call('GET', '/v1/collector/config', { token: newKey.body.ingestKey })).status).toBe(200);
  });

  it('never lets a tenant revoke its last admin token', async () => {
    const h = await start();
    const { adminToken } = await h.onboard();
    const adminId = adminToken.split('_')[2]!;
    const last = await h.call('DELETE', `/v1/tokens/${adminId}`, { token: adminToken });
    expect(last.status).toBe(409);
    const second = await tokenWithRole(h, adminToken, 'admin');
    expect((await h.call('DELETE', `/v1/tokens/${adminId}`, { token: second })).status).toBe(200);
    expect((await h.call('GET', '/v1/tokens', { token: adminToken })).status).toBe(401);
  });

  it('renames and deletes collectors; deleting one revokes its ingest key at once', async () => {
    const h = await start();
    const { adminToken: token } = await h.onboard();
    const { body: c } = await h.call('POST', '/v1/collectors', { token, body: { name: 'dc1' } });
    const renamed = await h.call('PATCH', `/v1/collectors/${c.collectorId}`, {
      token,
      body: { name: 'dc2' },
    });
    expect(renamed.body).toMatchObject({ name: 'dc2', version: 2 });
    expect(
      (await h.call('GET', '/v1/collectors', { token })).body.items.map((x: { name: string }) => x.name),
    ).toEqual(['dc2']);
    expect((await h.call('GET', '/v1/collector/config', { token: c.ingestKey })).status).toBe(200);
    expect((await h.call('DELETE', `/v1/collectors/${c.collectorId}`, { token })).status).toBe(204);
    expect((await h.call('GET', '/v1/collector/config', { token: c.ingestKey })).status).toBe(401);
    expect((await h.call('GET', `/v1/collectors/${c.collectorId}`, { token })).status).toBe(404);
    const audit = await h.call('GET', '/v1/audit-events', { token, query: { action: 'collector.delete' } });
    expect(audit.body.items).toHaveLength(1);
  });

  it('stores no token, key or secret in clear anywhere', async () => {
    const h = await start();
    const { adminToken } = await h.onboard();
    const secrets: string[] = [adminToken];
    secrets.push(await tokenWithRole(h, adminToken, 'operator'));
    const { body: collector } = await h.call('POST', '/v1/collectors', {
      token: adminToken,
      body: { name: 'c' },
    });
    secrets.push(collector.ingestKey);
    const rotated = await h.call('POST', `/v1/collectors/${collector.collectorId}/rotate-key`, {
      token: adminToken,
    });
    secrets.push(rotated.body.ingestKey);
    await h.call('GET', '/v1/resources', { token: `${adminToken.slice(0, -3)}xyz` });
    const stored = await h.storedText();
    for (const secret of secrets) {
      expect(stored).not.toContain(secret);
      expect(stored).not.toContain(secret.split('_').slice(3).join('_'));
    }
  });

  it('records authentications and changes in an append-only log the admin can query', async () => {
    const h = await start();
    const { tenantId, adminToken } = await h.onboard();
    const adminId = adminToken.split('_')[2]!;
    await h.call('POST', '/v1/resources', { token: adminToken, body: device });
    const cred = await h.call('POST', '/v1/device-credentials', {
      token: adminToken,
      body: { name: 'basic', type: 'http-basic', secrets: { username: 'u', password: 'pw-S3CRET' } },
    });
    await h.call('PUT', `/v1/device-credentials/${cred.body.deviceCredentialId}`, {
      token: adminToken,
      body: { name: 'basic2', type: 'http-basic', secrets: { username: 'u', password: 'pw2-S3CRET' } },
    });
    const wrong = `${adminToken.slice(0, -4)}AAAA`;
    expect((await h.call('GET', '/v1/resources', { token: wrong })).status).toBe(401);

    const events = await h.call('GET', '/v1/audit-events', { token: adminToken, query: { limit: '100' } });
    expect(events.status).toBe(200);
    const items = events.body.items as Array<Record<string, unknown>>;
    const failure = items.find((e) => e.action === 'auth.failure');
    expect(failure).toMatchObject({
      actor: adminId,
      sourceIp: SOURCE_IP,
      outcome: 'failure',
      reason: 'secret mismatch',
    });
    expect(items.find((e) => e.action === 'auth.success')).toMatchObject({
      actor: adminId,
      sourceIp: SOURCE_IP,
    });
    expect(items.find((e) => e.action === 'resource.create')).toMatchObject({ actor: adminId });
    const update = items.find((e) => e.action === 'device-credential.update') as {
      before: Record<string, unknown>;
      after: Record<string, unknown>;
    };
    expect(update.before).toMatchObject({ name: 'basic', secrets: '[redacted]' });
    expect(update.after).toMatchObject({ name: 'basic2', secrets: '[redacted]' });
    expect(events.text).not.toContain('S3CRET');
    expect(events.text).not.toContain(adminToken.split('_').slice(3).join('_'));
    const authOnly = await h.call('GET', '/v1/audit-events', {
      token: adminToken,
      query: { action: 'auth.' },
    });
    expect(authOnly.body.items.every((e: { action: string }) => e.action.startsWith('auth.'))).toBe(true);
    // Nothing of this tenant's log is visible to another tenant.
    const b = await h.onboard('b');
    const theirs = await h.call('GET', '/v1/audit-events', { token: b.adminToken, query: { limit: '100' } });
    expect(theirs.text).not.toContain(adminId);
    expect(theirs.text).not.toContain(tenantId);
  });

  it('publishes OpenAPI 3.1 generated from the validation schemas, covering every customer route', async () => {
    const h = await start();
    const r = await h.call('GET', '/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    for (const route of ROUTES.filter((x) => !x.path.startsWith('/admin/')))
      expect(
        r.body.paths[route.path]?.[route.method.toLowerCase()],
        `${route.method} ${route.path}`,
      ).toBeDefined();
    const createResource = r.body.paths['/v1/resources'].post;
    expect(createResource['x-required-permission']).toBe('resources:write');
    const schema = createResource.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(expect.arrayContaining(['type', 'name', 'address']));
    expect(schema.properties.type.enum).toEqual(['device', 'website']);
    expect(r.body.paths['/v1/resources'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['limit', 'cursor', 'group']),
    );
  });
});
