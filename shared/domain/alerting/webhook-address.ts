/**
 * Where a webhook may point. A webhook is a request the platform makes on a tenant's behalf, so it
 * must never reach the platform's own network: loopback, link-local (the instance metadata service),
 * private, shared (CGNAT), multicast and reserved addresses, and their IPv6 equivalents (IPv4-mapped
 * and NAT64 addresses are judged by the IPv4 address they carry). In AWS, webhooks are https only;
 * the local platform may allow loopback (plain http included) behind an explicit setting, which tests
 * use for their receivers.
 *
 * The address is checked twice: at the API (a URL whose host is a refused IP literal or `localhost`
 * is a 422) and at connect time against every address the host resolves to
 * (shared/adapters/webhook/webhook-notifier.ts), so a name that resolves elsewhere later (DNS rebinding)
 * is refused too.
 */
import { BlockList, isIP } from 'node:net';

export interface WebhookAddressPolicy {
  /** Local platform only: loopback destinations (and plain http to them) are allowed. */
  readonly allowLoopback: boolean;
}

export const AWS_WEBHOOK_POLICY: WebhookAddressPolicy = { allowLoopback: false };

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

const REFUSED = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // shared address space (CGNAT)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, instance metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128],
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const)
  REFUSED.addSubnet(network, prefix, 'ipv6');

/** The IPv4 address a NAT64 (64:ff9b::/96) or 6to4 (2002::/16) IPv6 address carries, if any. */
function embeddedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const groups = expandIpv6(lower);
  if (!groups) return undefined;
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  if (groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0))
    return v4(groups[6] as number, groups[7] as number);
  if (groups[0] === 0x2002) return v4(groups[1] as number, groups[2] as number);
  return undefined;
}

function expandIpv6(address: string): number[] | undefined {
  let text = address;
  // A trailing dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string) => (part ? part.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const fill = 8 - left.length - right.length;
  if (fill < 0 || (tail === undefined && fill !== 0)) return undefined;
  return [...left, ...new Array<number>(fill).fill(0), ...right];
}

/** True when a connection to this IP address (v4 or v6) is allowed under the policy. */
export function ipAllowed(address: string, policy: WebhookAddressPolicy): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (policy.allowLoopback && LOOPBACK.check(address, type)) return true;
  if (REFUSED.check(address, type)) return false;
  const carried = family === 6 ? embeddedIpv4(address) : undefined;
  return carried === undefined || ipAllowed(carried, policy);
}

const isLocalhostName = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/** A destination URL as both checks read it: the URL, its bare host, and whether that is loopback. */
interface Destination {
  readonly parsed: URL;
  readonly host: string;
  readonly loopbackHost: boolean;
  /** The host is an IP literal the policy refuses. */
  readonly refusedIp: boolean;
}

function destination(url: string, policy: WebhookAddressPolicy): Destination | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const family = isIP(host);
  const loopbackHost =
    isLocalhostName(host) || (family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6'));
  return { parsed, host, loopbackHost, refusedIp: family !== 0 && !ipAllowed(host, policy) };
}

/**
 * Why `url` may not be a webhook under `policy`, or undefined when it may. Checks what the URL says
 * (scheme, credentials, an IP-literal or localhost host); names are checked again when they resolve.
 */
export function webhookUrlProblem(url: string, policy: WebhookAddressPolicy): string | undefined {
  const target = destination(url, policy);
  if (!target) return 'not a URL';
  const { parsed, loopbackHost } = target;
  if (parsed.username || parsed.password) return 'webhook URLs may not carry credentials';
  if (parsed.protocol === 'http:') {
    return policy.allowLoopback && loopbackHost
      ? undefined
      : 'webhooks must be https' + (policy.allowLoopback ? ' (http only on loopback)' : '');
  }
  if (parsed.protocol !== 'https:') return 'webhooks must be https';
  if (loopbackHost) return policy.allowLoopback ? undefined : 'webhooks may not point at this host';
  if (target.refusedIp)
    return 'webhooks may not point at a private, loopback, link-local or reserved address';
  return undefined;
}

/**
 * Why the platform may not check `url` as a website under `policy`, or undefined when it may. A website
 * check is a request made on a tenant's behalf like a webhook, so the same destinations are refused;
 * plain http is allowed (a website may be plain http). Names are checked again when they resolve.
 */
export function probeUrlProblem(url: string, policy: WebhookAddressPolicy): string | undefined {
  const target = destination(url, policy);
  if (!target) return 'not a URL';
  const { parsed, loopbackHost } = target;
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'website checks are http or https';
  if (parsed.username || parsed.password) return 'website URLs may not carry credentials';
  if (loopbackHost) return policy.allowLoopback ? undefined : 'the platform does not check this host';
  if (target.refusedIp)
    return 'the platform does not check private, loopback, link-local or reserved addresses';
  return undefined;
}
