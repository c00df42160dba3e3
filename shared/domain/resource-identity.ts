/**
 * Linking pushed series to API resources the way collectors name them (LogicMonitor's `resourceIds`
 * semantics): a series names its resource by one or more identifying properties (`system.hostname`,
 * `system.ips`, `system.sysname`, any custom property such as `auto.aws.instanceid`), by the resource's
 * id (`system.deviceId`) or by its name (`system.displayname`). A resource is found by ANY of them;
 * when they point at two resources, or one of them at several, the link is ambiguous: refused at a
 * native push (422 naming the field), left unlinked (and logged) at evaluation. Never guessed.
 *
 * A resource's identities:
 * - `system.deviceId` = its id; `system.displayname` = its name
 * - `system.hostname` = its address (devices) and its `system.hostname` property
 * - `system.ips` = each address of its comma-separated `system.ips` property, and its address when
 *   that is an IP literal
 * - every other plain property (`system.sysname`, custom ids): its value (secret properties never)
 *
 * Dimension names commonly used for the same things map onto them (`resourceId` → `system.deviceId`,
 * `resource` → `system.displayname`, `host`/`hostname`/`host.name` → `system.hostname`). Values are
 * compared exactly, except hostnames and names, compared case-insensitively (DNS is).
 */
import { createHash } from 'node:crypto';
import { isSecurePropertyName, REDACTED } from './classification';
import type { Resource } from './entities';
import type { Dimensions } from './metrics';

export const ID_PROPERTY = 'system.deviceId';
export const NAME_PROPERTY = 'system.displayname';
export const HOSTNAME_PROPERTY = 'system.hostname';
export const IPS_PROPERTY = 'system.ips';

/** Dimension names meaning one of the identifying properties. */
export const IDENTITY_ALIASES: Readonly<Record<string, string>> = {
  resourceId: ID_PROPERTY,
  resource_id: ID_PROPERTY,
  'system.deviceid': ID_PROPERTY,
  resource: NAME_PROPERTY,
  resourceName: NAME_PROPERTY,
  host: HOSTNAME_PROPERTY,
  hostname: HOSTNAME_PROPERTY,
  'host.name': HOSTNAME_PROPERTY,
};

/** Series dimensions that say where a value comes from inside a resource, never which resource. */
const NOT_IDENTIFYING = new Set(['datasource', 'instance', '__name__', 'job']);
const CASE_INSENSITIVE = new Set([HOSTNAME_PROPERTY, NAME_PROPERTY, 'system.sysname']);
const IP_LITERAL = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-fA-F:]*:[0-9a-fA-F:.]+)$/;

export const canonicalIdentity = (name: string): string => IDENTITY_ALIASES[name] ?? name;

/** What a linked series or alert knows of its resource (routing and downtimes match on it). */
export interface LinkedResource {
  readonly resourceId: string;
  readonly name: string;
  readonly groups: readonly string[];
  readonly properties: Readonly<Record<string, string>>;
  readonly dependsOn: readonly string[];
  /** The collector polling it (a downtime on the collector covers it). */
  readonly collectorId?: string;
}

export type ResourceLink =
  | { readonly kind: 'linked'; readonly resource: LinkedResource; readonly by: string }
  | { readonly kind: 'none' }
  | {
      readonly kind: 'ambiguous';
      /** The identifying key (as the caller named it) that made it ambiguous. */
      readonly field: string;
      readonly resourceIds: readonly string[];
    };

const keyOf = (property: string, value: string) =>
  `${property}\u0000${CASE_INSENSITIVE.has(property) ? value.toLowerCase() : value}`;

/** The identifying (property, value) pairs of a resource. */
export function identitiesOf(r: Resource): [string, string][] {
  const pairs: [string, string][] = [
    [ID_PROPERTY, r.resourceId],
    [NAME_PROPERTY, r.name],
  ];
  if (r.type === 'device') {
    pairs.push([HOSTNAME_PROPERTY, r.address]);
    if (IP_LITERAL.test(r.address)) pairs.push([IPS_PROPERTY, r.address]);
  }
  for (const [name, value] of Object.entries(r.properties)) {
    if (value === REDACTED || value === '') continue;
    const property = canonicalIdentity(name);
    if (property === IPS_PROPERTY)
      for (const ip of value.split(',')) {
        if (ip.trim()) pairs.push([IPS_PROPERTY, ip.trim()]);
      }
    else pairs.push([property, value]);
  }
  return pairs;
}

/** The tenant's resources indexed by every identity: one link is a few map lookups. */
export class ResourceIndex {
  private readonly byIdentity = new Map<string, Set<string>>();
  private readonly properties = new Set<string>();
  private readonly resources = new Map<string, LinkedResource>();

  constructor(resources: readonly Resource[]) {
    for (const r of resources) {
      this.resources.set(r.resourceId, {
        resourceId: r.resourceId,
        name: r.name,
        groups: r.groups,
        properties: Object.fromEntries(Object.entries(r.properties).filter(([, v]) => v !== REDACTED)),
        dependsOn: r.dependsOn,
        ...(r.collectorId ? { collectorId: r.collectorId } : {}),
      });
      for (const [property, value] of identitiesOf(r)) {
        this.properties.add(property);
        const key = keyOf(property, value);
        let ids = this.byIdentity.get(key);
        if (!ids) {
          ids = new Set();
          this.byIdentity.set(key, ids);
        }
        ids.add(r.resourceId);
      }
    }
  }

