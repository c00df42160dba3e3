/** A device resource of tenant t1, as the tenant store keeps it, for tests of resource linking. */
import type { Resource } from '#domain/entities';

export const deviceResource = (
  resourceId: string,
  name: string,
  address: string,
  extra: Partial<Resource> = {},
): Resource => ({
  tenantId: 't1',
  resourceId,
  type: 'device',
  name,
  address,
  properties: {},
  groups: [],
  dependsOn: [],
  credentialIds: [],
  version: 1,
  createdAt: 'x',
  ...extra,
});
