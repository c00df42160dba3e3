/** Building native-format payloads with LogicMonitor-style datasource / instance / datapoint names. */
import type { NativePayload } from '#domain/native-format';

export interface ResourceRef {
  readonly resourceName: string;
  readonly resourceIds: Record<string, string>;
}

/** One datasource's instances: instance name → datapoint name → value (undefined values are left out). */
export type InstanceValues = Map<string, Record<string, number | undefined>>;

/** Instance names the native format accepts: other characters become '_'. */
export function instanceName(raw: string): string {
  const cleaned = raw
    .replace(/[^A-Za-z0-9_.:\-/ ]/g, '_')
    .trim()
    .slice(0, 255);
  return /^[A-Za-z0-9_]/.test(cleaned) ? cleaned : `_${cleaned}`.slice(0, 255);
}

/** Payloads of at most 100 instances each (the native format's limit); empty instances are left out. */
export function payloads(
  resource: ResourceRef,
  dataSource: string,
  instances: InstanceValues,
  atMs: number,
): NativePayload[] {
  const second = String(Math.floor(atMs / 1000));
  const built: NativePayload['instances'] = [];
  for (const [name, values] of instances) {
    const dataPoints = Object.entries(values)
      .filter((e): e is [string, number] => typeof e[1] === 'number' && Number.isFinite(e[1]))
      .map(([dataPointName, value]) => ({ dataPointName, values: { [second]: value } }));
    if (dataPoints.length > 0) built.push({ instanceName: instanceName(name), dataPoints });
  }
  const out: NativePayload[] = [];
  for (let i = 0; i < built.length; i += 100) {
    out.push({ ...resource, dataSource, instances: built.slice(i, i + 100) });
  }
  return out;
}
