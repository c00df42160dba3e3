/**
 * The resource of a native push (LogicMonitor's push API): its `resourceIds` are linked to an API
 * resource by any identifying property (resource-identity.ts). An ambiguous link is refused (422
 * naming the key in `resourceIds`) before anything is stored; with `?create=true` a push that matches
 * no resource creates it. A push that matches nothing without `create` is stored all the same,
 * unlinked (collectors that never register resources keep working).
 */
import { ConflictError, UnprocessableError } from '#domain/errors';
import {
  ambiguityMessage,
  type PushedResource,
  pushedResourceId,
  type ResourceLink,
  resourceFromPush,
} from '#domain/resource-identity';
import type { Clock } from '#ports/clock';
import type { ResourceDirectory } from '#ports/resource-directory';
import type { TenantStore } from '#ports/tenant-store';

export interface PushResourceDeps {
  readonly directory: ResourceDirectory;
  readonly tenants: Pick<TenantStore, 'createEntity'>;
  readonly clock: Clock;
  readonly log?: (message: string, fields: Record<string, unknown>) => void;
}

function refuseAmbiguous(link: ResourceLink): ResourceLink {
  if (link.kind === 'ambiguous')
    throw new UnprocessableError(`resourceIds.${ambiguityMessage(link)}`, `resourceIds.${link.field}`);
  return link;
}

/** Links (and with `create`, creates) the resource of a push whose payload already validated. */
export async function linkPushedResource(
  deps: PushResourceDeps,
  tenantId: string,
  push: PushedResource,
  create: boolean,
): Promise<ResourceLink> {
  const link = refuseAmbiguous((await deps.directory.indexOf(tenantId)).link(push.resourceIds));
  if (link.kind === 'linked' || !create) return link;
  // The cached index may predate a resource created a moment ago (through the API or another push).
  const fresh = refuseAmbiguous(
    (await deps.directory.indexOf(tenantId, { fresh: true })).link(push.resourceIds),
  );
  if (fresh.kind === 'linked') return fresh;
  const resource = resourceFromPush(
    push,
    { tenantId, resourceId: pushedResourceId(tenantId, push.resourceIds) },
    deps.clock.now().toISOString(),
  );
  try {
    await deps.tenants.createEntity('resource', resource);
    deps.log?.('resource created by a push (create=true)', { tenantId, resourceId: resource.resourceId });
  } catch (error) {
    // Another push created it first (same ids, same resource id): link to that one.
    if (!(error instanceof ConflictError)) throw error;
  }
  return refuseAmbiguous((await deps.directory.indexOf(tenantId, { fresh: true })).link(push.resourceIds));
}
