/** Credentials of monitored systems: the secrets are write-only. */
import { redact } from '#domain/classification';
import { newId } from '#domain/credentials';
import { type DeviceCredential, deviceCredentialInputSchema } from '#domain/entities';
import { pageQuerySchema } from '#domain/pagination';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op, std, withEtag } from '../operation';
import { deviceCredentialView, pageOf, toDeviceCredentialView } from '../views';

const credentialPath = '/v1/device-credentials/{deviceCredentialId}';

export function deviceCredentialOperations(ctx: ApiContext): Operation[] {
  const { deps, crypto, now, audit, mustGet, modify, remove } = ctx;

  return [
    op({
      method: 'POST',
      path: '/v1/device-credentials',
      summary: 'Store credentials of a monitored system; the secrets are write-only',
      auth: 'tenant',
      permission: 'credentials:write',
      body: deviceCredentialInputSchema,
      responses: { 201: deviceCredentialView, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const credential: DeviceCredential = {
          tenantId,
          deviceCredentialId: newId(),
          name: request.body.name,
          type: request.body.type,
          secrets: await crypto.seal(
            'device-credential',
            tenantId,
            'secrets',
            JSON.stringify(request.body.secrets),
          ),
          version: 1,
          createdAt: now(),
        };
        const stored = await deps.tenants.createEntity('device-credential', credential);
        await audit(request, 'device-credential.create', `device-credential/${stored.deviceCredentialId}`, {
          after: redact('device-credential', stored),
        });
        return withEtag(201, toDeviceCredentialView(stored));
      },
    }),
    op({
      method: 'GET',
      path: '/v1/device-credentials',
      summary: 'List device credentials (metadata only)',
      auth: 'tenant',
      permission: 'credentials:read',
      query: pageQuerySchema,
      responses: { 200: pageOf(deviceCredentialView), ...std },
      run: async ({ principal, query }) => {
        const page = await deps.tenants.listEntities('device-credential', principal.tenantId, query);
        return json(200, { ...page, items: page.items.map(toDeviceCredentialView) });
      },
    }),
    op({
      method: 'GET',
      path: credentialPath,
      summary: 'Get a device credential (metadata only)',
      auth: 'tenant',
      permission: 'credentials:read',
      responses: { 200: deviceCredentialView, 404: null, ...std },
      run: async ({ principal, params }) =>
        withEtag(
          200,
          toDeviceCredentialView(
            await mustGet('device-credential', principal.tenantId, params.deviceCredentialId),
          ),
        ),
    }),
    op({
      method: 'PUT',
      path: credentialPath,
      summary: 'Replace a device credential, secrets included',
      auth: 'tenant',
      permission: 'credentials:write',
      body: deviceCredentialInputSchema,
      responses: { 200: deviceCredentialView, 404: null, 409: null, ...std },
      run: async (request) => {
        const tenantId = request.principal.tenantId;
        const sealed = await crypto.seal(
          'device-credential',
          tenantId,
          'secrets',
          JSON.stringify(request.body.secrets),
        );
        const { before, after } = await modify(
          'device-credential',
          request,
          request.params.deviceCredentialId,
          async (current) => ({
            ...current,
            name: request.body.name,
            type: request.body.type,
            secrets: sealed,
          }),
        );
        await audit(request, 'device-credential.update', `device-credential/${after.deviceCredentialId}`, {
          before: redact('device-credential', before),
          after: redact('device-credential', after),
        });
        return withEtag(200, toDeviceCredentialView(after));
      },
    }),
    op({
      method: 'DELETE',
      path: credentialPath,
      summary: 'Delete a device credential',
      auth: 'tenant',
      permission: 'credentials:write',
      responses: { 204: null, 404: null, 409: null, ...std },
      run: async (request) => {
        const removed = await remove('device-credential', request, request.params.deviceCredentialId);
        await audit(request, 'device-credential.delete', `device-credential/${removed.deviceCredentialId}`, {
          before: redact('device-credential', removed),
        });
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
  ];
}
