/**
 * The collector's SNMP trap receiver (v1 and v2c traps, v2c informs, on a configurable UDP port):
 * each notification from an allowed community becomes a log record handed to `onRecord`, which the
 * collector forwards with its delivery guarantees. Notifications with another community are refused
 * by net-snmp's authorizer and counted. Loaded only when configured (net-snmp is most of the bundle).
 */

import snmp from 'net-snmp';
import type { LogRecord } from '#domain/logs/record';
import { type TrapNotification, trapRecord } from './trap-record';

export interface TrapReceiverOptions {
  /** UDP port (162 needs privileges; the systemd unit can grant CAP_NET_BIND_SERVICE). */
  readonly port: number;
  readonly host?: string;
  /** Communities whose notifications are accepted (v1/v2c); others are refused. */
  readonly communities: readonly string[];
  readonly onRecord: (record: LogRecord) => void;
  readonly onRefused?: (reason: string) => void;
  readonly now?: () => number;
}

export interface TrapReceiver {
  readonly port: number;
  close(): Promise<void>;
}

export async function startTrapReceiver(options: TrapReceiverOptions): Promise<TrapReceiver> {
  const now = options.now ?? Date.now;
  const receiver = snmp.createReceiver(
    {
      port: options.port,
      address: options.host ?? '127.0.0.1',
      transport: 'udp4',
      disableAuthorization: false,
    },
    (error: (Error & { rinfo?: unknown }) | null, notification: TrapNotification | null) => {
      if (error || !notification) {
        options.onRefused?.(error?.message ?? 'no notification');
        return;
      }
      options.onRecord(trapRecord(notification, now()));
    },
  );
  const authorizer = receiver.getAuthorizer();
  for (const community of options.communities) authorizer.addCommunity(community);
  // net-snmp binds in the background: wait for the socket to be listening (or failing).
  await new Promise<void>((resolve, reject) => {
    const sockets = Object.values(
      (receiver as unknown as { listener: { sockets: Record<string, import('node:dgram').Socket> } }).listener
        .sockets,
    );
    let pending = sockets.length;
    if (pending === 0) return resolve();
    for (const socket of sockets) {
      socket.once('listening', () => {
        if (--pending === 0) resolve();
      });
      socket.once('error', reject);
    }
  });
  return {
    port: options.port,
    close: () => new Promise<void>((resolve) => receiver.close(() => resolve())),
  };
}
