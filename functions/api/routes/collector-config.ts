/**
 * A collector's own configuration, read with its ingest key: its resources with their credentials in
 * clear. `configVersion` (also the ETag) changes whenever anything in it changes: a collector asks
 * with If-None-Match every interval and an unchanged configuration costs a 304, nothing decrypted.
 */
import { createHash } from 'node:crypto';
import { balanceMoves } from '#domain/collector-balance';
import {
  DISCOVERED_GROUP,
  discoveryReportSchema,
  newDevices,
  rangeAddresses,
} from '#domain/collector-discovery';
import { type CollectorMove, movesOnConfigRead } from '#domain/collector-failover';
import { newId } from '#domain/credentials';
import { collectorHeartbeatSchema, type DeviceCredential, type Resource } from '#domain/entities';
import { ConflictError, UnprocessableError } from '#domain/errors';
import { endpointsOf, homeRegionOf } from '#domain/region';
import { collectorStatus } from '#domain/tenant';
import * as z from '#domain/zod';
import { json } from '#http/response';
import { header } from '#http/types';
import type { EntityTypes } from '#ports/tenant-store';
import type { ApiContext } from '../api-context';
import { type Operation, op } from '../operation';
import { collectorConfigView, toCollectorView, toResourceView } from '../views';

/** Every resource or collector of a tenant, page by page. */
export async function listAll<K extends 'resource' | 'collector'>(
  deps: ApiContext['deps'],
  kind: K,
  tenantId: string,
): Promise<EntityTypes[K][]> {
  const items: EntityTypes[K][] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.tenants.listEntities(kind, tenantId, { limit: 100, cursor });
    items.push(...(page.items as EntityTypes[K][]));
    cursor = page.nextCursor;
  } while (cursor);
  return items;
}

