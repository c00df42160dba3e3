/**
 * Debian's rsyslogd started by a test (never the system one): it reads a unix socket in `dir` that
 * `logger -u` writes to, and forwards a message containing `via-tcp5424` over TCP with octet counting
 * (RFC 5424), `via-tcp3164` over TCP with newline framing (RFC 3164), `via-udp` over UDP. Fails
 * loudly without rsyslog.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RSYSLOGD = '/usr/sbin/rsyslogd';
export const LOGGER = '/usr/bin/logger';

export interface Rsyslog {
  readonly process: ChildProcess;
  /** `logger` through rsyslog: priority (e.g. local0.err), tag, message. */
  log(priority: string, tag: string, message: string): void;
}

export async function startRsyslog(dir: string, ports: { tcp: number; udp: number }): Promise<Rsyslog> {
  if (!existsSync(RSYSLOGD) || !existsSync(LOGGER))
    throw new Error(`this test needs ${RSYSLOGD} and ${LOGGER} (apt packages rsyslog and bsdutils)`);
  const conf = join(dir, 'rsyslog.conf');
  writeFileSync(
    conf,
    `global(workDirectory="${dir}")
module(load="imuxsock" SysSock.Use="off")
input(type="imuxsock" Socket="${dir}/log.sock" CreatePath="on")
if $msg contains "via-tcp5424" then action(type="omfwd" target="127.0.0.1" port="${ports.tcp}" protocol="tcp" TCP_Framing="octet-counted" Template="RSYSLOG_SyslogProtocol23Format")
if $msg contains "via-tcp3164" then action(type="omfwd" target="127.0.0.1" port="${ports.tcp}" protocol="tcp" Template="RSYSLOG_ForwardFormat")
if $msg contains "via-udp" then action(type="omfwd" target="127.0.0.1" port="${ports.udp}" protocol="udp" Template="RSYSLOG_TraditionalForwardFormat")
`,
  );
  execFileSync(RSYSLOGD, ['-N1', '-f', conf], { stdio: 'pipe' }); // config check: a bad config fails here
  const child = spawn(RSYSLOGD, ['-n', '-f', conf, '-i', join(dir, 'rsyslogd.pid')], { stdio: 'ignore' });
  const socket = join(dir, 'log.sock');
  const deadline = Date.now() + 15_000;
  while (!existsSync(socket)) {
    if (Date.now() > deadline) throw new Error('rsyslogd did not create its socket within 15 s');
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    process: child,
    log: (priority, tag, message) => execFileSync(LOGGER, ['-u', socket, '-p', priority, '-t', tag, message]),
  };
}
