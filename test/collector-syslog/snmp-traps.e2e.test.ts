/**
 * SNMP traps through the collector: Debian's `snmptrap` (net-snmp's command-line tool) sends v2c and
 * v1 traps and a v2c inform to the collector's trap port; the collector queues each as a log record
 * and delivers it to the local platform's log ingest, where the log search API finds it with its
 * trap OID and bindings. A trap with a community the collector was not given is refused. Fails
 * loudly without snmptrap (the `snmp` package .ci/run installs).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../collector/log';
import { CollectorRuntime } from '../../collector/run';
import { trapRecord } from '../../collector/traps/trap-record';
import { freePort } from '../support/free-port';
import { startTestPlatform, type TestPlatform } from '../support/platform';

const run = promisify(execFile);
let platform: TestPlatform;
let admin: string;
let runtime: CollectorRuntime;
let stateDir: string;
let port: number;
const lines: string[] = [];

beforeAll(async () => {
  platform = await startTestPlatform();
  admin = (await platform.createTenant('traps')).adminToken;
  const collector = await platform.createCollector(admin, 'trap-collector');
  stateDir = mkdtempSync(join(tmpdir(), 'traps-e2e-'));
  port = await freePort();
  runtime = new CollectorRuntime({
    identity: {
      url: platform.url,
      key: collector.ingestKey,
      collectorId: collector.collectorId,
      name: 'traps',
    },
    stateDir,
    logger: jsonLogger((l) => lines.push(l), 'info'),
    hostPolling: false,
    traps: { port, communities: [COMMUNITY] },
  });
  await runtime.start();
});

afterAll(async () => {
  await runtime?.stop();
  await platform?.destroy();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

interface Found {
  message: string;
  severity: string;
  attributes: Record<string, string>;
}

async function search(q: string): Promise<Found[]> {
  const r = await platform.request(`/v1/logs/search?q=${encodeURIComponent(q)}`, { token: admin });
  expect(r.status, await r.clone().text()).toBe(200);
  return ((await r.json()) as { items: Found[] }).items;
}

async function found(q: string, count = 1, ms = 15_000): Promise<Found[]> {
  const end = Date.now() + ms;
  for (;;) {
    const items = await search(q);
    if (items.length >= count) return items;
    if (Date.now() > end) throw new Error(`"${q}" not found; collector said:\n${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const COMMUNITY = 's3cret-community';
const target = () => `127.0.0.1:${port}`;
/** A v2c trap through Debian's snmptrap: bindings as [oid, type letter, value]. */
const v2cTrap = (community: string, trapOid: string, bindings: readonly [string, string, string][]) =>
  run('snmptrap', ['-v', '2c', '-c', community, target(), '', trapOid, ...bindings.flat()]);

describe('SNMP traps through the collector to the platform', () => {
  it('stores a v2c trap (linkDown) with its trap OID and bindings', async () => {
    const marker = `if-${Date.now().toString(36)}`;
    await v2cTrap(COMMUNITY, '1.3.6.1.6.3.1.1.5.3', [
      ['1.3.6.1.2.1.2.2.1.1.7', 'i', '7'],
      ['1.3.6.1.2.1.2.2.1.2.7', 's', marker],
    ]);
    const [trap] = await found(marker);
    expect(trap?.message).toContain('SNMP trap 1.3.6.1.6.3.1.1.5.3 from 127.0.0.1');
    expect(trap?.severity).toBe('warn');
    expect(trap?.attributes).toMatchObject({
      'snmp.trap_oid': '1.3.6.1.6.3.1.1.5.3',
      'snmp.version': '2c',
      'snmp.varbind.1.3.6.1.2.1.2.2.1.1.7': '7',
      'snmp.varbind.1.3.6.1.2.1.2.2.1.2.7': marker,
    });
  });

  it('stores a v1 enterprise trap under RFC 3584 trap OID', async () => {
    const marker = `v1-${Date.now().toString(36)}`;
    await run('snmptrap', [
      '-v',
      '1',
      '-c',
      COMMUNITY,
      target(),
      '1.3.6.1.4.1.8072.2.3.1',
      '127.0.0.1',
      '6',
      '17',
      '',
      '1.3.6.1.4.1.8072.2.3.2.1',
      's',
      marker,
    ]);
    const [trap] = await found(marker);
    expect(trap?.attributes['snmp.trap_oid']).toBe('1.3.6.1.4.1.8072.2.3.1.0.17');
    expect(trap?.attributes['snmp.version']).toBe('1');
  });

  it('answers and stores a v2c inform', async () => {
    const marker = `inform-${Date.now().toString(36)}`;
    // snmpinform waits for the receiver's response: it fails if the collector does not answer.
    await run('snmpinform', [
      '-v',
      '2c',
      '-c',
      COMMUNITY,
      '-t',
      '5',
      '-r',
      '1',
      target(),
      '',
      '1.3.6.1.6.3.1.1.5.4',
      '1.3.6.1.2.1.2.2.1.2.3',
      's',
      marker,
    ]);
    expect((await found(marker))[0]?.attributes['snmp.trap_oid']).toBe('1.3.6.1.6.3.1.1.5.4');
  });

  it('refuses a trap from another community', async () => {
    const marker = `intruder-${Date.now().toString(36)}`;
    await v2cTrap('guessed', '1.3.6.1.6.3.1.1.5.3', [['1.3.6.1.2.1.2.2.1.2.9', 's', marker]]);
    // A trap sent after it from the right community arrives: the refused one had its chance.
    const after = `after-${Date.now().toString(36)}`;
    await v2cTrap(COMMUNITY, '1.3.6.1.6.3.1.1.5.3', [['1.3.6.1.2.1.2.2.1.2.9', 's', after]]);
    await found(after);
    expect(await search(marker)).toEqual([]);
    expect(lines.some((l) => l.includes('trap refused'))).toBe(true);
  });
});

describe('a trap as a log record', () => {
  it('maps the generic v1 traps, shows binary values as hex and bounds the bindings', () => {
    const record = trapRecord(
      {
        pdu: {
          type: 164,
          generic: 2,
          varbinds: [
            { oid: '1.3.6.1.2.1.2.2.1.6.1', value: Buffer.from([0x00, 0x1b, 0x21, 0xff]) },
            ...Array.from({ length: 60 }, (_, i) => ({ oid: `1.3.6.1.4.1.9.${i}`, value: i })),
          ],
        },
        rinfo: { address: '192.0.2.7' },
      },
      1_800_000_000_000,
    );
    expect(record.attributes['snmp.trap_oid']).toBe('1.3.6.1.6.3.1.1.5.3'); // linkDown
    expect(record.attributes['snmp.varbind.1.3.6.1.2.1.2.2.1.6.1']).toBe('001b21ff');
    expect(Object.keys(record.attributes).filter((k) => k.startsWith('snmp.varbind.'))).toHaveLength(50);
    expect(record.attributes['snmp.varbinds_dropped']).toBe('11');
    expect(record.resource).toEqual({ 'host.name': '192.0.2.7' });
    expect(record.message.length).toBeLessThanOrEqual(4096);
  });
});
