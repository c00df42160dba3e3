/**
 * Debian's snmpd on a loopback UDP port, with a v2c community, a v3 authPriv (SHA/AES) user, and two
 * settable counters served through `pass` (Counter32 at .99999.1.1, Counter64 at .99999.1.2) whose
 * values the test writes to files. Fails loudly when snmpd is not installed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SNMPD = '/usr/sbin/snmpd';
export const COUNTER32_OID = '1.3.6.1.4.1.99999.1.1';
export const COUNTER64_OID = '1.3.6.1.4.1.99999.1.2';
export const V3_USER = { securityName: 'obsprivuser', authKey: 'auth-pass-4711', privKey: 'priv-pass-4711' };
export const COMMUNITY = 'obs-test-community';

export interface RunningSnmpd {
  readonly port: number;
  setCounter32(value: bigint | number): void;
  setCounter64(value: bigint | number): void;
  /** Stops and starts snmpd again on the same port (its sysUpTime starts over). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

export async function startSnmpd(): Promise<RunningSnmpd> {
  if (!existsSync(SNMPD)) throw new Error(`${SNMPD} is missing: apt-get install snmpd snmp`);
  const dir = mkdtempSync(join(tmpdir(), 'snmpd-'));
  const port = await freeUdpPort();
  const script = join(dir, 'counters.sh');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      '[ "$1" = "-g" ] || exit 0',
      'case "$2" in',
      `  .${COUNTER32_OID}) echo .${COUNTER32_OID}; echo counter; cat ${dir}/c32;;`,
      `  .${COUNTER64_OID}) echo .${COUNTER64_OID}; echo counter64; cat ${dir}/c64;;`,
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  writeFileSync(join(dir, 'c32'), '0\n');
  writeFileSync(join(dir, 'c64'), '0\n');
  writeFileSync(
    join(dir, 'snmpd.conf'),
    [
      `agentAddress udp:127.0.0.1:${port}`,
      `rocommunity ${COMMUNITY} 127.0.0.1`,
      `createUser ${V3_USER.securityName} SHA "${V3_USER.authKey}" AES "${V3_USER.privKey}"`,
      `rouser ${V3_USER.securityName} priv`,
      `pass .1.3.6.1.4.1.99999.1 /bin/sh ${script}`,
      '',
    ].join('\n'),
  );
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(
      SNMPD,
      [
        '-f',
        '-C',
        '-c',
        join(dir, 'snmpd.conf'),
        '-Lf',
        join(dir, 'snmpd.log'),
        '-M',
        '/dev/null',
        '-p',
        join(dir, 'pid'),
      ],
      { env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, 'persist') }, stdio: 'ignore' },
    );
    child = proc;
    // Ready when it answers a v2c get of sysUpTime.
    const deadline = Date.now() + 10_000;
    while (!(await answers(port))) {
      if (proc.exitCode !== null || Date.now() > deadline) {
        const log = existsSync(join(dir, 'snmpd.log')) ? readFileSync(join(dir, 'snmpd.log'), 'utf8') : '';
        throw new Error(`snmpd did not start on ${port}: ${log}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const halt = async () => {
    const proc = child;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    port,
    setCounter32: (v) => writeFileSync(join(dir, 'c32'), `${v}\n`),
    setCounter64: (v) => writeFileSync(join(dir, 'c64'), `${v}\n`),
    restart: async () => {
      await halt();
      await launch();
    },
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** True when snmpd answers a v2c GET of sysUpTime.0. */
async function answers(port: number): Promise<boolean> {
  const { default: snmp } = await import('net-snmp');
  return new Promise((resolve) => {
    const session = snmp.createSession('127.0.0.1', COMMUNITY, {
      port,
      timeout: 300,
      retries: 0,
      version: snmp.Version2c,
    });
    session.get(['1.3.6.1.2.1.1.3.0'], (error) => {
      session.close();
      resolve(!error);
    });
  });
}
