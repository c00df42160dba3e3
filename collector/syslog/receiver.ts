/**
 * The collector's syslog receiver: RFC 5424 and RFC 3164 over UDP (one message a datagram) and TCP
 * (RFC 6587: octet counting, `LEN SP MSG`, or newline framing, told apart per frame by its first
 * byte), on one configurable port. Each message becomes a log record handed to `onRecord`; the
 * collector forwards those with its delivery guarantees. Frames are bounded (maxMessageBytes):
 * an oversized octet-counted frame is skipped, an unterminated newline frame is cut there.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import type { LogRecord } from '#domain/logs/record';
import { parseSyslog } from './parse';

export interface SyslogReceiverOptions {
  readonly port: number;
  readonly host?: string;
  readonly onRecord: (record: LogRecord) => void;
  /** Largest message accepted (default 64 KiB, twice LM Logs' 32 KB message). */
  readonly maxMessageBytes?: number;
  readonly now?: () => number;
}

export interface SyslogReceiver {
  /** The bound ports (the same number for UDP and TCP unless port 0 picked two). */
  readonly udpPort: number;
  readonly tcpPort: number;
  close(): Promise<void>;
}

export async function startSyslogReceiver(options: SyslogReceiverOptions): Promise<SyslogReceiver> {
  const host = options.host ?? '127.0.0.1';
  const max = options.maxMessageBytes ?? 64 * 1024;
  const now = options.now ?? Date.now;
  const emit = (bytes: Buffer, peer: string) => {
    if (bytes.length === 0) return;
    options.onRecord(parseSyslog(bytes.subarray(0, max).toString('utf8'), peer, now()));
  };

  const connections = new Set<Socket>();
  const tcp: Server = createServer((socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
    const peer = socket.remoteAddress ?? 'unknown';
    let buffer: Buffer = Buffer.alloc(0);
    let skip = 0; // bytes of an oversized octet-counted frame still to drop
    socket.on('data', (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        if (skip > 0) {
          const dropped = Math.min(skip, buffer.length);
          skip -= dropped;
          buffer = buffer.subarray(dropped);
          if (skip > 0) return;
        }
        if (buffer.length === 0) return;
        const first = buffer[0] as number;
        if (first >= 0x31 && first <= 0x39) {
          const space = buffer.indexOf(0x20);
          if (space < 0) {
            if (buffer.length > 10) socket.destroy(); // no length field is that long
            return;
          }
          const length = Number(buffer.subarray(0, space).toString('latin1'));
          if (!Number.isSafeInteger(length)) return void socket.destroy();
          if (length > max) {
            skip = length;
            buffer = buffer.subarray(space + 1);
            continue;
          }
          if (buffer.length < space + 1 + length) return;
          emit(buffer.subarray(space + 1, space + 1 + length), peer);
          buffer = buffer.subarray(space + 1 + length);
        } else {
          const newline = buffer.indexOf(0x0a);
          if (newline < 0) {
            if (buffer.length > max) {
              emit(buffer, peer);
              buffer = Buffer.alloc(0);
            }
            return;
          }
          emit(buffer.subarray(0, newline), peer);
          buffer = buffer.subarray(newline + 1);
        }
      }
    });
    socket.on('end', () => {
      if (buffer.length > 0 && skip === 0) emit(buffer, peer);
    });
    socket.on('error', () => socket.destroy());
  });
  const udp: UdpSocket = createSocket('udp4');
  udp.on('message', (message, info) => emit(message, info.address));

  await new Promise<void>((resolve, reject) => {
    tcp.once('error', reject);
    tcp.listen(options.port, host, () => resolve());
  });
  const tcpPort = (tcp.address() as { port: number }).port;
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(options.port === 0 ? 0 : options.port, host, () => resolve());
  });
  const udpPort = udp.address().port;
  return {
    udpPort,
    tcpPort,
    close: async () => {
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      const closed = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const socket of connections) socket.destroy();
      await closed;
    },
  };
}
