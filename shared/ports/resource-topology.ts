/**
 * Which resources a resource depends on (a host on its switch, a service on its database). Read from
 * resource metadata (`dependsOn`); alert correlation uses it to mark symptoms of an unreachable
 * dependency.
 */
export interface ResourceTopology {
  /** Direct and transitive dependencies of a resource, nearest first; empty when unknown. */
  dependenciesOf(tenantId: string, resource: string): Promise<string[]>;
}
