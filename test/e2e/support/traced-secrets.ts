/**
 * Child process of tracing-secrets.test.ts: the admin, API and ingest handlers with the real
 * Powertools tracer (lambdaObservability) as in Lambda, driven through the calls whose responses
 * carry a secret. The X-Ray SDK sends each closed subsegment to AWS_XRAY_DAEMON_ADDRESS, where the
 * test listens. Writes the secrets it was handed to the file named by SECRETS_OUT.
 */
import { writeFileSync } from 'node:fs';
import { lambdaObservability } from '#http/tracing';
import { startHarness } from '../../tenancy/support/harness';

const h = await startHarness('sqlite', undefined, { observability: lambdaObservability });
const secrets: string[] = [];
const expectStatus = (r: { status: number; text: string }, status: number) => {
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${r.text}`);
};
const { adminToken, tenantId } = await h.onboard();
secrets.push(adminToken);
const token = await h.call('POST', '/v1/tokens', {
  token: adminToken,
  body: { name: 'ops', role: 'operator' },
});
expectStatus(token, 201);
secrets.push(token.body.token);
const collector = await h.call('POST', '/v1/collectors', { token: adminToken, body: { name: 'c1' } });
expectStatus(collector, 201);
secrets.push(collector.body.ingestKey);
const rotated = await h.call('POST', `/v1/collectors/${collector.body.collectorId}/rotate-key`, {
  token: adminToken,
});
expectStatus(rotated, 201);
secrets.push(rotated.body.ingestKey);
const credential = await h.call('POST', '/v1/device-credentials', {
  token: adminToken,
  body: { name: 'snmp', type: 'snmp-v2c', secrets: { community: 'c0mmunity-TRACED-S3CRET' } },
});
expectStatus(credential, 201);
secrets.push('c0mmunity-TRACED-S3CRET');
const resource = await h.call('POST', '/v1/resources', {
  token: adminToken,
  body: {
    type: 'device',
    name: 'core-router',
    address: '10.0.0.1',
    collectorId: collector.body.collectorId,
    credentialIds: [credential.body.deviceCredentialId],
    properties: { 'snmp.community': 'prop-TRACED-S3CRET' },
  },
});
expectStatus(resource, 201);
secrets.push('prop-TRACED-S3CRET');
const config = await h.call('GET', '/v1/collector/config', { token: rotated.body.ingestKey });
expectStatus(config, 200);
if (!config.text.includes('c0mmunity-TRACED-S3CRET')) throw new Error('the config did not carry the secret');
// A failing call too: its error must not carry the presented token either.
const forged = `${adminToken.slice(0, -4)}abcd`;
expectStatus(await h.call('GET', '/v1/resources', { token: forged }), 401);
secrets.push(forged);
writeFileSync(process.env.SECRETS_OUT ?? '', JSON.stringify({ secrets, tenantId }));