export function collectorConfigOperations(ctx: ApiContext): Operation[] {
  const { deps, crypto, audit, mustGet, modify } = ctx;

  return [
    op({
      method: 'GET',
      path: '/v1/collector/config',
      summary: 'The calling collector’s own configuration, with the credentials it needs in clear',
      auth: 'ingest',
      responses: { 200: collectorConfigView, 304: null, 401: null, 403: null },
      run: async (request) => {
        const { tenantId, credential } = request.principal;
        const collector = await mustGet('collector', tenantId, credential.collectorId);
        const all = await listAll(deps, 'resource', tenantId);
        const collectors = await listAll(deps, 'collector', tenantId);
        const nowMs = deps.clock.now().getTime();
        const moves: CollectorMove[] = movesOnConfigRead(collector, collectors, all, nowMs);
        // A member of an auto-balanced group balances the whole group (only an up member gets moves).
        if (collector.collectorGroup && collectorStatus(collector, nowMs) === 'up')
          moves.push(...balanceMoves(collector.collectorGroup, collectors, all, nowMs));
        for (const move of moves) {
          const index = all.findIndex((r) => r.resourceId === move.resourceId);
          const current = all[index] as Resource;
          const { primaryCollectorId: _, ...rest } = current;
          const next: Resource = {
            ...rest,
            collectorId: move.to,
            ...(move.reason === 'failover' ? { primaryCollectorId: move.from } : {}),
            updatedAt: deps.clock.now().toISOString(),
          };
          try {
            all[index] = await deps.tenants.updateEntity('resource', next, current.version);
          } catch (error) {
            if (error instanceof ConflictError) continue; // changed meanwhile: the next read decides again
            throw error;
          }
          await audit(request, `resource.${move.reason}`, `resource/${move.resourceId}`, {
            before: move.from ? { collectorId: move.from } : {},
            after: { collectorId: move.to },
          });
        }
        const resources = all.filter((r) => r.collectorId === collector.collectorId);
        const credentialsById = new Map<string, DeviceCredential>();
        for (const id of new Set(resources.flatMap((r) => r.credentialIds))) {
          const d = await deps.tenants.getEntity('device-credential', tenantId, id);
          if (d) credentialsById.set(id, d);
        }
        // The home region and its endpoints; a failover bumps the tenant's configVersion, so the ETag moves.
        const tenant = await deps.tenants.getTenant(tenantId);
        const region = tenant && deps.region ? homeRegionOf(tenant, deps.region) : undefined;
        const endpoints = region && deps.region ? endpointsOf(region, deps.region) : undefined;
        for (const id of collector.discovery?.credentialIds ?? []) {
          const d =
            credentialsById.get(id) ?? (await deps.tenants.getEntity('device-credential', tenantId, id));
          if (d) credentialsById.set(id, d);
        }
        const configVersion = versionOf(
          `${collector.name}\n${region ?? ''}\n${tenant?.configVersion ?? 1}\n${JSON.stringify(collector.discovery ?? {})}`,
          resources,
          credentialsById,
        );
        const etag = `"${configVersion}"`;
        if (header(request.event, 'if-none-match') === etag) {
          return { statusCode: 304, headers: { etag }, body: '' };
        }
        const inClear = async (d: DeviceCredential) => ({
          deviceCredentialId: d.deviceCredentialId,
          type: d.type,
          secrets: JSON.parse(await crypto.open('device-credential', tenantId, 'secrets', d.secrets)),
        });
        const out = [];
        for (const r of resources) {
          const secure = r.secureProperties
            ? (JSON.parse(
                await crypto.open('resource', tenantId, 'secureProperties', r.secureProperties),
              ) as Record<string, string>)
            : {};
          const credentials = [];
          for (const id of r.credentialIds) {
            const d = credentialsById.get(id);
            if (d) credentials.push(await inClear(d));
          }
          out.push({ ...toResourceView(r), properties: { ...r.properties, ...secure }, credentials });
        }
        await audit(request, 'collector.config.read', `collector/${collector.collectorId}`, {
          after: { resources: resources.length },
        });
        return json(
          200,
          {
            configVersion,
            collector: toCollectorView(collector, deps.clock.now().getTime()),
            ...(region ? { region } : {}),
            ...(endpoints ? { endpoints } : {}),
            resources: out,
            ...(collector.discovery?.credentialIds?.length
              ? {
                  discoveryCredentials: await Promise.all(
                    collector.discovery.credentialIds
                      .map((id) => credentialsById.get(id))
                      .filter((d): d is DeviceCredential => d !== undefined)
                      .map(inClear),
                  ),
                }
              : {}),
          },
          { etag },
        );
      },
    }),
    op({
      method: 'POST',
      path: '/v1/collector/discoveries',
      summary:
        'The calling collector’s discovery scan of one range: devices not known yet (by IP or sysName) become resources, added to it or proposed',
      auth: 'ingest',
      body: discoveryReportSchema,
      responses: {
        200: z.object({
          added: z.array(z.string()),
          proposed: z.array(z.string()),
          known: z.int().check(z.describe('devices a resource already stands for')),
        }),
        401: null,
        403: null,
        422: null,
      },
      run: async (request) => {
        const { tenantId, credential } = request.principal;
        const collector = await mustGet('collector', tenantId, credential.collectorId);
        const inRange = new Set(rangeAddresses(request.body.cidr));
        for (const [i, d] of request.body.devices.entries())
          if (!inRange.has(d.address))
            throw new UnprocessableError('not an address of the range scanned', `devices[${i}].address`);
        const fresh = newDevices(request.body.devices, await listAll(deps, 'resource', tenantId));
        const added: string[] = [];
        const proposed: string[] = [];
        for (const d of fresh) {
          const credentialId = d.snmp?.deviceCredentialId;
          const usable =
            credentialId && (await deps.tenants.getEntity('device-credential', tenantId, credentialId));
          const resource: Resource = {
            tenantId,
            resourceId: newId(),
            type: 'device',
            name: d.snmp?.sysName?.trim() || d.address,
            address: d.address,
            properties: {
              'discovery.state': collector.discoveryAutoAdd ? 'added' : 'proposed',
              'discovery.collectorId': collector.collectorId,
              ...(d.snmp?.sysDescr ? { 'system.sysinfo': d.snmp.sysDescr.slice(0, 4096) } : {}),
              ...(d.snmp?.sysObjectID ? { 'system.sysoid': d.snmp.sysObjectID } : {}),
            },
            groups: [DISCOVERED_GROUP],
            dependsOn: [],
            credentialIds: usable ? [credentialId] : [],
            ...(collector.discoveryAutoAdd ? { collectorId: collector.collectorId } : {}),
            ...(d.openPorts.length ? { poll: { tcpPorts: d.openPorts } } : {}),
            version: 1,
            createdAt: deps.clock.now().toISOString(),
          };
          await deps.tenants.createEntity('resource', resource);
          (collector.discoveryAutoAdd ? added : proposed).push(resource.resourceId);
          await audit(request, `resource.discovered`, `resource/${resource.resourceId}`, {
            after: { address: d.address, name: resource.name, state: resource.properties['discovery.state'] },
          });
        }
        return json(200, { added, proposed, known: request.body.devices.length - fresh.length });
      },
    }),
    op({
      method: 'POST',
      path: '/v1/collector/heartbeat',
      summary: 'The calling collector is alive: its version, queue depth, dropped records and delivery state',
      auth: 'ingest',
      body: collectorHeartbeatSchema,
      responses: { 204: null, 401: null, 403: null, 422: null },
      run: async (request) => {
        const at = deps.clock.now().toISOString();
        const { before } = await modify(
          'collector',
          request,
          request.principal.credential.collectorId,
          async (c) => ({
            ...c,
            heartbeat: { at, ...request.body },
          }),
        );
        // Audited when the collector comes back, not on every beat.
        const was = collectorStatus(before, deps.clock.now().getTime());
        if (was !== 'up') {
          await audit(request, 'collector.up', `collector/${before.collectorId}`, {
            after: { version: request.body.version, queueDepth: request.body.queueDepth },
          });
        }
        if (was === 'down') await deps.onCollectorUp?.(request.principal.tenantId);
        return { statusCode: 204, headers: {}, body: '' };
      },
    }),
  ];
}

/** A digest of what the collector is told: its name, each resource's and credential's id and version. */
function versionOf(name: string, resources: Resource[], credentials: Map<string, DeviceCredential>): string {
  const parts = [
    name,
    ...resources.map((r) => `r:${r.resourceId}:${r.version}`).sort(),
    ...[...credentials.values()].map((d) => `c:${d.deviceCredentialId}:${d.version}`).sort(),
  ];
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 20);
}
