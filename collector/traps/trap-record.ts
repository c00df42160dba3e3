/**
 * An SNMP notification (v1 Trap, v2c TrapV2 or InformRequest) as a log record: the trap's OID and
 * its variable bindings as attributes, a one-line message a person can read and search, the sender's
 * address as the resource (as syslog names a peer without a hostname). Bounded: at most 50 bindings,
 * each value at most 1 KiB, the message at most 4 KiB.
 */
import type { LogRecord } from '#domain/logs/record';

export interface TrapVarbind {
  readonly oid: string;
  readonly type?: number;
  readonly value: unknown;
}

export interface TrapNotification {
  readonly pdu: {
    readonly type: number;
    readonly varbinds?: readonly TrapVarbind[];
    /** SNMPv1 Trap-PDU fields. */
    readonly enterprise?: string;
    readonly generic?: number;
    readonly specific?: number;
  };
  readonly rinfo: { readonly address: string };
}

/** snmpTrapOID.0: the notification's identity in a v2c TrapV2 or InformRequest. */
export const SNMP_TRAP_OID = '1.3.6.1.6.3.1.1.4.1.0';
const SYS_UPTIME = '1.3.6.1.2.1.1.3.0';
const V1_TRAP = 164;
const MAX_VARBINDS = 50;
const MAX_VALUE = 1024;
const MAX_MESSAGE = 4096;

/** RFC 3584 §3.1: a v1 trap's snmpTrapOID (the generic traps, else enterprise.0.specific). */
function v1TrapOid(pdu: TrapNotification['pdu']): string {
  const generic = pdu.generic ?? 6;
  if (generic < 6) return `1.3.6.1.6.3.1.1.5.${generic + 1}`;
  return `${pdu.enterprise ?? '0.0'}.0.${pdu.specific ?? 0}`;
}

function text(value: unknown): string {
  if (Buffer.isBuffer(value)) {
    // Printable text as it is; anything else (a MAC, an encoded structure) as hex.
    const utf8 = value.toString('utf8');
    return /^[\x20-\x7e\t\r\n]*$/.test(utf8) ? utf8 : value.toString('hex');
  }
  return String(value);
}

export function trapRecord(notification: TrapNotification, nowMs: number): LogRecord {
  const { pdu, rinfo } = notification;
  const v1 = pdu.type === V1_TRAP;
  const bindings = (pdu.varbinds ?? []).filter((v) => v.oid !== SNMP_TRAP_OID && v.oid !== SYS_UPTIME);
  const trapOid = v1
    ? v1TrapOid(pdu)
    : text((pdu.varbinds ?? []).find((v) => v.oid === SNMP_TRAP_OID)?.value ?? 'unknown');
  const attributes: Record<string, string> = {
    'snmp.trap_oid': trapOid,
    'snmp.version': v1 ? '1' : '2c',
    'net.peer.ip': rinfo.address,
  };
  const shown: string[] = [];
  for (const binding of bindings.slice(0, MAX_VARBINDS)) {
    const value = text(binding.value).slice(0, MAX_VALUE);
    attributes[`snmp.varbind.${binding.oid}`] = value;
    shown.push(`${binding.oid}=${value}`);
  }
  if (bindings.length > MAX_VARBINDS)
    attributes['snmp.varbinds_dropped'] = String(bindings.length - MAX_VARBINDS);
  const message = `SNMP trap ${trapOid} from ${rinfo.address}${shown.length ? `: ${shown.join(' ')}` : ''}`;
  return {
    timestampMs: nowMs,
    // A trap says something happened; how bad is the trap's own business: warn, like LM's default.
    severity: 'warn',
    severityNumber: 13,
    message: message.slice(0, MAX_MESSAGE),
    resource: { 'host.name': rinfo.address },
    attributes,
  };
}
