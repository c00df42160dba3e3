/**
 * SNMP polling with net-snmp: v2c (community) or v3 authPriv (SHA/AES and stronger). Each poll reads
 * MIB-II system (sysUpTime), the interface tables (ifTable + ifXTable: 64-bit counters where the
 * agent has them) and any configured OIDs. Counters become per-second rates across Counter32 wraps,
 * with sysUpTime telling a restart from a wrap.
 */
import snmp from 'net-snmp';
import type { NativePayload } from '#domain/native-format';
import { type CounterBits, CounterRates } from '../counters';
import { type InstanceValues, payloads, type ResourceRef } from './native';

export type SnmpCredentials =
  | { readonly version: '2c'; readonly community: string }
  | {
      readonly version: '3';
      readonly securityName: string;
      readonly authProtocol: 'SHA' | 'SHA-256' | 'SHA-512' | 'MD5';
      readonly authKey: string;
      readonly privProtocol: 'AES' | 'AES-256' | 'DES';
      readonly privKey: string;
    };

export interface SnmpTarget {
  readonly address: string;
  readonly port?: number;
  readonly credentials: SnmpCredentials;
  /** Extra OIDs: datapoint name → OID; counters become rates, gauges are sent as read. */
  readonly oids?: Record<string, string>;
  readonly timeoutMs?: number;
  readonly retries?: number;
}

const OID = {
  sysDescr: '1.3.6.1.2.1.1.1.0',
  sysObjectID: '1.3.6.1.2.1.1.2.0',
  sysUpTime: '1.3.6.1.2.1.1.3.0',
  sysName: '1.3.6.1.2.1.1.5.0',
  ifTable: '1.3.6.1.2.1.2.2',
  ifXTable: '1.3.6.1.2.1.31.1.1',
} as const;

const AUTH: Record<string, snmp.AuthProtocols> = {
  SHA: snmp.AuthProtocols.sha,
  'SHA-256': snmp.AuthProtocols.sha256,
  'SHA-512': snmp.AuthProtocols.sha512,
  MD5: snmp.AuthProtocols.md5,
};
const PRIV: Record<string, snmp.PrivProtocols> = {
  AES: snmp.PrivProtocols.aes,
  'AES-256': snmp.PrivProtocols.aes256b,
  DES: snmp.PrivProtocols.des,
};

export function openSession(target: SnmpTarget): snmp.Session {
  const common = {
    port: target.port ?? 161,
    timeout: target.timeoutMs ?? 2000,
    retries: target.retries ?? 1,
  };
  const c = target.credentials;
  if (c.version === '2c')
    return snmp.createSession(target.address, c.community, { ...common, version: snmp.Version2c });
  return snmp.createV3Session(
    target.address,
    {
      name: c.securityName,
      level: snmp.SecurityLevel.authPriv,
      authProtocol: AUTH[c.authProtocol] as snmp.AuthProtocols,
      authKey: c.authKey,
      privProtocol: PRIV[c.privProtocol] as snmp.PrivProtocols,
      privKey: c.privKey,
    },
    { ...common, version: snmp.Version3 },
  );
}

function get(session: snmp.Session, oids: string[]): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) =>
    session.get(oids, (error, varbinds) => (error ? reject(error) : resolve(varbinds ?? []))),
  );
}

type Rows = Record<string, Record<string, snmp.VarbindValue>>;

function tableColumns(session: snmp.Session, oid: string, columns: number[]): Promise<Rows> {
  return new Promise((resolve, reject) =>
    session.tableColumns(oid, columns.map(String), 50, (error, table) =>
      error ? reject(error) : resolve((table ?? {}) as unknown as Rows),
    ),
  );
}

/** A Counter64 arrives as big-endian bytes; the rest as numbers. */
export function counterValue(value: snmp.VarbindValue | undefined): bigint | undefined {
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'bigint') return value;
  if (Buffer.isBuffer(value)) return value.length === 0 ? 0n : BigInt(`0x${value.toString('hex')}`);
  return undefined;
}

function text(value: snmp.VarbindValue | undefined): string | undefined {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return typeof value === 'string' ? value : undefined;
}

