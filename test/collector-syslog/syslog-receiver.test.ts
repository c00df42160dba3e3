/**
 * The collector's syslog receiver with Debian's rsyslog as the sender: `logger` writes to a temp unix
 * socket of an rsyslogd started here (never the system one), which forwards over TCP with octet
 * counting (RFC 5424), TCP with newline framing (RFC 3164) and UDP. Fails loudly without rsyslog.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from '#domain/logs/record';
import { parseSyslog } from '../../collector/syslog/parse';
import { type SyslogReceiver, startSyslogReceiver } from '../../collector/syslog/receiver';

const RSYSLOGD = '/usr/sbin/rsyslogd';
const LOGGER = '/usr/bin/logger';

let dir: string;
let rsyslog: ChildProcess | undefined;
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
  if (!existsSync(RSYSLOGD) || !existsSync(LOGGER))
    throw new Error(`this test needs ${RSYSLOGD} and ${LOGGER} (apt packages rsyslog and bsdutils)`);
  dir = mkdtempSync(join(tmpdir(), 'syslog-'));
  receiver = await startSyslogReceiver({ port: 0, onRecord: (r) => received.push(r) });
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${dir}/log.sock" CreatePath="on")
if $msg contains "via-tcp5424" then action(type="omfwd" target="127.0.0.1" port="${receiver.tcpPort}" protocol="tcp" TCP_Framing="octet-counted" Template="RSYSLOG_SyslogProtocol23Format")
if $msg contains "via-tcp3164" then action(type="omfwd" target="127.0.0.1" port="${receiver.tcpPort}" protocol="tcp" Template="RSYSLOG_ForwardFormat")
if $msg contains "via-udp" then action(type="omfwd" target="127.0.0.1" port="${receiver.udpPort}" protocol="udp" Template="RSYSLOG_TraditionalForwardFormat")
`,
  );
  execFileSync(RSYSLOGD, ['-N1', '-f', conf], { stdio: 'pipe' }); // config check: a bad config fails here
  rsyslog = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
  await until('rsyslogd socket', () => (existsSync(join(dir, 'log.sock')) ? true : undefined));
}, 30_000);

afterAll(async () => {
  if (rsyslog?.pid) rsyslog.kill('SIGTERM');
  await receiver?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const log = (priority: string, tag: string, message: string) =>
  execFileSync(LOGGER, ['-u', join(dir, 'log.sock'), '-p', priority, '-t', tag, message]);

describe('syslog receiver with rsyslog', () => {
  it.each([
    ['TCP octet counting, RFC 5424', 'via-tcp5424', 'rfc5424'],
    ['TCP newline framing, RFC 3164', 'via-tcp3164', 'rfc3164'],
    ['UDP, RFC 3164', 'via-udp', 'rfc3164'],
  ])('%s: logger → rsyslog → receiver', async (_name, route, protocol) => {
    log('local0.err', 'netmon', `interface ge-0/0/1 link down ${route}`);
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
