/**
 * Host metrics of the collector's own machine, read from /proc and statfs: CPU (busy/user/system/
 * iowait %), memory, load, disk space per mounted filesystem, network bytes/packets/errors per
 * interface (rates). CPU and network need two polls: the first only sets the baseline.
 */
import { readFileSync, statfsSync } from 'node:fs';
import { hostname } from 'node:os';
import type { NativePayload } from '#domain/native-format';
import { CounterRates } from '../counters';
import { type InstanceValues, payloads, type ResourceRef } from './native';

const REAL_FILESYSTEMS = new Set([
  'ext2',
  'ext3',
  'ext4',
  'xfs',
  'btrfs',
  'zfs',
  'vfat',
  'overlay',
  'f2fs',
  'ntfs',
]);

export class HostPoller {
  readonly resource: ResourceRef;
  readonly #rates = new CounterRates();
  readonly #proc: string;
  #cpu: number[] | undefined;

  constructor(options: { proc?: string; name?: string } = {}) {
    const name = options.name ?? hostname();
    this.resource = { resourceName: name, resourceIds: { 'system.hostname': name } };
    this.#proc = options.proc ?? '/proc';
  }

  poll(atMs: number): NativePayload[] {
    return [
      ...payloads(this.resource, 'HostCPU', this.#cpuValues(), atMs),
      ...payloads(this.resource, 'HostMemory', this.#memory(), atMs),
      ...payloads(this.resource, 'HostLoad', this.#load(), atMs),
      ...payloads(this.resource, 'HostDisk', this.#disks(), atMs),
      ...payloads(this.resource, 'HostNetwork', this.#network(atMs), atMs),
    ];
  }

  #read(file: string): string {
    return readFileSync(`${this.#proc}/${file}`, 'utf8');
  }

  #cpuValues(): InstanceValues {
    const line = this.#read('stat')
      .split('\n')
      .find((l) => l.startsWith('cpu '));
    const fields = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
    const previous = this.#cpu;
    this.#cpu = fields;
    if (!previous) return new Map();
    const delta = fields.map((v, i) => v - (previous[i] ?? 0));
    const total = delta.slice(0, 8).reduce((a, b) => a + b, 0);
    if (total <= 0) return new Map();
    const pct = (v: number | undefined) => (100 * (v ?? 0)) / total;
    const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
    return new Map([
      [
        'cpu',
        {
          CPUBusyPercent: 100 - pct(idle),
          UserPercent: pct(delta[0]),
          SystemPercent: pct(delta[2]),
          IOWaitPercent: pct(delta[4]),
        },
      ],
    ]);
  }

  #memory(): InstanceValues {
    const kb = new Map<string, number>();
    for (const line of this.#read('meminfo').split('\n')) {
      const match = /^(\w+):\s+(\d+)/.exec(line);
      if (match) kb.set(match[1] as string, Number(match[2]) * 1024);
    }
    const total = kb.get('MemTotal');
    const available = kb.get('MemAvailable');
    return new Map([
      [
        'memory',
        {
          TotalBytes: total,
          AvailableBytes: available,
          UsedPercent: total && available !== undefined ? (100 * (total - available)) / total : undefined,
          SwapUsedBytes: (kb.get('SwapTotal') ?? 0) - (kb.get('SwapFree') ?? 0),
        },
      ],
    ]);
  }

  #load(): InstanceValues {
    const [one, five, fifteen] = this.#read('loadavg').split(/\s+/).map(Number);
    return new Map([['load', { Load1: one, Load5: five, Load15: fifteen }]]);
  }

  #disks(): InstanceValues {
    const out: InstanceValues = new Map();
    for (const line of this.#read('mounts').split('\n')) {
      const [, mount, type] = line.split(' ');
      if (!mount || !type || !REAL_FILESYSTEMS.has(type) || out.has(mount)) continue;
      try {
        const s = statfsSync(mount.replace(/\\040/g, ' '));
        const total = s.blocks * s.bsize;
        const free = s.bavail * s.bsize;
        out.set(mount, {
          TotalBytes: total,
          FreeBytes: free,
          UsedPercent: total > 0 ? (100 * (total - free)) / total : undefined,
        });
      } catch {
        // unmounted between the read and the statfs, or not ours to read
      }
    }
    return out;
  }

  #network(atMs: number): InstanceValues {
    const out: InstanceValues = new Map();
    for (const line of this.#read('net/dev').split('\n').slice(2)) {
      const [name, rest] = line.split(':');
      if (!name || !rest) continue;
      const iface = name.trim();
      const f = rest.trim().split(/\s+/);
      const rate = (what: string, index: number) =>
        this.#rates.rate(`${iface}/${what}`, BigInt(f[index] ?? '0'), 64, atMs);
      out.set(iface, {
        InBytesPerSecond: rate('rxBytes', 0),
        InPacketsPerSecond: rate('rxPackets', 1),
        InErrorsPerSecond: rate('rxErrors', 2),
        OutBytesPerSecond: rate('txBytes', 8),
        OutPacketsPerSecond: rate('txPackets', 9),
        OutErrorsPerSecond: rate('txErrors', 10),
      });
    }
    return out;
  }
}
