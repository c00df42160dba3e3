/**
 * Discovery against real peers: Debian's snmpd on 127.0.0.1 (v2c and v3 authPriv) and a TCP listener
 * on 127.0.0.2, found by scanning 127.0.0.0/29 with the collector's scanner (TCP connect + SNMP
 * sysName/sysDescr/sysObjectID, ICMP-free), then reported to the local platform, which proposes or
 * adds each new device once (dedup by IP and sysName) and refuses ranges beyond a /22.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_DISCOVERY_ADDRESSES, rangeAddresses } from '#domain/collector-discovery';
import { type DiscoveryResult, discover } from '../../collector/discovery';
import { jsonLogger } from '../../collector/log';
import { CollectorRuntime } from '../../collector/run';
import { callApi } from '../support/api-call';
import { startTestPlatform, type TestPlatform } from '../support/platform';
import { COMMUNITY, type RunningSnmpd, startSnmpd, V3_USER } from './support/snmpd';

let snmpd: RunningSnmpd;
let listener: Server;
let listenerPort: number;
let platform: TestPlatform;
let admin: string;
let scan: DiscoveryResult;

beforeAll(async () => {
  snmpd = await startSnmpd();
  listener = createServer((s) => s.end());
  await new Promise<void>((r) => listener.listen(0, '127.0.0.2', () => r()));
  listenerPort = (listener.address() as { port: number }).port;
  platform = await startTestPlatform();
  admin = (await platform.createTenant('discovery')).adminToken;
}, 60_000);

afterAll(async () => {
  listener?.close();
  await snmpd?.stop();
  await platform?.destroy();
});

describe('discovery ranges', () => {
  it('takes the hosts of a range up to a /22 and refuses more, naming the field', () => {
    expect(rangeAddresses('127.0.0.0/29')).toEqual([
      '127.0.0.1',
      '127.0.0.2',
      '127.0.0.3',
      '127.0.0.4',
      '127.0.0.5',
      '127.0.0.6',
    ]);
    expect(rangeAddresses('10.1.2.3/32')).toEqual(['10.1.2.3']);
    expect(rangeAddresses('10.1.0.0/22')).toHaveLength(MAX_DISCOVERY_ADDRESSES - 2);
    expect(rangeAddresses('10.1.2.77/30')).toEqual(['10.1.2.77', '10.1.2.78']);
    for (const bad of ['10.1.0.0/21', '10.1.0.0', '300.1.1.1/24', '10.1.0.0/33'])
      expect(() => rangeAddresses(bad)).toThrowError(expect.objectContaining({ field: 'cidr' }));
  });
});

describe('discovery scan with snmpd and a TCP listener', () => {
  it('finds the SNMP responder with the credential that answers and the open port, nothing else', async () => {
    scan = await discover({
      cidr: '127.0.0.0/29',
      ports: [listenerPort],
      snmp: {
        port: snmpd.port,
        credentials: [
          { deviceCredentialId: 'wrong', credentials: { version: '2c', community: 'not-the-community' } },
          {
            deviceCredentialId: 'v3',
            credentials: { version: '3', authProtocol: 'SHA', privProtocol: 'AES', ...V3_USER },
          },
          { deviceCredentialId: 'v2c', credentials: { version: '2c', community: COMMUNITY } },
        ],
      },
      concurrency: 2,
      addressesPerSecond: 50,
      timeoutMs: 500,
    });
    expect(scan.scanned).toBe(6);
    expect(scan.peakInFlight).toBeLessThanOrEqual(2);
    expect(scan.devices.map((d) => d.address)).toEqual(['127.0.0.1', '127.0.0.2']);
    const [agent, listening] = scan.devices;
    expect(agent?.snmp).toMatchObject({
      deviceCredentialId: 'v3',
      sysObjectID: expect.stringMatching(/^1\.3\.6\.1\.4\.1\./),
    });
    expect(agent?.snmp?.sysName).toBeTruthy();
    expect(agent?.snmp?.sysDescr).toMatch(/Linux/);
    expect(listening).toEqual({ address: '127.0.0.2', openPorts: [listenerPort] });
  });

  it('reports to the platform: new devices proposed once, auto-added for a collector that says so', async () => {
    const call = <T = Record<string, unknown>>(
      path: string,
      token: string,
      method = 'GET',
      body?: unknown,
      status: number | '2xx' = '2xx',
    ) => callApi<T>(platform, path, { token, method, body, status });
    const scanner = await platform.createCollector(admin, 'scanner');
    const credential = await call<{ deviceCredentialId: string }>('/v1/device-credentials', admin, 'POST', {
      name: 'lab v3',
      type: 'snmp-v3',
      secrets: { authProtocol: 'SHA', privProtocol: 'AES', ...V3_USER },
    });
    const devices = scan.devices.map((d) =>
      d.snmp ? { ...d, snmp: { ...d.snmp, deviceCredentialId: credential.deviceCredentialId } } : d,
    );
    const report = { cidr: '127.0.0.0/29', devices };
    const first = await call<{ added: string[]; proposed: string[]; known: number }>(
      '/v1/collector/discoveries',
      scanner.ingestKey,
      'POST',
      report,
    );
    expect(first).toMatchObject({ added: [], known: 0 });
    expect(first.proposed).toHaveLength(2);
    const again = await call('/v1/collector/discoveries', scanner.ingestKey, 'POST', report);
    expect(again).toEqual({ added: [], proposed: [], known: 2 });

    const { items } = await call<{ items: Record<string, unknown>[] }>(
      '/v1/resources?group=discovered',
      admin,
    );
    const snmpDevice = items.find((r) => r.address === '127.0.0.1');
    expect(snmpDevice).toMatchObject({
      name: devices[0]?.snmp?.sysName,
      credentialIds: [credential.deviceCredentialId],
      properties: { 'discovery.state': 'proposed' },
    });
    expect(snmpDevice?.collectorId).toBeUndefined(); // proposed: nobody polls it until approved
    expect(items.find((r) => r.address === '127.0.0.2')).toMatchObject({
      name: '127.0.0.2',
      poll: { tcpPorts: [listenerPort] },
    });

    // A collector that auto-adds: a device it finds on another range is its to poll at once.
    const auto = await call<{ collectorId: string; ingestKey: string }>('/v1/collectors', admin, 'POST', {
      name: 'auto',
      discoveryAutoAdd: true,
    });
    const added = await call<{ added: string[] }>('/v1/collector/discoveries', auto.ingestKey, 'POST', {
      cidr: '10.9.0.0/30',
      devices: [{ address: '10.9.0.1', openPorts: [22] }],
    });
    expect(added.added).toHaveLength(1);
    const config = await call<{ resources: { address: string }[] }>('/v1/collector/config', auto.ingestKey);
    expect(config.resources.map((r) => r.address)).toEqual(['10.9.0.1']);

    // Bounded and checked: a range beyond a /22, an address outside the range.
    const tooBig = await call<{ error: { field: string } }>(
      '/v1/collector/discoveries',
      auto.ingestKey,
      'POST',
      { cidr: '10.0.0.0/16', devices: [] },
      422,
    );
    expect(tooBig.error.field).toBe('cidr');
    const outside = await call<{ error: { field: string } }>(
      '/v1/collector/discoveries',
      auto.ingestKey,
      'POST',
      { cidr: '10.9.0.0/30', devices: [{ address: '10.9.1.1', openPorts: [] }] },
      422,
    );
    expect(outside.error.field).toBe('devices[0].address');
  });
});

describe('discovery scheduled by the collector from its configuration', () => {
  it('scans the configured range on the configuration it reads and reports it; the device is proposed', async () => {
    const tenant = await platform.createTenant('discovery-runtime');
    const call = <T = Record<string, unknown>>(path: string, method = 'GET', body?: unknown) =>
      callApi<T>(platform, path, { token: tenant.adminToken, method, body, status: '2xx' });
    const credential = await call<{ deviceCredentialId: string }>('/v1/device-credentials', 'POST', {
      name: 'lab v2c',
      type: 'snmp-v2c',
      secrets: { community: COMMUNITY },
    });
    const collector = await call<{ collectorId: string; ingestKey: string }>('/v1/collectors', 'POST', {
      name: 'scanner',
      discovery: {
        ranges: ['127.0.0.0/30'],
        ports: [listenerPort],
        snmpPort: snmpd.port,
        credentialIds: [credential.deviceCredentialId],
      },
    });
    const stateDir = mkdtempSync(join(tmpdir(), 'discovery-runtime-'));
    const lines: string[] = [];
    const runtime = new CollectorRuntime({
      identity: {
        url: platform.url,
        key: collector.ingestKey,
        collectorId: collector.collectorId,
        name: 'scanner',
      },
      stateDir,
      logger: jsonLogger((l) => lines.push(l), 'info'),
      hostPolling: false,
    });
    try {
      await runtime.start();
      const deadline = Date.now() + 20_000;
      let found: { address: string; credentialIds: string[] }[] = [];
      while (found.length < 2 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        found = (
          await call<{ items: { address: string; credentialIds: string[] }[] }>(
            '/v1/resources?group=discovered',
          )
        ).items;
      }
      expect(found.map((r) => r.address).sort()).toEqual(['127.0.0.1', '127.0.0.2']);
      expect(found.find((r) => r.address === '127.0.0.1')?.credentialIds).toEqual([
        credential.deviceCredentialId,
      ]);
      expect(lines.join('')).toContain('discovery scan reported');
      expect(lines.join('')).not.toContain(COMMUNITY); // the credential stays out of the log
    } finally {
      await runtime.stop();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it('refuses a discovery range beyond a /22 and an unknown credential, naming the field', async () => {
    for (const [discovery, field] of [
      [{ ranges: ['10.0.0.0/20'] }, 'discovery.ranges[0]'],
      [{ ranges: ['10.0.0.0/24'], credentialIds: ['f'.repeat(32)] }, 'discovery.credentialIds[0]'],
    ] as const) {
      const r = await callApi<{ error: { field: string } }>(platform, '/v1/collectors', {
        token: admin,
        method: 'POST',
        body: { name: 'x', discovery },
        status: 422,
      });
      expect(r.error.field).toBe(field);
    }
  });
});
