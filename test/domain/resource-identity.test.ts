import { describe, expect, it } from 'vitest';
import { pushedResourceId, ResourceIndex, resourceFromPush } from '#domain/resource-identity';
import { deviceResource } from '../support/resources';

const device = deviceResource;

const index = new ResourceIndex([
  device('id-web', 'web-01', 'web-01.example.com', {
    properties: { 'system.ips': '10.0.0.5, 10.0.0.6', 'system.sysname': 'WEB01', 'auto.serial': 'SN1' },
    groups: ['web'],
  }),
  device('id-db', 'db-01', '10.0.1.9', { properties: { rack: 'r7', password: '[redacted]' } }),
  device('id-db2', 'db-02', 'db-02.example.com', { properties: { rack: 'r7' } }),
]);
const linkedId = (ids: Record<string, string>, value?: string) => {
  const link = index.linkSeries(ids, value);
  return link.kind === 'linked' ? link.resource.resourceId : link.kind;
};

describe('ResourceIndex: resources found the way collectors name them', () => {
  it('links by any identifying property: hostname, an IP of system.ips, sysname, custom ids, id, name', () => {
    expect(linkedId({ 'system.hostname': 'web-01.example.com' })).toBe('id-web');
    expect(linkedId({ 'system.hostname': 'WEB-01.example.com' })).toBe('id-web');
    expect(linkedId({ 'system.ips': '10.0.0.6' })).toBe('id-web');
    expect(linkedId({ 'system.ips': '10.0.1.9' })).toBe('id-db');
    expect(linkedId({ 'system.sysname': 'web01' })).toBe('id-web');
    expect(linkedId({ 'auto.serial': 'SN1' })).toBe('id-web');
    expect(linkedId({ 'system.deviceId': 'id-db' })).toBe('id-db');
    expect(linkedId({ resourceId: 'id-db' })).toBe('id-db');
    expect(linkedId({ 'system.displayname': 'db-01' })).toBe('id-db');
    expect(linkedId({ host: 'web-01.example.com', datasource: 'CPU', instance: 'cpu0' })).toBe('id-web');
  });

  it('ignores keys no resource has, and falls back to the series resource value as id, name or hostname', () => {
    expect(linkedId({ 'system.hostname': 'nowhere', 'auto.serial': 'SN1' })).toBe('id-web');
    expect(linkedId({ node: 'db-01' })).toBe('none');
    expect(linkedId({ node: 'db-01' }, 'db-01')).toBe('id-db');
    expect(linkedId({ node: 'id-web' }, 'id-web')).toBe('id-web');
    expect(linkedId({ instance: 'db-01' })).toBe('none');
  });

  it('never links by a secret property', () => {
    expect(linkedId({ password: '[redacted]' })).toBe('none');
  });

  it('calls ids that match two resources, or two ids naming different ones, ambiguous', () => {
    expect(index.link({ rack: 'r7' })).toEqual({
      kind: 'ambiguous',
      field: 'rack',
      resourceIds: ['id-db', 'id-db2'],
    });
    expect(index.link({ 'system.hostname': 'web-01.example.com', 'system.displayname': 'db-01' })).toEqual({
      kind: 'ambiguous',
      field: 'system.displayname',
      resourceIds: ['id-db', 'id-web'],
    });
  });

  it('knows the dependency graph', () => {
    const graph = new ResourceIndex([device('a', 'a', 'a', { dependsOn: ['b'] }), device('b', 'b', 'b')]);
    expect(graph.dependencies()).toEqual({ a: ['b'] });
  });
});

describe('resources a push creates (?create=true)', () => {
  it('are devices named by the push, addressed by hostname, with the ids and properties as properties', () => {
    const push = {
      resourceName: 'new host',
      resourceIds: { 'system.hostname': 'new-01.example.com', 'auto.serial': 'SN9' },
      resourceProperties: { location: 'dc1', 'snmp.community': 'public' },
    };
    const id = pushedResourceId('t1', push.resourceIds);
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(pushedResourceId('t1', { 'auto.serial': 'SN9', 'system.hostname': 'new-01.example.com' })).toBe(
      id,
    );
    expect(pushedResourceId('t2', push.resourceIds)).not.toBe(id);
    expect(resourceFromPush(push, { tenantId: 't1', resourceId: id }, 'now')).toMatchObject({
      type: 'device',
      name: 'new host',
      address: 'new-01.example.com',
      properties: { 'system.hostname': 'new-01.example.com', 'auto.serial': 'SN9', location: 'dc1' },
    });
    expect(
      resourceFromPush(
        { resourceName: 'a b', resourceIds: { 'system.ips': '10.1.1.1,10.1.1.2' } },
        { tenantId: 't1', resourceId: id },
        'now',
      ).address,
    ).toBe('10.1.1.1');
  });
});
