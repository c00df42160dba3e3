/**
 * Discovery: a collector scans an opt-in IPv4 range (at most a /22, 1,024 addresses, so one scan is
 * bounded work) with ICMP-free probes (TCP connect on chosen ports, SNMP sysName/sysDescr/
 * sysObjectID with the tenant's credentials) and reports what answered. The platform turns each
 * device it does not know yet (by IP address or sysName) into a resource: assigned to the reporting
 * collector when the collector's discovery auto-adds, otherwise proposed (group `discovered`, no
 * collector) until a user approves it by assigning a collector.
 */
import type { Resource } from './entities';
import { UnprocessableError } from './errors';
import * as z from './zod';

/** A /22: the largest range one scan covers. */
export const MAX_DISCOVERY_ADDRESSES = 1024;
export const DISCOVERED_GROUP = 'discovered';

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

const toInt = (ip: string) => ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');

/** The host addresses of a range (without network and broadcast, except in a /31 or /32). */
export function rangeAddresses(cidr: string, field = 'cidr'): string[] {
  const [ip, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!ip || !IPV4.test(ip) || !Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new UnprocessableError('an IPv4 range in CIDR notation, e.g. 10.0.0.0/24', field);
  const size = 2 ** (32 - bits);
  if (size > MAX_DISCOVERY_ADDRESSES)
    throw new UnprocessableError(`at most ${MAX_DISCOVERY_ADDRESSES} addresses (a /22) per range`, field);
  const network = toInt(ip) - (toInt(ip) % size);
  const first = size > 2 ? network + 1 : network;
  const last = size > 2 ? network + size - 2 : network + size - 1;
  const out: string[] = [];
  for (let n = first; n <= last; n++) out.push(toIp(n));
  return out;
}

const ipv4 = z.string().check(z.regex(IPV4, 'an IPv4 address'));
const text = (max: number) => z.string().check(z.maxLength(max));

/** What a collector reports after scanning one range. */
export const discoveryReportSchema = z.strictObject({
  cidr: z.string().check(z.maxLength(18)),
  devices: z
    .array(
      z.strictObject({
        address: ipv4,
        openPorts: z.array(z.int().check(z.gte(1), z.lte(65_535))).check(z.maxLength(20)),
        snmp: z.optional(
          z.strictObject({
            sysName: z.optional(text(255)),
            sysDescr: z.optional(text(1024)),
            sysObjectID: z.optional(text(256)),
            deviceCredentialId: z.optional(text(64)),
          }),
        ),
      }),
    )
    .check(z.maxLength(MAX_DISCOVERY_ADDRESSES)),
});
export type DiscoveryReport = z.infer<typeof discoveryReportSchema>;
export type DiscoveredDevice = DiscoveryReport['devices'][number];

/** The devices of a report no resource stands for yet (same IP address or sysName), each once. */
export function newDevices(
  devices: readonly DiscoveredDevice[],
  known: readonly Resource[],
): DiscoveredDevice[] {
  const addresses = new Set(known.map((r) => r.address));
  const names = new Set(known.map((r) => r.name.toLowerCase()));
  const out: DiscoveredDevice[] = [];
  for (const d of devices) {
    const name = d.snmp?.sysName?.trim().toLowerCase();
    if (addresses.has(d.address) || (name && names.has(name))) continue;
    addresses.add(d.address);
    if (name) names.add(name);
    out.push(d);
  }
  return out;
}