  get size(): number {
    return this.resources.size;
  }

  get(resourceId: string): LinkedResource | undefined {
    return this.resources.get(resourceId);
  }

  /** resourceId → the resources it depends on (alert correlation). */
  dependencies(): Record<string, string[]> {
    const graph: Record<string, string[]> = {};
    for (const r of this.resources.values())
      if (r.dependsOn.length > 0) graph[r.resourceId] = [...r.dependsOn];
    return graph;
  }

  /**
   * The resource named by `ids` (a push's resourceIds, or a series' dimensions): linked when every key
   * that matches anything matches the same one resource; keys no resource has are ignored.
   */
  link(ids: Readonly<Record<string, string>>): ResourceLink {
    let found: { resourceId: string; by: string } | undefined;
    for (const [name, value] of Object.entries(ids)) {
      const property = canonicalIdentity(name);
      if (NOT_IDENTIFYING.has(name) || !this.properties.has(property)) continue;
      const matches = this.byIdentity.get(keyOf(property, value));
      if (!matches) continue;
      if (matches.size > 1) return { kind: 'ambiguous', field: name, resourceIds: [...matches].sort() };
      const resourceId = matches.values().next().value as string;
      if (found && found.resourceId !== resourceId)
        return { kind: 'ambiguous', field: name, resourceIds: [found.resourceId, resourceId].sort() };
      found ??= { resourceId, by: name };
    }
    if (!found) return { kind: 'none' };
    return { kind: 'linked', resource: this.resources.get(found.resourceId) as LinkedResource, by: found.by };
  }

  /**
   * A series' resource: linked by its identifying dimensions; failing that, the value of the dimension
   * that names its resource (the rule's `resourceDimension`, or the first default one) as an id, a
   * name or a hostname.
   */
  linkSeries(dimensions: Dimensions, resourceValue?: string): ResourceLink {
    const link = this.link(dimensions);
    if (link.kind !== 'none' || resourceValue === undefined) return link;
    for (const property of [ID_PROPERTY, NAME_PROPERTY, HOSTNAME_PROPERTY]) {
      const named = this.link({ [property]: resourceValue });
      if (named.kind !== 'none') return named;
    }
    return link;
  }
}

/** The message of an ambiguous link (the 422 a native push gets). */
export const ambiguityMessage = (link: Extract<ResourceLink, { kind: 'ambiguous' }>): string =>
  `${link.field} matches more than one resource (${link.resourceIds.join(', ')}): ` +
  'give identifying properties that only one resource has';

/** What a native push says about its resource (LogicMonitor's push API fields). */
export interface PushedResource {
  readonly resourceName: string;
  readonly resourceDescription?: string | undefined;
  readonly resourceIds: Readonly<Record<string, string>>;
  readonly resourceProperties?: Readonly<Record<string, string>> | undefined;
}

const DEVICE_ADDRESS = /^[A-Za-z0-9.:_-]+$/;

/**
 * The id of the resource a push creates: derived from the tenant and the push's resourceIds, so two
 * pushes racing to create the same resource pick the same id and the store keeps one.
 */
export function pushedResourceId(tenantId: string, resourceIds: Readonly<Record<string, string>>): string {
  const ids = Object.entries(resourceIds).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256')
    .update(JSON.stringify([tenantId, ids]))
    .digest('hex')
    .slice(0, 32);
}

/**
 * The device a push with `?create=true` creates when nothing matches: named `resourceName`, addressed
 * by its hostname (else its first IP, else its name when that is a valid address), with the push's
 * resourceIds and resourceProperties as properties, so the next push finds it by any of them. Secret-
 * named properties are left out (a push cannot seal them; set them through the API).
 */
export function resourceFromPush(
  push: PushedResource,
  ids: { tenantId: string; resourceId: string },
  nowIso: string,
): Resource {
  const properties: Record<string, string> = {};
  for (const [name, value] of Object.entries({ ...push.resourceProperties, ...push.resourceIds })) {
    const identity = canonicalIdentity(name);
    if (identity === ID_PROPERTY || identity === NAME_PROPERTY || isSecurePropertyName(name)) continue;
    properties[name] = value;
  }
  if (push.resourceDescription) properties['system.description'] ??= push.resourceDescription;
  const hostname = Object.entries(push.resourceIds).find(
    ([n]) => canonicalIdentity(n) === HOSTNAME_PROPERTY,
  )?.[1];
  const ip = push.resourceIds[IPS_PROPERTY]?.split(',')[0]?.trim();
  const address =
    [hostname, ip, push.resourceName].find((a) => a !== undefined && DEVICE_ADDRESS.test(a)) ??
    ids.resourceId;
  return {
    tenantId: ids.tenantId,
    resourceId: ids.resourceId,
    type: 'device',
    name: push.resourceName,
    address,
    properties,
    groups: [],
    dependsOn: [],
    credentialIds: [],
    version: 1,
    createdAt: nowIso,
  };
}
