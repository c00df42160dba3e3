/** A collector's own configuration, read with its ingest key: its resources with their credentials in clear. */
import type { Resource } from '#domain/entities';
import { endpointsOf, homeRegionOf } from '#domain/region';
import { json } from '#http/response';
import type { ApiContext } from '../api-context';
import { type Operation, op } from '../operation';
import { collectorConfigView, toCollectorView, toResourceView } from '../views';

export function collectorConfigOperations(ctx: ApiContext): Operation[] {
  const { deps, crypto, audit, mustGet } = ctx;

  return [
    op({
      method: 'GET',
      path: '/v1/collector/config',
      summary: 'The calling collector’s own configuration, with the credentials it needs in clear',
      auth: 'ingest',
      responses: { 200: collectorConfigView, 401: null, 403: null },
      run: async (request) => {
        const { tenantId, credential } = request.principal;
        const collector = await mustGet('collector', tenantId, credential.collectorId);
        const resources: Resource[] = [];
        let cursor: string | undefined;
        do {
          const page = await deps.tenants.listEntities('resource', tenantId, { limit: 100, cursor });
          resources.push(...page.items.filter((r) => r.collectorId === collector.collectorId));
          cursor = page.nextCursor;
        } while (cursor);
        const out = [];
        for (const r of resources) {
          const secure = r.secureProperties
            ? (JSON.parse(
                await crypto.open('resource', tenantId, 'secureProperties', r.secureProperties),
              ) as Record<string, string>)
            : {};
          const credentials = [];
          for (const id of r.credentialIds) {
            const d = await deps.tenants.getEntity('device-credential', tenantId, id);
            if (!d) continue;
            credentials.push({
              deviceCredentialId: d.deviceCredentialId,
              type: d.type,
              secrets: JSON.parse(await crypto.open('device-credential', tenantId, 'secrets', d.secrets)),
            });
          }
          out.push({ ...toResourceView(r), properties: { ...r.properties, ...secure }, credentials });
        }
        await audit(request, 'collector.config.read', `collector/${collector.collectorId}`, {
          after: { resources: resources.length },
        });
        const tenant = await deps.tenants.getTenant(tenantId);
        const region = tenant && deps.region ? homeRegionOf(tenant, deps.region) : undefined;
        const endpoints = region && deps.region ? endpointsOf(region, deps.region) : undefined;
        return json(200, {
          collector: toCollectorView(collector),
          ...(region ? { region } : {}),
          ...(endpoints ? { endpoints } : {}),
          configVersion: tenant?.configVersion ?? 1,
          resources: out,
        });
      },
    }),
  ];
}
