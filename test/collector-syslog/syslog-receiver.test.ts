/**
 * The collector's syslog receiver with Debian's rsyslog as the sender: `logger` writes to a temp unix
 * socket of an rsyslogd started here (never the system one), which forwards over TCP with octet
 * counting (RFC 5424), TCP with newline framing (RFC 3164) and UDP (support/rsyslog.ts). Fails loudly
 * without rsyslog.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '#domain/logs/record';
import { parseSyslog } from '../../collector/syslog/parse';
import { type SyslogReceiver, startSyslogReceiver } from '../../collector/syslog/receiver';
import { type Rsyslog, startRsyslog } from './support/rsyslog';

let dir: string;
let rsyslog: Rsyslog;
let receiver: SyslogReceiver;
const received: LogRecord[] = [];

async function until<T>(what: string, find: () => T | undefined, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'syslog-'));
  receiver = await startSyslogReceiver({ port: 0, onRecord: (r) => received.push(r) });
  rsyslog = await startRsyslog(dir, { tcp: receiver.tcpPort, udp: receiver.udpPort });
}, 30_000);

afterAll(async () => {
  if (rsyslog?.process.pid) rsyslog.process.kill('SIGTERM');
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('syslog receiver with rsyslog', () => {
  it.each([
    ['TCP octet counting, RFC 5424', 'via-tcp5424', 'rfc5424'],
    ['TCP newline framing, RFC 3164', 'via-tcp3164', 'rfc3164'],
    ['UDP, RFC 3164', 'via-udp', 'rfc3164'],
  ])('%s: logger → rsyslog → receiver', async (_name, route, protocol) => {
    rsyslog.log('local0.err', 'netmon', `interface ge-0/0/1 link down ${route}`);
    const record = await until(route, () => received.find((r) => r.message.includes(route)));
    expect(record).toMatchObject({
      severity: 'error',
      severityNumber: 17,
      message: `interface ge-0/0/1 link down ${route}`,
      attributes: { 'syslog.facility': 'local0', 'syslog.appname': 'netmon', 'syslog.protocol': protocol },
    });
    expect(record.resource['host.name']).toBeTruthy();
    expect(Math.abs(record.timestampMs - Date.now())).toBeLessThan(2 * 86_400_000);
  });

  it('splits octet-counted and newline frames sent in one stream, and skips an oversized frame', async () => {
    const small = await startSyslogReceiver({ port: 0, maxMessageBytes: 100, onRecord: (r) => got.push(r) });
    const got: LogRecord[] = [];
    const socket = createConnection(small.tcpPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const m1 = '<11>1 2026-12-06T12:00:00Z sw1 app - - - first';
    const big = `<11>1 2026-12-06T12:00:00Z sw1 app - - - ${'x'.repeat(200)}`;
    socket.write(`${m1.length} ${m1}${big.length} ${big}<14>Dec  6 12:00:01 sw2 cron[42]: second\n`);
    socket.end();
    await until('two records', () => (got.length >= 2 ? true : undefined));
    expect(got.map((r) => r.message)).toEqual(['first', 'second']);
    expect(got[1]).toMatchObject({
      severity: 'info',
      resource: { 'host.name': 'sw2' },
      attributes: { 'syslog.procid': '42' },
    });
    await small.close();
  });

  it('keeps an unparseable message whole', () => {
    expect(parseSyslog('just text', '10.0.0.1', 5)).toMatchObject({
      message: 'just text',
      timestampMs: 5,
      resource: { 'host.name': '10.0.0.1' },
    });
  });
});
