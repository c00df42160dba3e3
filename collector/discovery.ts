/**
 * Discovery scan of one IPv4 range (domain/collector-discovery.ts bounds it to a /22): every address
 * gets a TCP connect on each chosen port and an SNMP get of sysName/sysDescr/sysObjectID with each
 * credential in turn (the first that answers is reported). ICMP-free. At most `concurrency`
 * addresses are probed at once and new addresses start at most `addressesPerSecond`, so a scan never
 * floods the customer's network. net-snmp is loaded only when a credential is given.
 */
import { type DiscoveredDevice, rangeAddresses } from '#domain/collector-discovery';
import type { SnmpCredentials } from './pollers/snmp';
import { tcpCheck } from './pollers/tcp-check';

export interface DiscoveryOptions {
  readonly cidr: string;
  readonly ports: readonly number[];
  readonly snmp?: {
    readonly port?: number;
    readonly credentials: ReadonlyArray<{
      readonly deviceCredentialId: string;
      readonly credentials: SnmpCredentials;
    }>;
  };
  /** Addresses probed at once (default 32). */
  readonly concurrency?: number;
  /** Addresses started per second (default 100). */
  readonly addressesPerSecond?: number;
  /** Per probe (default 1 s). */
  readonly timeoutMs?: number;
}

export interface DiscoveryResult {
  readonly devices: DiscoveredDevice[];
  readonly scanned: number;
  /** The most addresses in flight at once (never above `concurrency`). */
  readonly peakInFlight: number;
}

export async function discover(options: DiscoveryOptions): Promise<DiscoveryResult> {
  const addresses = rangeAddresses(options.cidr);
  const concurrency = Math.max(1, options.concurrency ?? 32);
  const gapMs = 1000 / Math.max(1, options.addressesPerSecond ?? 100);
  const timeoutMs = options.timeoutMs ?? 1000;
  const snmp = options.snmp?.credentials.length ? await import('./pollers/snmp') : undefined;
  const devices: DiscoveredDevice[] = [];
  let next = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let nextStartAt = 0;

  const probe = async (address: string): Promise<DiscoveredDevice | undefined> => {
    const open = await Promise.all(
      options.ports.map(async (port) => ((await tcpCheck(address, port, timeoutMs)).up ? port : undefined)),
    );
    const openPorts = open.filter((p): p is number => p !== undefined);
    let found: DiscoveredDevice['snmp'];
    for (const c of snmp ? (options.snmp?.credentials ?? []) : []) {
      try {
        const identity = await snmp?.snmpIdentity({
          address,
          port: options.snmp?.port ?? 161,
          credentials: c.credentials,
          timeoutMs,
          retries: 0,
        });
        found = { ...identity, deviceCredentialId: c.deviceCredentialId };
        break;
      } catch {
        // no answer with this credential: try the next
      }
    }
    if (openPorts.length === 0 && !found) return undefined;
    return { address, openPorts, ...(found ? { snmp: found } : {}) };
  };

  const worker = async () => {
    while (next < addresses.length) {
      const address = addresses[next++] as string;
      const wait = nextStartAt - Date.now();
      nextStartAt = Math.max(Date.now(), nextStartAt) + gapMs;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      inFlight++;
      peakInFlight = Math.max(peakInFlight, inFlight);
      try {
        const device = await probe(address);
        if (device) devices.push(device);
      } finally {
        inFlight--;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, addresses.length) }, worker));
  devices.sort((a, b) => a.address.localeCompare(b.address, undefined, { numeric: true }));
  return { devices, scanned: addresses.length, peakInFlight };
}