/** sysName, sysDescr and sysObjectID of an agent (discovery); throws when it does not answer. */
export async function snmpIdentity(
  target: SnmpTarget,
): Promise<{ sysName?: string; sysDescr?: string; sysObjectID?: string }> {
  const session = openSession(target);
  try {
    const [descr, objectId, name] = await get(session, [OID.sysDescr, OID.sysObjectID, OID.sysName]);
    const objectIdValue = objectId?.value;
    return {
      ...(text(name?.value) ? { sysName: text(name?.value) } : {}),
      ...(text(descr?.value) ? { sysDescr: text(descr?.value) } : {}),
      ...(typeof objectIdValue === 'string' ? { sysObjectID: objectIdValue } : {}),
    };
  } finally {
    session.close();
  }
}

export interface SnmpPollResult {
  readonly payloads: NativePayload[];
  readonly sysName?: string;
  readonly interfaces: number;
}

export class SnmpPoller {
  readonly #rates = new CounterRates();

  /** Polls one device; throws when it does not answer (the caller counts a poll failure). */
  async poll(resource: ResourceRef, target: SnmpTarget, atMs: number): Promise<SnmpPollResult> {
    const session = openSession(target);
    try {
      const system = await get(session, [OID.sysDescr, OID.sysUpTime, OID.sysName]);
      const uptime = system[1]?.value as number | undefined;
      const sysName = text(system[2]?.value);
      const key = `${target.address}:${target.port ?? 161}`;
      const rate = (name: string, value: snmp.VarbindValue | undefined, bits: CounterBits) => {
        const v = counterValue(value);
        return v === undefined ? undefined : this.#rates.rate(`${key}/${name}`, v, bits, atMs, uptime);
      };

      const ifTable = await tableColumns(session, OID.ifTable, [2, 5, 8, 10, 14, 16, 20]);
      let ifXTable: Rows = {};
      try {
        ifXTable = await tableColumns(session, OID.ifXTable, [1, 6, 10, 15]);
      } catch {
        // an agent without IF-MIB's ifXTable: 32-bit counters only
      }
      const interfaces: InstanceValues = new Map();
      for (const [index, row] of Object.entries(ifTable)) {
        const x = ifXTable[index] ?? {};
        const name = text(x[1]) || text(row[2]) || `if${index}`;
        const hc = x[6] !== undefined && x[10] !== undefined;
        interfaces.set(`${name} [${index}]`, {
          OperStatus: typeof row[8] === 'number' ? row[8] : undefined,
          InOctetsPerSecond: hc ? rate(`in/${index}`, x[6], 64) : rate(`in/${index}`, row[10], 32),
          OutOctetsPerSecond: hc ? rate(`out/${index}`, x[10], 64) : rate(`out/${index}`, row[16], 32),
          InErrorsPerSecond: rate(`inErr/${index}`, row[14], 32),
          OutErrorsPerSecond: rate(`outErr/${index}`, row[20], 32),
          SpeedBitsPerSecond:
            typeof x[15] === 'number' ? x[15] * 1e6 : typeof row[5] === 'number' ? row[5] : undefined,
        });
      }

      const custom: Record<string, number | undefined> = {};
      const names = Object.keys(target.oids ?? {});
      if (names.length > 0) {
        const varbinds = await get(
          session,
          names.map((n) => (target.oids as Record<string, string>)[n] as string),
        );
        names.forEach((name, i) => {
          const vb = varbinds[i];
          if (!vb || snmp.isVarbindError(vb)) return;
          if (vb.type === snmp.ObjectType.Counter32) custom[name] = rate(`oid/${name}`, vb.value, 32);
          else if (vb.type === snmp.ObjectType.Counter64) custom[name] = rate(`oid/${name}`, vb.value, 64);
          else {
            const v = counterValue(vb.value);
            custom[name] = v === undefined ? undefined : Number(v);
          }
        });
      }

      return {
        sysName,
        interfaces: interfaces.size,
        payloads: [
          ...payloads(
            resource,
            'SNMP_System',
            new Map([['system', { UptimeSeconds: uptime === undefined ? undefined : uptime / 100, Up: 1 }]]),
            atMs,
          ),
          ...payloads(resource, 'SNMP_Network_Interfaces', interfaces, atMs),
          ...payloads(resource, 'SNMP_Custom', new Map([['custom', custom]]), atMs),
        ],
      };
    } finally {
      session.close();
    }
  }
}
