/** ICMP-free reachability: a TCP connect to a port, timed; no bytes sent. */
import { connect } from 'node:net';

export interface TcpCheckResult {
  readonly up: boolean;
  readonly connectMs?: number;
  readonly error?: string;
}

export function tcpCheck(host: string, port: number, timeoutMs = 5000): Promise<TcpCheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (result: TcpCheckResult) => {
      socket.destroy();
      resolve(result);
    };
    socket.setTimeout(timeoutMs, () => done({ up: false, error: `no connect within ${timeoutMs} ms` }));
    socket.once('connect', () => done({ up: true, connectMs: performance.now() - started }));
    socket.once('error', (error) => done({ up: false, error: error.message }));
  });
}
